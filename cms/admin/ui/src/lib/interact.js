// Helpers of the 群众留言 screens: what a message's state and deadlines
// look like. Everything the public wrote is shown as text (interpolation),
// never as HTML.

export const STATES = ['pending', 'accepted', 'done', 'rejected']
export const QUEUES = ['overdue', 'hard', 'review']
export const LEVELS = [5, 4, 3, 2, 1]

// stateType is the el-tag type of a message's state.
export function stateType(m) {
  if (m.overdue) return 'danger'
  return { pending: 'warning', accepted: 'primary', done: 'success', rejected: 'info' }[m.state] || 'info'
}

// actionsFor lists the steps user may take on message m, as the server
// allows them (cms/store/interact.go ActOnMessage).
export function actionsFor(m, user) {
  if (!m || !user) return []
  const admin = user.role === 'admin'
  const handler = admin || (m.assignee_id && m.assignee_id === user.id)
  const unassignedEditor = !m.assignee_id && user.role === 'editor'
  const open = m.state === 'pending' || m.state === 'accepted'
  const out = []
  if (open && (admin || user.role === 'editor')) out.push('accept')
  if ((open || (m.state === 'done' && m.publish_state === 'returned')) && (handler || unassignedEditor)) out.push('reply')
  if (open && (handler || unassignedEditor)) out.push('reject')
  if (m.publish_state === 'review' && (admin || user.role === 'reviewer')) out.push('approve', 'return')
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
