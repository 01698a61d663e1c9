// Unsaved story edits are mirrored in localStorage so that nothing typed is
// lost to a closed tab, a crash, a failed save or a conflict.

const key = (id) => `huimin.backup.story.${id || 'new'}`

export function loadBackup(id) {
  try {
    return JSON.parse(localStorage.getItem(key(id)) || 'null')
  } catch {
    return null
  }
}

export function saveBackup(id, version, form) {
  try {
    localStorage.setItem(key(id), JSON.stringify({ version, form, at: new Date().toISOString() }))
  } catch {
    // Storage full or disabled: the server copy is still there.
  }
}

export function dropBackup(id) {
  localStorage.removeItem(key(id))
}
