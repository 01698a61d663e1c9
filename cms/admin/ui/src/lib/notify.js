// Messages to the user. Server errors are shown with the server's own text
// (it is written for staff, in Chinese); field errors go next to fields.
import { ElMessage } from './ui.js'

export function showError(err) {
  if (err && err.name === 'AbortError') return
  ElMessage({ type: 'error', message: (err && err.message) || String(err), showClose: true, duration: 6000, grouping: true })
}

export function showSuccess(message) {
  ElMessage({ type: 'success', message, duration: 2500, grouping: true })
}

export function showWarning(message) {
  ElMessage({ type: 'warning', message, showClose: true, duration: 5000, grouping: true })
}
