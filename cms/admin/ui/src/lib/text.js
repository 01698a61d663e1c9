// Text helpers shared by counters, diffs and lists.

// runeLength counts characters the way the server (Go runes) and WeChat do:
// one per Unicode code point, so a Chinese character or an emoji is one.
export function runeLength(s) {
  if (!s) return 0
  let n = 0
  for (const _ of s) n++ // eslint-disable-line no-unused-vars
  return n
}

const BLOCK_END = /<\/(p|div|h[1-6]|li|blockquote|tr|figcaption|section|pre|table)>|<br\s*\/?>/gi

// htmlToText returns the readable text of a story body with block
// boundaries as line breaks, like the server's markup.Text.
export function htmlToText(html) {
  if (!html) return ''
  let s = html.replace(BLOCK_END, '\n')
  s = s.replace(/<img[^>]*\balt="([^"]*)"[^>]*>/gi, '[图片：$1]')
  s = s.replace(/<[^>]*>/g, '')
  s = decodeEntities(s)
  s = s.replace(/\u00a0/g, ' ').replace(/[ \t\r\f\v]+/g, ' ')
  s = s.split('\n').map((l) => l.trim()).join('\n')
  s = s.replace(/\n\n+/g, '\n')
  return s.trim()
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" }

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z0-9]+);/gi, (m, e) => {
    const k = e.toLowerCase()
    if (k in ENTITIES) return ENTITIES[k]
    if (k.startsWith('#x')) return String.fromCodePoint(parseInt(k.slice(2), 16))
    if (k.startsWith('#')) return String.fromCodePoint(parseInt(k.slice(1), 10))
    return m
  })
}

// absoluteURL turns a site path from the API into a full link on this host.
export function absoluteURL(path, origin) {
  if (!path) return ''
  if (/^https?:\/\//.test(path)) return path
  return origin.replace(/\/$/, '') + (path.startsWith('/') ? path : '/' + path)
}

// formatDateTime shows a server time in the reader's locale, minutes precision.
export function formatDateTime(value, locale = 'zh-CN') {
  if (!value) return ''
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return ''
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(d)
}

// formatDuration shows milliseconds as "850 ms", "12.3 s" or "2 min 5 s".
export function formatDuration(ms) {
  if (ms === null || ms === undefined || ms < 0) return ''
  if (ms < 1000) return `${ms} ms`
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`
  const m = Math.floor(ms / 60000)
  return `${m} min ${Math.round((ms % 60000) / 1000)} s`
}

// formatBytes shows a file size.
export function formatBytes(n) {
  if (!n && n !== 0) return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

// dayRange turns a picked [first, last] pair of local dates (YYYY-MM-DD)
// into the server's half-open [since, until) as RFC 3339 instants, so the
// last day is included whole in the user's own time zone.
export function dayRange(dates) {
  if (!dates || dates.length !== 2 || !dates[0] || !dates[1]) return { since: undefined, until: undefined }
  const start = localMidnight(dates[0], 0)
  const end = localMidnight(dates[1], 1)
  return { since: start.toISOString(), until: end.toISOString() }
}

function localMidnight(ymd, addDays) {
  const [y, m, d] = ymd.split('-').map(Number)
  return new Date(y, m - 1, d + addDays)
}

// Build reasons are the server's log words ("publish story:12",
// "media.update media:3"). buildReason maps the known ones to a message key
// under builds.reasons and what they name ("#12"); an unknown reason comes
// back with an empty key, to be shown as it is.
const REASON_KEYS = {
  startup: 'startup',
  manual: 'manual',
  publish: 'publish',
  unpublish: 'unpublish',
  schedule: 'schedule',
  'media.update': 'mediaUpdate',
  'project.create': 'projectCreate',
  'project.update': 'projectUpdate',
  'project.delete': 'projectDelete',
  'brand.update': 'brandUpdate',
  'page.save': 'pageSave',
  'page.delete': 'pageDelete',
}

export function buildReason(reason) {
  const s = (reason || '').trim()
  const [head, ...rest] = s.split(/\s+/)
  const key = REASON_KEYS[head]
  if (!key) return { key: '', what: s }
  const what = rest.join(' ')
    .replace(/^rebuild by\s*/, '')
    .replace(/\b(?:story|media):(\d+)/g, '#$1')
    .replace(/(#\d+) (?=#)/g, '$1、')
  return { key, what }
}
