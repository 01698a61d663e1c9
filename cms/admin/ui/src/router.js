import { createRouter, createWebHistory } from 'vue-router'
import { session, signedIn } from './session.js'
import { t } from './i18n.js'

// meta.title is an i18n key; meta.editor limits a screen to editors and
// admins, meta.admin to admins (of the
// site the UI works in), meta.platformAdmin to platform admins (the server
// enforces the same on its endpoints).
const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: 'login.title' } },
  {
    path: '/',
    component: () => import('./components/layout/AppShell.vue'),
    children: [
      { path: '', name: 'dashboard', component: () => import('./views/DashboardView.vue'), meta: { title: 'menu.dashboard' } },
      { path: 'stories', name: 'stories', component: () => import('./views/StoryListView.vue'), meta: { title: 'menu.stories' } },
      { path: 'stories/:id(new|\\d+)', name: 'story-edit', component: () => import('./views/StoryEditView.vue'), meta: { title: 'editor.title' } },
      { path: 'review', name: 'review', component: () => import('./views/ReviewView.vue'), meta: { title: 'menu.review' } },
      { path: 'media', name: 'media', component: () => import('./views/MediaLibraryView.vue'), meta: { title: 'menu.media' } },
      { path: 'interact', name: 'interact', component: () => import('./views/InteractView.vue'), meta: { title: 'menu.interact' } },
      { path: 'interact/report', name: 'interact-report', component: () => import('./views/InteractReportView.vue'), meta: { title: 'menu.interactReport' } },
      { path: 'stats', name: 'stats', component: () => import('./views/StatsView.vue'), meta: { title: 'menu.stats' } },
      { path: 'highlights', name: 'highlights', component: () => import('./views/HighlightsView.vue'), meta: { title: 'menu.highlights', editor: true } },
      { path: 'builds', name: 'builds', component: () => import('./views/BuildsView.vue'), meta: { title: 'menu.builds' } },
      { path: 'inspection', name: 'inspection', component: () => import('./views/InspectionView.vue'), meta: { title: 'menu.inspection', admin: true } },
      { path: 'projects', name: 'projects', component: () => import('./views/ProjectsView.vue'), meta: { title: 'menu.projects', admin: true } },
      { path: 'sites', name: 'sites', component: () => import('./views/SitesView.vue'), meta: { title: 'menu.sites', platformAdmin: true } },
      { path: 'users', name: 'users', component: () => import('./views/UsersView.vue'), meta: { title: 'menu.users', admin: true } },
      { path: 'settings', name: 'settings', component: () => import('./views/SettingsView.vue'), meta: { title: 'menu.settings', admin: true } },
      { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { title: 'menu.audit', admin: true } },
      // Reviewers and editors may look the dictionary up; only admins change it.
      { path: 'dictionary', name: 'dictionary', component: () => import('./views/DictionaryView.vue'), meta: { title: 'menu.dictionary' } },
      { path: 'pages', name: 'pages', component: () => import('./views/PagesView.vue'), meta: { title: 'menu.pages', admin: true } },
      { path: 'apikeys', name: 'apikeys', component: () => import('./views/ApiKeysView.vue'), meta: { title: 'menu.apikeys', admin: true } },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: 'notFound.title' } },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory('/admin/'),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach((to) => {
  if (to.meta.public) {
    if (to.name === 'login' && signedIn() && !to.query.signout) return { name: 'dashboard' }
    return true
  }
  if (!signedIn()) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (to.meta.admin && session.user.role !== 'admin') return { name: 'dashboard' }
  if (to.meta.editor && !['admin', 'editor'].includes(session.user.role)) return { name: 'dashboard' }
  if (to.meta.platformAdmin && !session.user.platform_admin) return { name: 'dashboard' }
  return true
})

router.afterEach((to) => {
  const title = to.meta.title ? t(to.meta.title) : ''
  document.title = [title, t('app.name')].filter(Boolean).join(' · ')
})
