import { test } from 'node:test'
import assert from 'node:assert/strict'
import { actionsFor, replyStage, stateType, excerpt, shortDate } from '../src/lib/interact.js'

test('actionsFor follows the server rules', () => {
  const admin = { id: 1, role: 'admin' }
  const handler = { id: 2, role: 'editor' }
  const other = { id: 3, role: 'editor' }
  const reviewer = { id: 4, role: 'reviewer', level: 1 }
  const pending = { state: 'pending', assignee_id: 0, publish_state: '' }
  assert.deepEqual(actionsFor(pending, admin), ['accept', 'reply', 'reject'])
  assert.deepEqual(actionsFor(pending, reviewer), [])
  const accepted = { state: 'accepted', assignee_id: 2, publish_state: '' }
  assert.deepEqual(actionsFor(accepted, handler), ['accept', 'reply', 'reject'])
  assert.deepEqual(actionsFor(accepted, other), ['accept'])
  const review = { state: 'done', assignee_id: 2, publish_state: 'review', review_stage: 1 }
  assert.deepEqual(actionsFor(review, reviewer), ['approve', 'return'])
  assert.deepEqual(actionsFor(review, handler), [])
  assert.deepEqual(actionsFor({ state: 'done', assignee_id: 2, publish_state: 'returned' }, handler), ['reply'])
})

test('a reply is signed at its stage by a reviewer of that level or an admin', () => {
  const admin = { id: 1, role: 'admin' }
  const r = (level) => ({ id: 10 + level, role: 'reviewer', level })
  const atStage2 = { state: 'done', assignee_id: 2, publish_state: 'review', review_stage: 2 }
  assert.deepEqual(actionsFor(atStage2, r(1), 3), [])
  assert.deepEqual(actionsFor(atStage2, r(2), 3), ['approve', 'return'])
  assert.deepEqual(actionsFor(atStage2, r(3), 3), [])
  assert.deepEqual(actionsFor(atStage2, admin, 3), ['approve', 'return'])
  // Stages lowered to 1: the reply waits at the final stage.
  assert.equal(replyStage(atStage2, 1), 1)
  assert.deepEqual(actionsFor(atStage2, r(1), 1), ['approve', 'return'])
  assert.equal(replyStage({ publish_state: 'published', review_stage: 0 }, 3), 0)
  assert.deepEqual(actionsFor({ state: 'done', publish_state: 'published', review_stage: 0 }, r(3), 3), [])
})

test('overdue messages are shown as danger', () => {
  assert.equal(stateType({ state: 'accepted', overdue: true }), 'danger')
  assert.equal(stateType({ state: 'done' }), 'success')
})

test('excerpt and dates', () => {
  assert.equal(excerpt('一二三四五', 3), '一二三…')
  assert.equal(excerpt('<b>x</b>', 10), '<b>x</b>')
  assert.equal(shortDate('2026-12-06T00:14:50Z'), '2026-12-06 08:14')
})
