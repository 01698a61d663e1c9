// Endpoints of the management API (cms/web/routes.go), one function each.
import { get, post, patch, put, del, upload } from './client.js'

export const auth = {
  login: (username, password) => post('/auth/login', { username, password }),
  logout: () => post('/auth/logout'),
  me: () => get('/auth/me'),
}

export const stories = {
  list: (query) => get('/stories', query),
  get: (id) => get(`/stories/${id}`),
  create: (body) => post('/stories', body),
  update: (id, body) => patch(`/stories/${id}`, body),
  remove: (id) => del(`/stories/${id}`),
  revisions: (id) => get(`/stories/${id}/revisions`),
  signoffs: (id) => get(`/stories/${id}/signoffs`),
  act: (id, action, comment) => post(`/stories/${id}/actions/${action}`, comment ? { comment } : {}),
}

export const projects = {
  list: (query) => get('/projects', query),
  get: (id) => get(`/projects/${id}`),
  create: (body) => post('/projects', body),
  update: (id, body) => patch(`/projects/${id}`, body),
  remove: (id) => del(`/projects/${id}`),
}

export const brands = {
  list: () => get('/brands'),
  create: (body) => post('/brands', body),
  update: (id, body) => put(`/brands/${id}`, body),
}

export const media = {
  list: (query) => get('/media', query),
  get: (id) => get(`/media/${id}`),
  upload: (file, onProgress) => upload('/media', file, onProgress),
  update: (id, body) => patch(`/media/${id}`, body),
  remove: (id) => del(`/media/${id}`),
}

export const builds = {
  list: (query) => get('/builds', query),
  get: (id) => get(`/builds/${id}`),
  rebuild: () => post('/builds'),
}

export const settings = {
  get: () => get('/settings'),
  update: (body) => patch('/settings', body),
}

export const users = {
  list: () => get('/users'),
  create: (body) => post('/users', body),
  update: (id, body) => patch(`/users/${id}`, body),
}

export const audit = {
  list: (query) => get('/audit', query),
}

// publishing and admin
export const previews = {
  // create returns {url, story_id, version, expires_at}; body {version, expires_in} is optional.
  create: (storyId, body) => post(`/stories/${storyId}/preview`, body || {}),
}

export const dictionary = {
  list: () => get('/dictionary'),
  create: (body) => post('/dictionary', body),
  update: (id, body) => patch(`/dictionary/${id}`, body),
  remove: (id) => del(`/dictionary/${id}`),
}

export const pages = {
  list: () => get('/pages'),
  create: (body) => post('/pages', body),
  update: (id, body) => put(`/pages/${id}`, body),
  remove: (id) => del(`/pages/${id}`),
}

export const apiKeys = {
  list: () => get('/apikeys'),
  create: (body) => post('/apikeys', body),
  revoke: (id) => del(`/apikeys/${id}`),
}

// review tools
export const review = {
  inbox: (query) => get('/review/inbox', query),
  check: (id) => get(`/stories/${id}/check`),
}

// the platform's sites (站点管理); every call carries the Huimin-Site header
// of the site chosen in the switcher (client.js)
export const sites = {
  list: () => get('/sites'),
  create: (body) => post('/sites', body),
  update: (id, body) => put(`/sites/${id}`, body),
}

// 全市服务品牌: on the site with overview on, stories of the other sites
// chosen for its /highlights/ page
export const highlights = {
  list: () => get('/highlights'),
  candidates: (query) => get('/highlights/candidates', query),
  add: (siteId, storyId) => post('/highlights', { site_id: siteId, story_id: storyId }),
  reorder: (ids) => put('/highlights/order', { ids }),
  remove: (id) => del(`/highlights/${id}`),
}
