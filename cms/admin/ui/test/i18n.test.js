// Every message key the source uses exists in both locale files, and both
// files have the same keys.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../src/', import.meta.url).pathname
const zh = JSON.parse(readFileSync(join(root, 'locales/zh-CN.json'), 'utf8'))
const en = JSON.parse(readFileSync(join(root, 'locales/en.json'), 'utf8'))

function keys(o, p = '') {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, p + k + '.') : [p + k]))
}
function lookup(o, path) {
  return path.split('.').reduce((x, k) => (x && typeof x === 'object' ? x[k] : undefined), o)
}
function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : /\.(vue|js)$/.test(f) ? [p] : []
  })
}

test('locale files have the same keys', () => {
  assert.deepEqual(keys(zh).sort(), keys(en).sort())
})

test('every key used in the source exists', () => {
  const missing = []
  for (const f of files(root)) {
    const src = readFileSync(f, 'utf8')
    for (const m of src.matchAll(/\$?\bt\('([a-zA-Z][\w.]*)'(\s*\+)?/g)) {
      const [, key, dynamic] = m
      for (const [name, msgs] of [['zh-CN', zh], ['en', en]]) {
        const v = lookup(msgs, key.replace(/\.$/, ''))
        const ok = dynamic || key.endsWith('.') ? v && typeof v === 'object' : typeof v === 'string'
        if (!ok) missing.push(`${name}: ${key} (${f.slice(root.length)})`)
      }
    }
    for (const m of src.matchAll(/meta: \{[^}]*title: '([\w.]+)'/g)) {
      if (typeof lookup(zh, m[1]) !== 'string' || typeof lookup(en, m[1]) !== 'string') missing.push(`route title ${m[1]}`)
    }
  }
  assert.deepEqual(missing, [])
})

test('no message uses vue-i18n special characters by accident', () => {
  for (const k of keys(zh)) {
    const v = lookup(zh, k)
    assert.ok(!/[|@$]/.test(v), `${k}: ${v}`)
  }
})
