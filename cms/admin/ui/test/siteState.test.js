// The dashboard's stale-site banner (issue 12 item 10).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { staleSite } from '../src/lib/siteState.js'

const b = (id, status) => ({ id, status })

test('staleSite is null while the newest finished build succeeded', () => {
  assert.equal(staleSite([]), null)
  assert.equal(staleSite(undefined), null)
  assert.equal(staleSite([b(3, 'succeeded'), b(2, 'failed'), b(1, 'succeeded')]), null)
  assert.equal(staleSite([b(4, 'running'), b(3, 'succeeded')]), null)
})

test('staleSite names the failed build and the live one while a newer build failed', () => {
  assert.deepEqual(staleSite([b(5, 'failed'), b(4, 'succeeded')]), { failed: b(5, 'failed'), live: b(4, 'succeeded') })
  // A retry queued after the failure does not make the site current.
  assert.deepEqual(staleSite([b(6, 'queued'), b(5, 'failed'), b(4, 'succeeded')]), { failed: b(5, 'failed'), live: b(4, 'succeeded') })
  // Order of the list does not matter; the newest failure is named.
  assert.deepEqual(staleSite([b(4, 'succeeded'), b(5, 'failed'), b(7, 'failed')]), { failed: b(7, 'failed'), live: b(4, 'succeeded') })
  // No good build in the list at all.
  assert.deepEqual(staleSite([b(2, 'failed'), b(1, 'failed')]), { failed: b(2, 'failed'), live: null })
})
