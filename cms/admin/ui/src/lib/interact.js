// Helpers of the 群众留言 screens: what a message's state and deadlines
// look like. Everything the public wrote is shown as text (interpolation),
// never as HTML.
import { finalStage } from './workflow.js'

export const STATES = ['pending', 'accepted', 'done', 'rejected']
export const QUEUES = ['overdue', 'hard', 'review']
export const LEVELS = [5, 4, 3, 2, 1]

// stateType is the el-tag type of a message's state.
export function stateType(m) {
  if (m.overdue) return 'danger'
  return { pending: 'warning', accepted: 'primary', done: 'success', rejected: 'info' }[m.state] || 'info'
}

// replyStage is the review stage (1 初审, 2 复审, 3 终审) a reply to be
// published waits at on a site with the given number of stages, or 0 when
// it waits for none. A reply left at a stage the site no longer has waits
// at the final one (cms.ReviewReply).
export function replyStage(m, stages) {
  if (!m || m.publish_state !== 'review') return 0
  return Math.min(Math.max(m.review_stage || 1, 1), finalStage(stages))
}

// actionsFor lists the steps user may take on message m, as the server
// allows them (cms/store/interact.go ActOnMessage): a reply's stage is
// signed by a reviewer of that level or an admin, as with stories.
export function actionsFor(m, user, stages = 3) {
  if (!m || !user) return []
  const admin = user.role === 'admin'
  const handler = admin || (m.assignee_id && m.assignee_id === user.id)
  const unassignedEditor = !m.assignee_id && user.role === 'editor'
  const open = m.state === 'pending' || m.state === 'accepted'
  const out = []
  if (open && (admin || user.role === 'editor')) out.push('accept')
  if ((open || (m.state === 'done' && m.publish_state === 'returned')) && (handler || unassignedEditor)) out.push('reply')
  if (open && (handler || unassignedEditor)) out.push('reject')
  const stage = replyStage(m, stages)
  if (stage && (admin || (user.role === 'reviewer' && user.level === stage))) out.push('approve', 'return')
  return out
}

// shortDate is a date in China time as YYYY-MM-DD HH:mm.
export function shortDate(s) {
  if (!s) return ''
  const d = new Date(new Date(s).getTime() + 8 * 3600 * 1000)
  return d.toISOString().slice(0, 16).replace('T', ' ')
}

// excerpt shortens a message's text for a list.
export function excerpt(text, n = 40) {
  const chars = Array.from(text || '')
  return chars.length > n ? chars.slice(0, n).join('') + '…' : chars.join('')
}
