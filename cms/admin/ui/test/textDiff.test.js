import { test } from 'node:test'
import assert from 'node:assert/strict'
import { textDiff, diffStats, tokens, mergeParts } from '../src/lib/textDiff.js'

// sides rebuilds both texts from the parts: every diff must do that.
function sides(parts) {
  return [
    parts.filter((p) => !p.added).map((p) => p.value).join(''),
    parts.filter((p) => !p.removed).map((p) => p.value).join(''),
  ]
}

test('tokens cuts Chinese into words, not characters', () => {
  const t = tokens('社区为困难群众发放补贴。')
  assert.equal(t.join(''), '社区为困难群众发放补贴。')
  assert.ok(t.includes('社区'), t.join('|'))
  assert.ok(t.includes('补贴'), t.join('|'))
  assert.ok(t.length < 10, t.join('|'))
})

test('a replaced word shows as the old word and the new word, not single characters', () => {
  const a = '街道为残废人家庭送去慰问金。'
  const b = '街道为残疾人家庭送去慰问金。'
  const parts = textDiff(a, b)
  assert.deepEqual(sides(parts), [a, b])
  const removed = parts.filter((p) => p.removed).map((p) => p.value)
  const added = parts.filter((p) => p.added).map((p) => p.value)
  assert.equal(removed.length, 1)
  assert.equal(added.length, 1)
  // Whole words: not just 废 → 疾.
  assert.ok(removed[0].length >= 2 && removed[0].includes('残废'), removed[0])
  assert.ok(added[0].includes('残疾'), added[0])
})

test('changes separated by a comma are merged into one phrase', () => {
  const a = '今年共走访五保户、孤儿院和敬老院。'
  const b = '今年共走访特困人员、儿童福利院和敬老院。'
  const parts = textDiff(a, b)
  assert.deepEqual(sides(parts), [a, b])
  assert.equal(parts.filter((p) => p.removed).length, 1, JSON.stringify(parts))
  assert.equal(parts.filter((p) => p.added).length, 1, JSON.stringify(parts))
  const removed = parts.find((p) => p.removed).value
  assert.ok(removed.includes('五保户') && removed.includes('孤儿'), removed)
})

test('separate sentences keep separate changes', () => {
  const a = '第一段讲婚姻登记。\n第二段讲殡葬改革，内容不变，继续保留。\n第三段讲养老服务。'
  const b = '第一段讲颁证仪式。\n第二段讲殡葬改革，内容不变，继续保留。\n第三段讲社会救助。'
  const parts = textDiff(a, b)
  assert.deepEqual(sides(parts), [a, b])
  assert.equal(parts.filter((p) => p.removed).length, 2, JSON.stringify(parts))
  assert.ok(parts.some((p) => !p.added && !p.removed && p.value.includes('殡葬改革，内容不变')))
})

test('insertions only count what was added', () => {
  const parts = textDiff('七夕集体颁证', '七夕集体婚礼颁证')
  assert.deepEqual(sides(parts), ['七夕集体颁证', '七夕集体婚礼颁证'])
  assert.deepEqual(diffStats(parts), { added: 2, removed: 0 })
})

test('equal, empty and one-sided texts', () => {
  assert.deepEqual(textDiff('', ''), [])
  assert.deepEqual(textDiff('同样', '同样'), [{ value: '同样', added: false, removed: false }])
  assert.deepEqual(textDiff('', '新增'), [{ value: '新增', added: true, removed: false }])
  assert.deepEqual(textDiff(null, undefined), [])
  assert.deepEqual(diffStats(textDiff('删去😀', '')), { added: 0, removed: 3 })
})

test('Latin words and numbers are tokens too', () => {
  const parts = textDiff('共发放 1200 元 subsidy', '共发放 1500 元 subsidy')
  assert.deepEqual(sides(parts), ['共发放 1200 元 subsidy', '共发放 1500 元 subsidy'])
  assert.equal(parts.find((p) => p.removed).value, '1200')
  assert.equal(parts.find((p) => p.added).value, '1500')
})

test('huge texts fall back to a line diff and still rebuild both sides', () => {
  const line = (i) => `第${i}行：社区养老服务中心为辖区老人提供助餐、助浴和上门探访服务。`
  const a = Array.from({ length: 4000 }, (_, i) => line(i)).join('\n')
  const b = Array.from({ length: 4000 }, (_, i) => (i % 500 === 0 ? line(i) + '新增' : line(i))).join('\n')
  const started = Date.now()
  const parts = textDiff(a, b)
  assert.ok(Date.now() - started < 5000)
  assert.deepEqual(sides(parts), [a, b])
  assert.ok(diffStats(parts).added >= 16)
})

test('mergeParts folds runs of changes and joins unchanged neighbours', () => {
  const p = (value, added, removed) => ({ value, added, removed })
  assert.deepEqual(mergeParts([p('甲', false, false), p('乙', false, true), p('丙', true, false), p('、', false, false), p('丁', false, true), p('戊', true, false), p('己庚辛', false, false)]), [
    p('甲', false, false), p('乙、丁', false, true), p('丙、戊', true, false), p('己庚辛', false, false),
  ])
  assert.deepEqual(mergeParts([p('a', false, false), p('b', false, false)]), [p('ab', false, false)])
})
