// Endpoints of the 网站体检 (issue 20): the report, the external link
// check, the Excel 自查台账, the settings, restoring a tampered site, the
// 年度报表 draft, and the one-click conversion of a story to 规范汉字.
import { get, post, put, getToken } from './client.js'

export const inspection = {
  report: () => get('/inspection'),
  checkExternal: () => post('/inspection/external'),
  freshness: () => get('/inspection/freshness'),
  settings: () => get('/inspection/settings'),
  saveSettings: (body) => put('/inspection/settings', body),
  restore: () => post('/inspection/restore'),
  annual: (year) => get('/inspection/annual', year ? { year } : {}),
  simplify: (storyId, version) => post(`/stories/${storyId}/simplify`, { version }),
}

// exportInspection fetches the report as the Excel 自查台账 with the
// session's token and hands it to the browser as a download.
export async function exportInspection() {
  const res = await fetch('/api/v1/inspection/export', { headers: { Authorization: 'Bearer ' + getToken() } })
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
  a.download = name ? decodeURIComponent(name[1]) : 'inspection.xlsx'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10000)
}
