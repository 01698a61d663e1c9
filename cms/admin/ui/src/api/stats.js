// The reach statistics endpoints (cms/web/stats.go): the 数据统计 screen's
// report, its exports and the statistics settings.
import { get, post, patch, getToken } from './client.js'

export const stats = {
  report: (query) => get('/stats/report', query),
  flush: () => post('/stats/flush'),
  settings: () => get('/stats/settings'),
  updateSettings: (body) => patch('/stats/settings', body),
}

// exportFile fetches the report as a file (format xlsx or csv) with the
// session's token and hands it to the browser as a download.
export async function exportFile(format, query) {
  const q = new URLSearchParams({ format })
  for (const [k, v] of Object.entries(query || {})) if (v) q.set(k, String(v))
  const res = await fetch('/api/v1/stats/export?' + q, { headers: { Authorization: 'Bearer ' + getToken() } })
  if (!res.ok) {
    let msg = `HTTP ${res.status}`
    try {
      msg = (await res.json()).error.message || msg
    } catch {
      // not JSON
    }
    throw new Error(msg)
  }
  const blob = await res.blob()
  const name = /filename\*=UTF-8''([^;]+)/.exec(res.headers.get('Content-Disposition') || '')
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name ? decodeURIComponent(name[1]) : `stats.${format}`
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10000)
}
