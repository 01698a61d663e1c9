// The signed-in user and the site settings every screen needs (review
// stages decide which workflow buttons show).
import { reactive, computed } from 'vue'
import { auth, settings as settingsApi } from './api/index.js'
import { getToken, setToken } from './api/client.js'

const USER_KEY = 'huimin.user'

function storedUser() {
  try {
    return JSON.parse(localStorage.getItem(USER_KEY) || 'null')
  } catch {
    return null
  }
}

export const session = reactive({
  user: getToken() ? storedUser() : null,
  reviewStages: 3,
  siteName: '',
})

export const isAdmin = computed(() => session.user?.role === 'admin')
export const isReviewer = computed(() => session.user?.role === 'reviewer')

export function signedIn() {
  return !!getToken() && !!session.user
}

export async function login(username, password) {
  const res = await auth.login(username, password)
  setToken(res.token)
  session.user = res.user
  localStorage.setItem(USER_KEY, JSON.stringify(res.user))
  loadSettings()
  return res.user
}

// refresh re-reads the user behind the stored token (role changes, expiry).
export async function refresh() {
  if (!getToken()) return null
  const u = await auth.me()
  session.user = u
  localStorage.setItem(USER_KEY, JSON.stringify(u))
  loadSettings()
  return u
}

export async function loadSettings() {
  try {
    const s = await settingsApi.get()
    session.reviewStages = s.review_stages || 3
    session.siteName = s.site_name || ''
  } catch {
    // Non-fatal: the workflow bar falls back to three stages.
  }
}

export function clearSession() {
  setToken('')
  localStorage.removeItem(USER_KEY)
  session.user = null
}

export async function logout() {
  try {
    await auth.logout()
  } catch {
    // The token may already be gone; signing out locally is what matters.
  }
  clearSession()
}
