// The 数据统计 screen's pure helpers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lastDays, monthRange, wechatRows, share, trendOption, barOption, pieOption, WECHAT_CONTEXTS } from '../src/lib/stats.js'

test('lastDays counts days in China time', () => {
  // 2026-12-05 17:00 UTC is already 12-06 in China.
  assert.deepEqual(lastDays(30, new Date('2026-12-05T17:00:00Z')), ['2026-11-07', '2026-12-06'])
  assert.deepEqual(lastDays(1, new Date('2026-12-05T08:00:00Z')), ['2026-12-05', '2026-12-05'])
})

test('wechatRows lists every WeChat context, zero when none came that way', () => {
  const rows = wechatRows([{ key: 'direct', views: 9 }, { key: 'wx_timeline', label: '微信/朋友圈', views: 3, visitors: 1 }])
  assert.deepEqual(rows.map((r) => r.key), WECHAT_CONTEXTS)
  assert.equal(rows[0].views, 3)
  assert.equal(rows[1].views, 0)
  assert.equal(wechatRows(undefined).length, WECHAT_CONTEXTS.length)
})

test('share rounds to a whole percentage', () => {
  assert.equal(share(1, 3), '33%')
  assert.equal(share(0, 0), '—')
})

test('chart options carry the numbers', () => {
  const t = trendOption([{ day: '2026-12-01', views: 3, visitors: 1 }], { views: '阅读量', visitors: '访客数' })
  assert.deepEqual(t.xAxis.data, ['12-01'])
  assert.deepEqual(t.series.map((s) => s.data[0]), [3, 1])
  assert.ok(t.aria.enabled)
  const b = barOption([{ key: 'a', label: '甲', views: 5 }, { key: 'b', label: '乙', views: 2 }], '阅读量')
  assert.deepEqual(b.yAxis.data, ['乙', '甲'], 'most read at the top')
  const p = pieOption([{ key: 'x', label: 'X', views: 0 }, { key: 'y', label: 'Y', views: 4 }], '阅读量')
  assert.deepEqual(p.series[0].data, [{ name: 'Y', value: 4 }])
})

test('monthRange gives calendar months in China time', () => {
  const now = new Date('2026-12-31T17:00:00Z') // 2027-01-01 01:00 in China
  assert.deepEqual(monthRange(0, now), ['2027-01-01', '2027-01-01'])
  assert.deepEqual(monthRange(-1, now), ['2026-12-01', '2026-12-31'])
  assert.deepEqual(monthRange(-1, new Date('2026-03-10T00:00:00Z')), ['2026-02-01', '2026-02-28'])
})
