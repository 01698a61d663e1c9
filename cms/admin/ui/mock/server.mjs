// A small in-memory stand-in for `huimin serve`, for working on the admin UI
// without the Go backend: `npm run build && npm run mock`, then open
// http://127.0.0.1:18081/admin/ and sign in as admin / admin12345 (or
// editor1, review1, review2, review3 with the same password).
// It follows the shapes of cms/web (errors, lists, versions, workflow) but is
// not the server: the Go code is the authority.
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { createHash, randomBytes } from 'node:crypto'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

const port = Number(process.env.PORT || 18081)
const dist = fileURLToPath(new URL('../../dist', import.meta.url))
const now = () => new Date().toISOString()
const STAGES = () => db.settings.review_stages

const db = {
  seq: 100,
  users: [
    { id: 1, username: 'admin', name: '管理员', role: 'admin', level: 0 },
    { id: 2, username: 'editor1', name: '王宣传', role: 'editor', level: 0 },
    { id: 3, username: 'review1', name: '李初审', role: 'reviewer', level: 1 },
    { id: 4, username: 'review2', name: '赵复审', role: 'reviewer', level: 2 },
    { id: 5, username: 'review3', name: '陈终审', role: 'reviewer', level: 3 },
  ].map((u) => ({ ...u, disabled: false, created_at: now(), updated_at: now(), password: 'admin12345' })),
  tokens: new Map(),
  projects: [
    { id: 1, name: '甜蜜婚登', slug: 'sweet-marriage', kind: 'window', area: 'marriage', summary: '婚姻登记处颁证仪式' },
    { id: 2, name: '一米亲情', slug: 'one-metre', kind: 'window', area: 'funeral', summary: '殡葬一米亲情服务' },
    { id: 3, name: '银龄互助', slug: 'silver-mutual-aid', kind: 'volunteer', area: 'elderly', summary: '低龄老人帮高龄老人' },
  ].map((p) => ({ brand_id: null, parent_id: null, intro: '', cover_media_id: null, position: 0, version: 1, url: `/projects/${p.slug}/`, created_at: now(), updated_at: now(), ...p })),
  brands: [{ id: 1, name: '幸福民政', slogan: '民政为民 民政爱民', intro: '', logo_media_id: null, created_at: now(), updated_at: now() }],
  stories: [],
  revisions: [],
  signoffs: [],
  media: [],
  files: new Map(),
  builds: [],
  audit: [],
  settings: { site_name: '幸福民政', organizer: '某某区民政局', contact: '', icp: '', police_record: '', gov_site_code: '', base_url: '', wechat_app_id: '', wechat_secret_set: false, review_stages: 3, version: 1, updated_at: now() },
}

class HttpError extends Error {
  constructor(status, code, message, extra = {}) { super(message); Object.assign(this, { status, code, extra }) }
}
const invalid = (fields) => new HttpError(422, 'invalid', '提交的内容有误，请检查标出的字段', { fields })
const runes = (s) => [...(s || '')].length

function audit(actor, action, object, detail = '') {
  db.audit.push({ id: ++db.seq, actor_id: actor?.id || 0, actor_name: actor?.name || 'system', action, object, before: randomBytes(8).toString('hex'), after: randomBytes(8).toString('hex'), detail, created_at: now() })
}

function enqueue(reason) {
  const b = { id: ++db.seq, status: 'queued', reason, full: false, pages: 0, queued_at: now(), started: null, finished: null, duration_ms: 0 }
  db.builds.unshift(b)
  setTimeout(() => { b.status = 'running'; b.started = now() }, 800)
  setTimeout(() => { b.status = 'succeeded'; b.finished = now(); b.pages = 42; b.duration_ms = 2100 }, 2900)
  return b
}

function saveRevision(s, u) {
  db.revisions.unshift({ id: ++db.seq, story_id: s.id, version: s.version, title: s.title, share_title: s.share_title, summary: s.summary, body: s.body, slug: s.slug, cover_media_id: s.cover_media_id, project_id: s.project_id, tags: [...s.tags], author: s.author, source: s.source, editor_id: u.id, editor_name: u.name, created_at: now() })
}

function validateStory(s) {
  const f = {}
  if (!s.title?.trim()) f.title = '标题不能为空'
  if (runes(s.share_title) > 32) f.share_title = '分享标题不能超过32个字（微信分享卡片会截断）'
  if (runes(s.summary) > 128) f.summary = '摘要不能超过128个字'
  if (!db.projects.some((p) => p.id === s.project_id)) f.project_id = '请选择所属品牌项目'
  if (Object.keys(f).length) throw invalid(f)
}

const STORY_FIELDS = ['title', 'share_title', 'summary', 'body', 'slug', 'cover_media_id', 'project_id', 'tags', 'author', 'source', 'published_at', 'publish_at', 'unpublish_at']
function checkFields(body, allowed) {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) throw invalid({ [k]: '不支持的字段' })
}
const stripScripts = (h) => (h || '').replace(/<script[\s\S]*?<\/script>/gi, '').replace(/\son\w+="[^"]*"/gi, '')

function transition(s, action, u, comment) {
  const admin = u.role === 'admin'
  const final = STAGES()
  const stage = (n) => ['', '初审', '复审', '终审'][n]
  const reviewer = (lvl) => u.role === 'reviewer' && u.level === lvl
  switch (action) {
    case 'submit':
      if (!(admin || u.role === 'editor' || u.id === s.created_by)) throw new HttpError(403, 'forbidden', '只有稿件作者、编辑或管理员可以提交送审')
      if (s.status !== 'draft' && s.status !== 'unpublished') throw new HttpError(409, 'conflict', '只有草稿或已撤下的稿件可以提交送审')
      return { status: 'in_review', review_stage: 1 }
    case 'approve':
      if (s.status !== 'in_review') throw new HttpError(409, 'conflict', '稿件当前不在审核中')
      if (!admin && !reviewer(s.review_stage)) throw new HttpError(403, 'forbidden', `当前为${stage(s.review_stage)}阶段，只有${stage(s.review_stage)}人员或管理员可以审核通过`)
      return s.review_stage < final ? { review_stage: s.review_stage + 1 } : { status: 'approved', review_stage: 0 }
    case 'reject': {
      const st = s.status === 'in_review' ? s.review_stage : ['approved', 'scheduled'].includes(s.status) ? final : 0
      if (!st) throw new HttpError(409, 'conflict', '只有审核中、已通过或待发布的稿件可以退回')
      if (!admin && !reviewer(st)) throw new HttpError(403, 'forbidden', `当前为${stage(st)}阶段，只有${stage(st)}人员或管理员可以退回`)
      if (!comment?.trim()) throw new HttpError(422, 'invalid', '退回稿件必须填写退回意见', { fields: { comment: '请填写退回意见' } })
      return { status: 'draft', review_stage: 0 }
    }
    case 'publish':
      if (!admin && !reviewer(final)) throw new HttpError(403, 'forbidden', `只有${stage(final)}人员或管理员可以发布`)
      if (!(s.status === 'approved' || (admin && !['published', 'scheduled'].includes(s.status)))) throw new HttpError(409, 'conflict', '只有审核通过的稿件可以发布')
      return { status: 'published', review_stage: 0, live_version: s.version, published_at: s.published_at || now() }
    case 'unpublish':
      if (!admin && !reviewer(final)) throw new HttpError(403, 'forbidden', `只有${stage(final)}人员或管理员可以撤下稿件`)
      if (!s.live_version) throw new HttpError(409, 'conflict', '稿件未发布，无需撤下')
      return { status: 'unpublished', review_stage: 0, live_version: 0 }
  }
  throw new HttpError(404, 'not_found', '未知的操作')
}

function page(items, q) {
  const p = Math.max(1, Number(q.get('page')) || 1)
  const per = Math.min(100, Math.max(1, Number(q.get('per_page')) || 20))
  return { items: items.slice((p - 1) * per, p * per), total: items.length, page: p, per_page: per }
}
const find = (list, id, what = '资源') => {
  const x = list.find((i) => i.id === Number(id))
  if (!x) throw new HttpError(404, 'not_found', `${what}不存在`)
  return x
}
const needAdmin = (u) => { if (u.role !== 'admin') throw new HttpError(403, 'forbidden', '没有权限：此操作仅限管理员') }
const publicUser = ({ password, ...u }) => u

async function readBody(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks)
}
async function json(req) {
  const raw = (await readBody(req)).toString('utf8')
  if (!raw) return {}
  try { return JSON.parse(raw) } catch { throw new HttpError(400, 'bad_request', 'JSON 格式错误') }
}

function multipartFile(buf, type) {
  const boundary = '--' + /boundary=(.+)$/.exec(type)?.[1]
  const start = buf.indexOf(boundary)
  const headEnd = buf.indexOf('\r\n\r\n', start)
  const head = buf.slice(start, headEnd).toString()
  const end = buf.indexOf('\r\n' + boundary, headEnd)
  return { name: /filename="([^"]*)"/.exec(head)?.[1] || 'upload', data: buf.slice(headEnd + 4, end) }
}

async function api(req, res, url) {
  const path = url.pathname.replace(/^\/api\/v1/, '')
  const m = req.method
  const q = url.searchParams
  if (m === 'POST' && path === '/auth/login') {
    const b = await json(req)
    const u = db.users.find((x) => x.username === b.username && x.password === b.password && !x.disabled)
    if (!u) throw new HttpError(401, 'unauthorized', '用户名或密码错误')
    const token = randomBytes(16).toString('hex')
    db.tokens.set(token, u.id)
    return { token, expires_at: new Date(Date.now() + 864e5).toISOString(), user: publicUser(u) }
  }
  if (path === '/content/tags') return { items: [{ name: '颁证仪式', count: 3 }, { name: '志愿服务', count: 2 }], total: 2 }
  const token = (req.headers.authorization || '').replace(/^Bearer\s+/i, '')
  const u = db.users.find((x) => x.id === db.tokens.get(token))
  if (!u) throw new HttpError(401, 'unauthorized', '请先登录')
  let r
  if (path === '/auth/me') return publicUser(u)
  if (path === '/auth/logout') { db.tokens.delete(token); return null }

  if ((r = /^\/stories(?:\/(\d+))?(?:\/(revisions|signoffs|actions)(?:\/(\w+))?)?$/.exec(path))) {
    const [, id, sub, action] = r
    if (!id && m === 'GET') {
      let items = [...db.stories].sort((a, b) => b.updated_at.localeCompare(a.updated_at))
      if (q.get('status')) items = items.filter((s) => s.status === q.get('status'))
      if (q.get('project_id')) items = items.filter((s) => s.project_id === Number(q.get('project_id')))
      if (q.get('created_by') === 'me') items = items.filter((s) => s.created_by === u.id)
      if (q.get('q')) items = items.filter((s) => s.title.includes(q.get('q')))
      if (q.get('since')) items = items.filter((s) => s.updated_at >= new Date(q.get('since')).toISOString())
      if (q.get('until')) items = items.filter((s) => s.updated_at < new Date(q.get('until')).toISOString())
      return page(items, q)
    }
    if (!id && m === 'POST') {
      const b = await json(req)
      checkFields(b, STORY_FIELDS)
      const s = { id: ++db.seq, slug: '', title: '', share_title: '', summary: '', body: '', cover_media_id: null, project_id: 0, tags: [], author: '', source: '', status: 'draft', review_stage: 0, version: 1, live_version: 0, published_at: null, publish_at: null, unpublish_at: null, created_by: u.id, created_at: now(), updated_at: now(), ...b }
      s.body = stripScripts(s.body)
      validateStory(s)
      s.slug = s.slug || `story-${s.id}`
      s.url = `/stories/${s.slug}/`
      s.short_url = `/s/${s.id}/`
      db.stories.push(s)
      saveRevision(s, u)
      audit(u, 'story.create', `story:${s.id}`)
      res.statusCode = 201
      return s
    }
    const s = find(db.stories, id, '稿件')
    if (!sub && m === 'GET') return s
    if (!sub && m === 'PATCH') {
      const b = await json(req)
      checkFields(b, ['version', ...STORY_FIELDS])
      if (!b.version) throw invalid({ version: '缺少版本号（version），请先获取稿件的最新版本' })
      if (b.version !== s.version) throw new HttpError(409, 'conflict', `稿件已被他人修改（当前为第 ${s.version} 版），请先查看最新版本`, { current: s, current_version: s.version })
      const next = { ...s, ...b }
      if (b.cover_media_id === 0) next.cover_media_id = null
      next.body = stripScripts(next.body)
      next.title = next.title.trim()
      validateStory(next)
      delete next.version
      Object.assign(s, next, { version: s.version + 1, updated_at: now() })
      if (['in_review', 'approved', 'scheduled'].includes(s.status)) Object.assign(s, { status: 'draft', review_stage: 0 })
      if (s.status === 'published' && s.live_version) s.status = 'draft'
      saveRevision(s, u)
      audit(u, 'story.update', `story:${s.id}`)
      return s
    }
    if (!sub && m === 'DELETE') { db.stories = db.stories.filter((x) => x !== s); return null }
    if (sub === 'revisions') { const items = db.revisions.filter((x) => x.story_id === s.id); return { items, total: items.length } }
    if (sub === 'signoffs') { const items = db.signoffs.filter((x) => x.story_id === s.id); return { items, total: items.length } }
    if (sub === 'actions' && m === 'POST') {
      const b = await json(req)
      const from = s.status
      const stage = s.review_stage
      Object.assign(s, transition(s, action, u, b.comment))
      db.signoffs.push({ id: ++db.seq, story_id: s.id, version: s.version, action, from_status: from, to_status: s.status, stage: stage || (action === 'publish' ? STAGES() : 0), actor_id: u.id, actor_name: u.name, comment: b.comment || '', created_at: now() })
      audit(u, `story.${action}`, `story:${s.id}`, b.comment || '')
      if (action === 'publish' || action === 'unpublish') return { ...s, build_id: enqueue(`${action} story:${s.id}`).id }
      return s
    }
  }

  if ((r = /^\/projects(?:\/(\d+))?$/.exec(path))) {
    if (!r[1] && m === 'GET') {
      let items = db.projects
      if (q.get('kind')) items = items.filter((p) => p.kind === q.get('kind'))
      if (q.get('area')) items = items.filter((p) => p.area === q.get('area'))
      return page(items, q)
    }
    needAdmin(u)
    if (!r[1] && m === 'POST') {
      const b = await json(req)
      if (!b.name?.trim()) throw invalid({ name: '项目名称不能为空' })
      const p = { id: ++db.seq, slug: b.slug || `p-${db.seq}`, brand_id: null, parent_id: null, intro: '', summary: '', cover_media_id: null, position: 0, version: 1, created_at: now(), updated_at: now(), ...b }
      p.url = `/projects/${p.slug}/`
      db.projects.push(p)
      res.statusCode = 201
      return p
    }
    const p = find(db.projects, r[1], '项目')
    if (m === 'PATCH') {
      const b = await json(req)
      if (b.version !== p.version) throw new HttpError(409, 'conflict', '项目已被他人修改', { current: p, current_version: p.version })
      delete b.version
      Object.assign(p, b, { version: p.version + 1 })
      return p
    }
    if (m === 'DELETE') {
      if (db.stories.some((s) => s.project_id === p.id)) throw new HttpError(409, 'conflict', '还有稿件属于这个项目，不能删除')
      db.projects = db.projects.filter((x) => x !== p)
      return null
    }
  }
  if ((r = /^\/brands(?:\/(\d+))?$/.exec(path))) {
    if (m === 'GET') return { items: db.brands, total: db.brands.length }
    needAdmin(u)
    const b = await json(req)
    if (!b.name?.trim()) throw invalid({ name: '品牌名称不能为空' })
    if (m === 'POST') { const x = { id: ++db.seq, ...b, created_at: now(), updated_at: now() }; db.brands.push(x); res.statusCode = 201; return x }
    return Object.assign(find(db.brands, r[1]), b)
  }

  if ((r = /^\/media(?:\/(\d+))?$/.exec(path))) {
    if (!r[1] && m === 'GET') return page(db.media, q)
    if (!r[1] && m === 'POST') {
      const f = multipartFile(await readBody(req), req.headers['content-type'] || '')
      if (!f.data.length) throw invalid({ file: '文件是空的' })
      const hash = createHash('sha256').update(f.data).digest('hex')
      const old = db.media.find((x) => x.hash === hash)
      if (old) return old
      db.files.set(hash, f.data)
      const variants = ['w480', 'w960', 'w1600', 'cover235', 'cover11', 'thumb'].map((n) => ({ name: n, width: 0, height: 0, url: `/media/${hash}/${n}.jpg?v=1` }))
      const item = { id: ++db.seq, hash, filename: f.name, format: 'jpeg', width: 1200, height: 800, size: f.data.length, alt: '', caption: '', credit: '', focus_x: 0.5, focus_y: 0.5, variants, version: 1, created_at: now(), updated_at: now() }
      db.media.unshift(item)
      res.statusCode = 201
      return item
    }
    const x = find(db.media, r[1], '图片')
    if (m === 'GET') return x
    if (m === 'PATCH') {
      const b = await json(req)
      checkFields(b, ['version', 'alt', 'caption', 'credit', 'focus_x', 'focus_y'])
      if (b.version !== x.version) throw new HttpError(409, 'conflict', '图片信息已被他人修改', { current: x, current_version: x.version })
      delete b.version
      Object.assign(x, b, { version: x.version + 1, updated_at: now() })
      return x
    }
    if (m === 'DELETE') { db.media = db.media.filter((i) => i !== x); return null }
  }

  if ((r = /^\/builds(?:\/(\d+))?$/.exec(path))) {
    if (r[1]) return find(db.builds, r[1], '构建')
    if (m === 'POST') { needAdmin(u); res.statusCode = 202; return Object.assign(enqueue('manual rebuild'), { full: true }) }
    return page(db.builds, q)
  }
  if (path === '/settings') {
    if (m === 'GET') return db.settings
    needAdmin(u)
    const b = await json(req)
    if (b.version !== db.settings.version) throw new HttpError(409, 'conflict', '设置已被他人修改', { current: db.settings, current_version: db.settings.version })
    if (b.site_name !== undefined && !b.site_name.trim()) throw invalid({ site_name: '网站名称不能为空' })
    if (b.base_url && !/^https?:\/\/.+/.test(b.base_url)) throw invalid({ base_url: '网站地址必须是以 http:// 或 https:// 开头的完整地址' })
    const { wechat_secret: secret, version, ...rest } = b
    Object.assign(db.settings, rest, { version: version + 1 })
    if (secret !== undefined) db.settings.wechat_secret_set = secret !== ''
    return db.settings
  }
  if ((r = /^\/users(?:\/(\d+))?$/.exec(path))) {
    needAdmin(u)
    if (m === 'GET') return { items: db.users.map(publicUser), total: db.users.length }
    const b = await json(req)
    if (b.password !== undefined && b.password !== '' && runes(b.password) < 8) throw invalid({ password: '密码长度应为8到128个字符' })
    if (m === 'POST') {
      if (db.users.some((x) => x.username === b.username)) throw new HttpError(409, 'conflict', '用户名已被使用')
      const x = { id: ++db.seq, disabled: false, created_at: now(), updated_at: now(), ...b }
      db.users.push(x)
      res.statusCode = 201
      return publicUser(x)
    }
    const x = find(db.users, r[1], '用户')
    if (b.disabled && x.id === u.id) throw invalid({ disabled: '不能停用自己的账号' })
    const { password, ...rest } = b
    Object.assign(x, rest, password ? { password } : {})
    return publicUser(x)
  }
  if (path === '/audit') {
    needAdmin(u)
    let items = db.audit
    if (q.get('object')) items = items.filter((e) => e.object === q.get('object'))
    if (q.get('action')) items = items.filter((e) => e.action === q.get('action'))
    return page(items, q)
  }
  throw new HttpError(404, 'not_found', `接口不存在：${m} ${url.pathname}`)
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' }

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x')
  try {
    if (url.pathname.startsWith('/api/v1/')) {
      const out = await api(req, res, url)
      if (out === null) { res.statusCode = 204; return res.end() }
      res.setHeader('Content-Type', 'application/json; charset=utf-8')
      return res.end(JSON.stringify(out))
    }
    if (url.pathname.startsWith('/media/')) {
      const data = db.files.get(url.pathname.split('/')[2])
      if (!data) { res.statusCode = 404; return res.end() }
      res.setHeader('Content-Type', 'image/jpeg')
      return res.end(data)
    }
    if (url.pathname === '/admin') { res.writeHead(301, { Location: '/admin/' }); return res.end() }
    if (url.pathname.startsWith('/admin/')) {
      const rel = normalize(url.pathname.slice('/admin/'.length)).replace(/^(\.\.[/\\])+/, '')
      let data
      try { data = await readFile(join(dist, rel)); res.setHeader('Content-Type', TYPES[extname(rel)] || 'application/octet-stream') } catch { data = await readFile(join(dist, 'index.html')); res.setHeader('Content-Type', TYPES['.html']) }
      return res.end(data)
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8')
    res.end(`<!doctype html><meta charset="utf-8"><title>mock site</title><h1>模拟公开网站：${url.pathname}</h1>`)
  } catch (err) {
    if (!(err instanceof HttpError)) { console.error(err); err = new HttpError(500, 'internal', '服务器内部错误，请稍后重试') }
    res.statusCode = err.status
    res.setHeader('Content-Type', 'application/json; charset=utf-8')
    res.end(JSON.stringify({ error: { code: err.code, message: err.message, ...err.extra } }))
  }
}).listen(port, '127.0.0.1', () => console.log(`mock huimin on http://127.0.0.1:${port}/admin/`))
