import { ref } from 'vue'

// useVersionedEdit keeps the version an admin dialog edits (a page, a
// dictionary term, a brand, a user) and what happens when a save finds that
// someone saved first: the server answers 409 with the current record, and
// the user chooses to take theirs (the form is filled with it) or to
// overwrite (save again on top of their version). Nothing is overwritten
// without that choice.
//
// fill(record) puts a record into the form; save() saves the form;
// taken(record) is told when the user took the other version.
export function useVersionedEdit({ fill, save, taken = () => {} }) {
  const base = ref(null) // the record the form is based on; null when creating
  const conflict = ref(null) // { message, current } after a 409

  function start(record) {
    base.value = record
    conflict.value = null
    fill(record)
  }

  // conflicted notes err if it is a conflict and reports whether it was.
  function conflicted(err) {
    if (err?.status !== 409 || !err.current) return false
    conflict.value = { message: err.message, current: err.current }
    return true
  }

  function takeTheirs() {
    const cur = conflict.value.current
    start(cur)
    taken(cur)
  }

  function overwrite() {
    base.value = { ...base.value, version: conflict.value.current.version }
    conflict.value = null
    return save()
  }

  return { base, conflict, start, conflicted, takeTheirs, overwrite }
}
