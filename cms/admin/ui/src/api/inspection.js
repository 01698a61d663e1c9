// Endpoints of the 网站体检 (issue 20): the report, the external link
// check, the Excel 自查台账, the settings, restoring a tampered site, the
// 年度报表 draft, and the one-click conversion of a story to 规范汉字.
import { get, post, put, download } from './client.js'

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

// exportInspection fetches the report as the Excel 自查台账 (with the
// session's token and site) and hands it to the browser as a download.
export const exportInspection = () => download('/inspection/export', null, 'inspection.xlsx')
