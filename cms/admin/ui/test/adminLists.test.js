// Helpers of the dictionary screen and the media drawer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { filterTerms, TERM_KINDS, SEVERITIES } from '../src/lib/options.js'
import { variantLabel, sortedVariants, VARIANT_NAMES } from '../src/lib/media.js'

const terms = [
  { id: 1, term: '五保户', kind: 'forbidden', severity: 'warning', suggestion: '特困人员', note: '2014年起统一为特困人员救助供养' },
  { id: 2, term: '残废', kind: 'forbidden', severity: 'serious', suggestion: '残疾', note: '歧视性称谓' },
  { id: 3, term: '婚姻登机', kind: 'error', severity: 'serious', suggestion: '婚姻登记', note: '' },
  { id: 4, term: 'Low Income', kind: 'sensitive', severity: 'info', suggestion: '', note: null },
]

test('the dictionary kinds and severities are the server\'s (cms/wording.go)', () => {
  assert.deepEqual(TERM_KINDS, ['error', 'forbidden', 'sensitive', 'keep'])
  assert.deepEqual(SEVERITIES, ['serious', 'warning', 'info'])
})

test('filterTerms searches term, suggestion and note, and filters by kind and severity', () => {
  const ids = (f) => filterTerms(terms, f).map((x) => x.id)
  assert.deepEqual(ids({}), [1, 2, 3, 4])
  assert.deepEqual(ids({ q: '特困' }), [1])
  assert.deepEqual(ids({ q: '  婚姻登记 ' }), [3])
  assert.deepEqual(ids({ q: '歧视' }), [2])
  assert.deepEqual(ids({ q: 'low' }), [4])
  assert.deepEqual(ids({ kind: 'forbidden' }), [1, 2])
  assert.deepEqual(ids({ severity: 'serious' }), [2, 3])
  assert.deepEqual(ids({ kind: 'forbidden', severity: 'serious' }), [2])
  assert.deepEqual(ids({ q: '残', kind: 'error' }), [])
})

// A stand-in for vue-i18n's t with the Chinese messages.
const zh = { 'media.variant.w480': '宽 480 像素', 'media.variant.cover235': '微信封面 2.35:1', 'media.variant.cover11': '微信封面 1:1' }
const t = (key, args) => (key === 'media.variantSize' ? `${args.label}（${args.w}×${args.h}）` : zh[key] || key)

test('variantLabel names variants in words with their pixel size', () => {
  assert.equal(variantLabel({ name: 'w480', width: 480, height: 360 }, t), '宽 480 像素（480×360）')
  assert.equal(variantLabel({ name: 'cover235', width: 900, height: 383 }, t), '微信封面 2.35:1（900×383）')
  assert.equal(variantLabel({ name: 'cover11', width: 600, height: 600 }, t), '微信封面 1:1（600×600）')
  // A variant the UI does not know keeps its name rather than a missing key.
  assert.equal(variantLabel({ name: 'w2400', width: 2400, height: 1800 }, t), 'w2400（2400×1800）')
  assert.equal(variantLabel({ name: 'w480' }, t), '宽 480 像素')
})

test('sortedVariants lists widths first, then the covers, unknown ones last', () => {
  const m = { variants: ['thumb', 'cover11', 'w1600', 'x', 'cover235', 'w480', 'w960'].map((name) => ({ name })) }
  assert.deepEqual(sortedVariants(m).map((v) => v.name), [...VARIANT_NAMES, 'x'])
  assert.deepEqual(sortedVariants(null), [])
  assert.equal(m.variants[0].name, 'thumb', 'the media item is not reordered in place')
})
