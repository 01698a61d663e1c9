// The editable part of a story and how edits become a PATCH body. Only the
// fields of cms.StoryUpdate may be sent: the server rejects unknown ones.

export const EDITABLE = [
  'title', 'share_title', 'summary', 'body', 'slug', 'cover_media_id',
  'project_id', 'tags', 'author', 'source', 'publish_at', 'unpublish_at',
]

export function emptyForm() {
  return {
    title: '', share_title: '', summary: '', body: '', slug: '', cover_media_id: null,
    project_id: null, tags: [], author: '', source: '', publish_at: null, unpublish_at: null,
  }
}

export function formFromStory(s) {
  const f = emptyForm()
  if (!s) return f
  for (const k of EDITABLE) {
    if (s[k] !== undefined && s[k] !== null) f[k] = k === 'tags' ? [...s[k]] : s[k]
  }
  if (!f.project_id) f.project_id = null
  return f
}

export function cloneForm(f) {
  return { ...f, tags: [...(f.tags || [])] }
}

export function sameValue(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    const x = a || []
    const y = b || []
    return x.length === y.length && x.every((v, i) => v === y[i])
  }
  const norm = (v) => (v === undefined || v === '' ? null : v)
  return norm(a) === norm(b)
}

// changedFields lists the fields where form differs from base.
export function changedFields(form, base) {
  return EDITABLE.filter((k) => !sameValue(form[k], base[k]))
}

function wireValue(k, v) {
  if (k === 'cover_media_id') return v || 0 // 0 clears the cover
  if (k === 'project_id') return v || 0
  if (k === 'tags') return [...(v || [])]
  if (k === 'publish_at' || k === 'unpublish_at') return v || undefined // null cannot clear
  return v ?? ''
}

// patchBody is the PATCH body for the fields in keys, on top of version.
export function patchBody(form, keys, version) {
  const body = { version }
  for (const k of keys) {
    const v = wireValue(k, form[k])
    if (v !== undefined) body[k] = v
  }
  return body
}

// createBody is the POST body of a new story.
export function createBody(form) {
  const body = {}
  for (const k of EDITABLE) {
    const v = wireValue(k, form[k])
    if (v === undefined || v === '' || (k === 'cover_media_id' && !v)) continue
    body[k] = v
  }
  if (!body.tags) body.tags = []
  return body
}

// pastedPictures lists the src of body images that point elsewhere: another
// site's address or an inline data: URI. The server copies those from
// WeChat's image servers (and data: URIs) into the media library on save.
export function pastedPictures(html) {
  const out = []
  for (const m of (html || '').matchAll(/<img\b[^>]*?\ssrc\s*=\s*("([^"]*)"|'([^']*)')/gi)) {
    const src = (m[2] ?? m[3] ?? '').trim()
    if (/^data:/i.test(src) || /^(https?:)?\/\//i.test(src)) out.push(src.replaceAll('&amp;', '&'))
  }
  return out
}

// picturesCopied reports whether the server's body no longer shows a
// pasted picture the sent body had: the editor should then take the
// server's body, so what it shows is what will be published.
export function picturesCopied(sentBody, savedBody) {
  const before = pastedPictures(sentBody)
  if (before.length === 0) return false
  const after = new Set(pastedPictures(savedBody))
  return before.some((src) => !after.has(src))
}
