import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runeLength, htmlToText, absoluteURL, dayRange, formatDuration } from '../src/lib/text.js'
import { textDiff, diffStats } from '../src/lib/textDiff.js'

test('runeLength counts characters like Go runes', () => {
  assert.equal(runeLength(''), 0)
  assert.equal(runeLength('惠民'), 2)
  assert.equal(runeLength('婚登😀'), 3)
  assert.equal(runeLength('a b'), 3)
})

test('htmlToText keeps block breaks and decodes entities', () => {
  assert.equal(htmlToText('<h2>一、概况</h2><p>张灯&amp;结彩&nbsp;</p><figure><img src="/a.jpg" alt="合影"><figcaption>现场</figcaption></figure>'), '一、概况\n张灯&结彩\n[图片：合影]现场')
})

test('absoluteURL joins site paths to the origin', () => {
  assert.equal(absoluteURL('/stories/a/', 'http://x:8080'), 'http://x:8080/stories/a/')
  assert.equal(absoluteURL('https://y/s/1/', 'http://x'), 'https://y/s/1/')
  assert.equal(absoluteURL('', 'http://x'), '')
})

test('dayRange makes an inclusive local-date range half-open', () => {
  const { since, until } = dayRange(['2025-08-01', '2025-08-01'])
  assert.equal(new Date(until) - new Date(since), 24 * 3600 * 1000)
  assert.deepEqual(dayRange(null), { since: undefined, until: undefined })
})

test('formatDuration', () => {
  assert.equal(formatDuration(850), '850 ms')
  assert.equal(formatDuration(12300), '12.3 s')
  assert.equal(formatDuration(125000), '2 min 5 s')
})

test('textDiff marks Chinese insertions and deletions by character', () => {
  const parts = textDiff('七夕集体颁证', '七夕集体婚礼颁证')
  assert.equal(parts.filter((p) => !p.removed).map((p) => p.value).join(''), '七夕集体婚礼颁证')
  assert.equal(parts.filter((p) => !p.added).map((p) => p.value).join(''), '七夕集体颁证')
  assert.deepEqual(diffStats(parts), { added: 2, removed: 0 })
})
