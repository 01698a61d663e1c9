// The signed-in user and the site settings every screen needs (review
// stages decide which workflow buttons show).
import { reactive, computed } from 'vue'
import { auth, settings as settingsApi, sites as sitesApi } from './api/index.js'
import { getToken, setToken, getSite, setSite } from './api/client.js'

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
  // siteId is the site the calls act in (what GET /auth/me says); sites
  // are the sites the user may switch between, for the switcher.
  siteId: 0,
  sites: [],
  // siteEpoch counts switches: the shell re-creates the current screen
  // when it changes, so every screen reloads its data for the new site.
  siteEpoch: 0,
  // overview says the site is the platform's overview site (the city
  // bureau's), which has the 全市服务品牌 screen.
  overview: false,
})

export const isAdmin = computed(() => session.user?.role === 'admin')
export const isReviewer = computed(() => session.user?.role === 'reviewer')
export const isPlatformAdmin = computed(() => !!session.user?.platform_admin)
// hasManySites says whether the switcher shows: a platform admin or a user
// with a role in more than one site.
export const hasManySites = computed(() => isPlatformAdmin.value || (session.user?.sites || []).length > 1)

export function signedIn() {
  return !!getToken() && !!session.user
}

function keepUser(u) {
  session.user = u
  session.siteId = u.site_id || 0
  localStorage.setItem(USER_KEY, JSON.stringify(u))
}

// mayUse says whether u may act in the site with id (a string or number).
function mayUse(u, id) {
  return !!u.platform_admin || (u.sites || []).some((r) => String(r.site_id) === String(id))
}

export async function login(username, password) {
  const res = await auth.login(username, password)
  setToken(res.token)
  // The site chosen last time stays chosen if this user may work there.
  if (getSite() && !mayUse(res.user, getSite())) setSite('')
  session.user = res.user
  await refresh()
  return session.user
}

// refresh re-reads the user behind the stored token (role changes, expiry)
// with their role in the site the calls act in.
export async function refresh() {
  if (!getToken()) return null
  const u = await meSomewhere()
  keepUser(u)
  loadSettings()
  loadSites()
  loadOverview()
  return u
}

// meSomewhere asks who the user is in the chosen site. A site that is
// gone (404) gives way to the address's site; a site the user has no role
// in (and is no platform admin of) gives way to the first of their sites.
async function meSomewhere() {
  let u
  try {
    u = await auth.me()
  } catch (err) {
    if (err.status !== 404 || !getSite()) throw err
    setSite('')
    u = await auth.me()
  }
  if (u.role || u.platform_admin) return u
  const first = (u.sites || [])[0]
  if (!first) return u
  setSite(first.site_id)
  return auth.me()
}

// loadSites fetches the names of the sites the switcher offers.
export async function loadSites() {
  if (!hasManySites.value) {
    session.sites = []
    return
  }
  try {
    session.sites = (await sitesApi.list()).items
  } catch {
    // Non-fatal: without names the switcher stays hidden.
    session.sites = []
  }
}

// switchSite makes every later call act in site id, re-reads the user's
// role there and the site's settings, and has the screen reload.
export async function switchSite(id) {
  const before = getSite()
  setSite(id)
  try {
    keepUser(await auth.me())
  } catch (err) {
    setSite(before)
    throw err
  }
  await loadSettings()
  await loadOverview()
  session.siteEpoch++
}

// loadOverview learns whether the site the calls act in has overview on:
// GET /sites lists every site one may work in, with its flag.
export async function loadOverview() {
  try {
    const list = (await sitesApi.list()).items || []
    session.overview = list.some((s) => s.id === session.siteId && s.overview)
  } catch {
    session.overview = false
  }
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
  session.sites = []
  session.siteId = 0
  session.overview = false
}

export async function logout() {
  try {
    await auth.logout()
  } catch {
    // The token may already be gone; signing out locally is what matters.
  }
  clearSession()
}
