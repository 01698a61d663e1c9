// The reach statistics endpoints (cms/web/stats.go): the 数据统计 screen's
// report, its exports and the statistics settings.
import { get, post, patch, download } from './client.js'

export const stats = {
  report: (query) => get('/stats/report', query),
  flush: () => post('/stats/flush'),
  settings: () => get('/stats/settings'),
  updateSettings: (body) => patch('/stats/settings', body),
}

// exportFile fetches the report as a file (format xlsx or csv) with the
// session's token and hands it to the browser as a download.
export const exportFile = (format, query) => download('/stats/export', { format, ...query }, `stats.${format}`)
