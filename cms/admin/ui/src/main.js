import { createApp } from 'vue'
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import './styles/main.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n, t } from './i18n.js'
import { setUnauthorizedHandler, setNetworkMessage } from './api/client.js'
import { clearSession, refresh } from './session.js'

setNetworkMessage(() => t('errors.network'))
setUnauthorizedHandler(() => {
  clearSession()
  const cur = router.currentRoute.value
  if (cur.name !== 'login') router.replace({ name: 'login', query: { next: cur.fullPath, expired: '1' } })
})

// Re-check the stored session in the background; a 401 sends us to login.
refresh().catch(() => {})

createApp(App).use(i18n).use(router).mount('#app')
