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
