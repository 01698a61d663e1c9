// The one place the admin UI talks HTTP. Every failure becomes an ApiError
// carrying the server's own message, field errors and conflict state, so
// screens can show exactly what the server said.

const TOKEN_KEY = 'huimin.token'
const SITE_KEY = 'huimin.site'

let token = localStorage.getItem(TOKEN_KEY) || ''
// site is the site every call acts in (the Huimin-Site header: a site id);
// empty means the one the address names.
let site = localStorage.getItem(SITE_KEY) || ''
let onUnauthorized = () => {}

export function getToken() {
  return token
}

export function setToken(t) {
  token = t || ''
  if (token) localStorage.setItem(TOKEN_KEY, token)
  else localStorage.removeItem(TOKEN_KEY)
}

export function getSite() {
  return site
}

// setSite remembers the site the switcher chose, for every later call and
// the next visit.
export function setSite(id) {
  site = id ? String(id) : ''
  if (site) localStorage.setItem(SITE_KEY, site)
  else localStorage.removeItem(SITE_KEY)
}

// authHeaders are the headers every call carries: the session and the site.
function authHeaders() {
  const h = {}
  if (token) h.Authorization = 'Bearer ' + token
  if (site) h['Huimin-Site'] = site
  return h
}

// setUnauthorizedHandler registers what happens when the server says the
// session is gone (401): the app clears it and goes to the login screen.
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {}
    super(e.message || `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.code = e.code || (status === 0 ? 'network' : 'unknown')
    this.fields = e.fields || {}
    this.current = e.current || null
    this.currentVersion = e.current_version || 0
  }
}

function buildURL(path, query) {
  let url = '/api/v1' + path
  if (query) {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '' || v === false) continue
      q.set(k, String(v))
    }
    const s = q.toString()
    if (s) url += '?' + s
  }
  return url
}

async function parse(res) {
  if (res.status === 204) return null
  const text = await res.text()
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

export async function request(method, path, { body, query, signal } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  let res
  try {
    res = await fetch(buildURL(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    })
  } catch (err) {
    if (err && err.name === 'AbortError') throw err
    throw new ApiError(0, { error: { code: 'network', message: networkMessage() } })
  }
  const data = await parse(res)
  if (!res.ok) {
    const err = new ApiError(res.status, data)
    if (res.status === 401 && path !== '/auth/login') onUnauthorized(err)
    throw err
  }
  return data
}

let networkMessage = () => 'Network error'

// setNetworkMessage lets the i18n layer supply the text shown when the
// server cannot be reached at all.
export function setNetworkMessage(fn) {
  networkMessage = fn
}

export const get = (path, query, opts) => request('GET', path, { ...opts, query })
export const post = (path, body) => request('POST', path, { body })
export const patch = (path, body) => request('PATCH', path, { body })
export const put = (path, body) => request('PUT', path, { body })
export const del = (path) => request('DELETE', path)

// upload sends one file as multipart field "file" and reports progress
// (0..100). It uses XMLHttpRequest because fetch has no upload progress.
export function upload(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', '/api/v1' + path)
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v)
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(Math.round((e.loaded / e.total) * 100))
    }
    xhr.onload = () => {
      let data = null
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        data = null
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(100)
        resolve(data)
        return
      }
      const err = new ApiError(xhr.status, data)
      if (xhr.status === 401) onUnauthorized(err)
      reject(err)
    }
    xhr.onerror = () => reject(new ApiError(0, { error: { code: 'network', message: networkMessage() } }))
    const form = new FormData()
    form.append('file', file, file.name)
    xhr.send(form)
  })
}

// download fetches a file answer of path (an export) with the session's
// token and hands it to the browser as a download, named as the server's
// Content-Disposition says (fallback otherwise).
export async function download(path, query, fallback) {
  let res
  try {
    res = await fetch(buildURL(path, query), { headers: authHeaders() })
  } catch {
    throw new ApiError(0, { error: { code: 'network', message: networkMessage() } })
  }
  if (!res.ok) throw new ApiError(res.status, await parse(res))
  const blob = await res.blob()
  const name = /filename\*=UTF-8''([^;]+)/.exec(res.headers.get('Content-Disposition') || '')
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name ? decodeURIComponent(name[1]) : fallback
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10000)
}
