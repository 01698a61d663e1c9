// Pure helpers of the 数据统计 screen: date ranges, WeChat share contexts
// and the ECharts options, kept apart from Vue so node --test covers them.

// lastDays returns [from, to] (YYYY-MM-DD, China time) of the n days
// ending today.
export function lastDays(n, now = new Date()) {
  const day = (d) => new Date(d.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 10)
  return [day(new Date(now.getTime() - (n - 1) * 86400 * 1000)), day(now)]
}

// monthRange returns [from, to] of the calendar month offset months from
// now's (0 this month, -1 last month) in China time; this month ends today.
export function monthRange(offset, now = new Date()) {
  const cn = new Date(now.getTime() + 8 * 3600 * 1000)
  const first = new Date(Date.UTC(cn.getUTCFullYear(), cn.getUTCMonth() + offset, 1))
  const last = offset === 0 ? cn : new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0))
  return [first.toISOString().slice(0, 10), last.toISOString().slice(0, 10)]
}

// WECHAT_CONTEXTS are the sources counted from WeChat, in display order.
export const WECHAT_CONTEXTS = ['wx_timeline', 'wx_group', 'wx_single', 'wx_article', 'wx_other']

// wechatRows picks the WeChat sources out of a report's sources, each
// context present (zero when none came that way).
export function wechatRows(sources) {
  const by = new Map((sources || []).map((s) => [s.key, s]))
  return WECHAT_CONTEXTS.map((k) => by.get(k) || { key: k, label: '', views: 0, visitors: 0 })
}

// share is part/whole as a whole percentage, '—' for an empty whole.
export function share(part, whole) {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '—'
}

// trendOption is the line chart of views and visitors per day.
export function trendOption(days, labels) {
  return {
    aria: { enabled: true },
    tooltip: { trigger: 'axis' },
    legend: { data: [labels.views, labels.visitors], top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: labels.views, type: 'line', smooth: true, data: days.map((d) => d.views), color: '#a8231c' },
      { name: labels.visitors, type: 'line', smooth: true, data: days.map((d) => d.visitors), color: '#0a4fa8' },
    ],
  }
}

// barOption is a horizontal bar chart of rows (most first, at the top).
export function barOption(rows, label, limit = 10) {
  const top = rows.slice(0, limit).reverse()
  return {
    aria: { enabled: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: top.map((r) => truncate(r.label || r.key, 14)) },
    series: [{ name: label, type: 'bar', data: top.map((r) => r.views), color: '#a8231c' }],
  }
}

// pieOption is a ring of rows' views.
export function pieOption(rows, label) {
  return {
    aria: { enabled: true },
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { type: 'scroll', bottom: 0 },
    series: [{ name: label, type: 'pie', radius: ['40%', '68%'], center: ['50%', '44%'],
      data: rows.filter((r) => r.views > 0).map((r) => ({ name: r.label || r.key, value: r.views })) }],
  }
}

function truncate(s, n) {
  const chars = [...(s || '')]
  return chars.length > n ? chars.slice(0, n - 1).join('') + '…' : s
}
