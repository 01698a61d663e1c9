import { reactive } from 'vue'

// useFieldErrors holds the server's error.fields for a form, keyed by JSON
// field name, ready for <el-form-item :error="errors.title">.
export function useFieldErrors() {
  const errors = reactive({})
  function clear() {
    for (const k of Object.keys(errors)) delete errors[k]
  }
  function fromError(err) {
    clear()
    Object.assign(errors, (err && err.fields) || {})
    return Object.keys(errors).length > 0
  }
  return { errors, clear, fromError }
}
