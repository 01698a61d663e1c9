import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Schema } from '@tiptap/pm/model'
import {
  serverText, runeToIndex, occurrenceIndex, nthOccurrence, prepareHits, replaceOccurrence,
  docText, locateInDoc, bodyImageIndex, locatable,
} from '../src/lib/checks.js'

const schema = new Schema({
  nodes: {
    doc: { content: 'block+' },
    paragraph: { group: 'block', content: 'inline*' },
    heading: { group: 'block', content: 'inline*' },
    text: { group: 'inline' },
    hard_break: { group: 'inline', inline: true },
  },
  marks: { bold: {} },
})
const p = (...c) => schema.node('paragraph', null, c)
const h = (...c) => schema.node('heading', null, c)
const txt = (s, bold) => schema.text(s, bold ? [schema.mark('bold')] : [])

test('serverText follows the server: block ends as line breaks, entities decoded, spaces squeezed', () => {
  assert.equal(serverText('<h2>一、概况</h2><p>张灯&amp;结彩&nbsp;&nbsp; 五保户</p><p></p><p>第二段<br>换行</p>'),
    '一、概况\n张灯&结彩 五保户\n第二段\n换行')
  assert.equal(serverText('<figure><img src="/a.jpg" alt="孤儿院"><figcaption>合影</figcaption></figure>'), '合影')
})

test('runeToIndex counts code points like Go runes', () => {
  assert.equal(runeToIndex('😀残废', 1), 2)
  assert.equal(runeToIndex('残废', 5), 2)
})

test('a hit is the k-th occurrence of its term', () => {
  const text = '五保户甲，五保户乙，ABC与abc'
  assert.equal(occurrenceIndex(text, '五保户', 0), 0)
  assert.equal(occurrenceIndex(text, '五保户', 5), 1)
  assert.equal(nthOccurrence(text, '五保户', 1), 5)
  assert.equal(nthOccurrence(text, '五保户', 2), -1)
  // ASCII case is ignored, as by the server's matcher.
  assert.equal(occurrenceIndex(text, 'abc', 14), 1)
})

test('prepareHits puts serious hits first and finds k in the saved text', () => {
  const saved = { title: '走访孤儿院', share_title: '', summary: '', body: '<p>前言</p><p>看望五保户和残废军人，五保户</p>' }
  const items = [
    { check: 'dictionary', field: 'title', position: 2, length: 3, term: '孤儿院', severity: 'warning', suggestion: '儿童福利院' },
    { check: 'dictionary', field: 'body', position: 5, length: 3, term: '五保户', severity: 'warning', suggestion: '特困人员' },
    { check: 'dictionary', field: 'body', position: 9, length: 2, term: '残废', severity: 'serious', suggestion: '残疾' },
    { check: 'dictionary', field: 'body', position: 14, length: 3, term: '五保户', severity: 'warning', suggestion: '特困人员' },
    { check: 'image_alt', field: 'body.img[2].alt', position: 0, length: 0, severity: 'warning', message: '缺少替代文字' },
  ]
  const hits = prepareHits(items, saved)
  assert.deepEqual(hits.map((x) => [x.field, x.term || '', x.k]), [
    ['body', '残废', 0], ['title', '孤儿院', 0], ['body', '五保户', 0], ['body', '五保户', 1], ['body.img[2].alt', '', -1],
  ])
  assert.equal(new Set(hits.map((x) => x.id)).size, 5)
  assert.equal(locatable(hits[0]), true)
  assert.equal(locatable(hits[4]), false)
  assert.equal(bodyImageIndex(hits[4].field), 2)
  assert.equal(bodyImageIndex('cover.alt'), 0)
})

test('replaceOccurrence replaces only the k-th occurrence', () => {
  assert.equal(replaceOccurrence('五保户与五保户', '五保户', 1, '特困人员'), '五保户与特困人员')
  assert.equal(replaceOccurrence('已改好', '五保户', 0, '特困人员'), null)
})

test('locateInDoc maps a term across marks to document positions', () => {
  const doc = schema.node('doc', null, [
    h(txt('五保户的故事')),
    p(txt('他是'), txt('五保', true), txt('户，也是残废军人。')),
    p(txt('五保户'), schema.node('hard_break'), txt('户口')),
  ])
  const dt = docText(doc)
  assert.equal(dt.text, '五保户的故事\n他是五保户，也是残废军人。\n五保户\n户口')
  for (const [k, want] of [[0, '五保户'], [1, '五保户'], [2, '五保户']]) {
    const r = locateInDoc(doc, '五保户', k, dt)
    assert.ok(r, `occurrence ${k}`)
    assert.equal(doc.textBetween(r.from, r.to), want)
  }
  const second = locateInDoc(doc, '五保户', 1, dt)
  // Inside the second paragraph: after the heading (8 positions) and "他是".
  assert.equal(second.from, 8 + 1 + 2)
  assert.equal(locateInDoc(doc, '五保户', 3, dt), null)
  const r = locateInDoc(doc, '残废', 0, dt)
  assert.equal(doc.textBetween(r.from, r.to), '残废')
  // No match across a hard break.
  assert.equal(locateInDoc(doc, '户户', 0, dt), null)
})
