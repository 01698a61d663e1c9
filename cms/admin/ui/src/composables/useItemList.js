import { ref, onMounted } from 'vue'
import { useI18n } from 'vue-i18n'
import { ElMessageBox } from '@/lib/ui.js'
import { showError, showSuccess } from '@/lib/notify.js'

// useItemList serves the admin screens that list every item of one kind
// (dictionary terms, standing pages, API keys): it loads them when the
// screen opens, and runs a destructive action only after the user agreed,
// then reloads. fetch returns the server's { items }.
export function useItemList(fetch) {
  const { t } = useI18n()
  const items = ref([])
  const loading = ref(false)

  async function load() {
    loading.value = true
    try {
      items.value = (await fetch()).items
    } catch (err) {
      showError(err)
    } finally {
      loading.value = false
    }
  }

  // confirmThen asks question with a button saying button; if the user
  // agrees it runs action, says done, and reloads.
  async function confirmThen(question, button, action, done) {
    try {
      await ElMessageBox.confirm(question, t('common.confirm'), { type: 'warning', confirmButtonText: button, cancelButtonText: t('common.cancel') })
    } catch {
      return
    }
    try {
      await action()
      showSuccess(done)
    } catch (err) {
      showError(err)
    }
    load()
  }

  onMounted(load)
  return { items, loading, load, confirmThen }
}
