// The public's voice (cms/web/interact.go): the 群众留言 inbox, ratings,
// the handling report, its Excel export and the handling rules.
import { get, post, patch, download } from './client.js'

export const interact = {
  messages: (query) => get('/interact/messages', query),
  message: (id) => get(`/interact/messages/${id}`),
  act: (id, action, body) => post(`/interact/messages/${id}/actions/${action}`, body),
  ratings: (query) => get('/interact/ratings', query),
  summary: () => get('/interact/summary'),
  report: (query) => get('/interact/report', query),
  settings: () => get('/interact/settings'),
  updateSettings: (body) => patch('/interact/settings', body),
}

// exportReport downloads the report as an Excel workbook.
export const exportReport = (query) => download('/interact/report/export', query, 'interact.xlsx')
