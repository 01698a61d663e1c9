import { test } from 'node:test'
import assert from 'node:assert/strict'
import { allowedActions, waitsFor, hasPendingChanges } from '../src/lib/workflow.js'

const admin = { id: 1, role: 'admin', level: 0 }
const editor = { id: 2, role: 'editor', level: 0 }
const r = (level, id = 10 + level) => ({ id, role: 'reviewer', level })
const story = (over) => ({ id: 5, status: 'draft', review_stage: 0, live_version: 0, version: 3, created_by: 2, ...over })

test('drafts: editors and authors submit; admins may also publish directly', () => {
  assert.deepEqual(allowedActions(story(), editor, 3), ['submit'])
  assert.deepEqual(allowedActions(story(), admin, 3), ['submit', 'publish'])
  assert.deepEqual(allowedActions(story(), r(1), 3), [])
  assert.deepEqual(allowedActions(story({ created_by: 11 }), r(1), 3), ['submit'])
})

test('in review: only the reviewer of the current stage acts', () => {
  const s = story({ status: 'in_review', review_stage: 2 })
  assert.deepEqual(allowedActions(s, r(1), 3), [])
  assert.deepEqual(allowedActions(s, r(2), 3), ['approve', 'reject'])
  assert.deepEqual(allowedActions(s, r(3), 3), [])
  assert.deepEqual(allowedActions(s, editor, 3), [])
  assert.deepEqual(allowedActions(s, admin, 3), ['approve', 'reject', 'publish'])
})

test('approved: the final stage publishes, following the number of stages', () => {
  const s = story({ status: 'approved' })
  assert.deepEqual(allowedActions(s, r(3), 3), ['reject', 'publish'])
  assert.deepEqual(allowedActions(s, r(2), 3), [])
  assert.deepEqual(allowedActions(s, r(2), 2), ['reject', 'publish'])
})

test('live stories can be unpublished by the final stage', () => {
  const s = story({ status: 'published', live_version: 3 })
  assert.deepEqual(allowedActions(s, r(3), 3), ['unpublish'])
  assert.deepEqual(allowedActions(s, admin, 3), ['unpublish'])
  assert.deepEqual(allowedActions(s, editor, 3), [])
  const edited = story({ status: 'draft', live_version: 3, version: 4 })
  assert.deepEqual(allowedActions(edited, editor, 3), ['submit'])
  assert.ok(hasPendingChanges(edited))
  assert.ok(!hasPendingChanges(s))
})

test('unsaved stories offer nothing', () => {
  assert.deepEqual(allowedActions(null, admin, 3), [])
  assert.deepEqual(allowedActions({ status: 'draft' }, admin, 3), [])
})

test('inbox: a reviewer sees their own stage; the final one also approved stories', () => {
  const s2 = story({ status: 'in_review', review_stage: 2 })
  assert.ok(waitsFor(s2, r(2), 3))
  assert.ok(!waitsFor(s2, r(1), 3))
  assert.ok(waitsFor(story({ status: 'approved' }), r(3), 3))
  assert.ok(!waitsFor(story({ status: 'approved' }), r(2), 3))
  assert.ok(!waitsFor(s2, editor, 3))
})
