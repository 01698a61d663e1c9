import { ref, computed } from 'vue'
import { projects as projectsApi } from '@/api/index.js'
import { getSite } from '@/api/client.js'

// Every screen that shows or picks a project shares one cached list, of
// the site the UI works in: a switch to another site loads that one's.
const list = ref([])
let loading = null
let loadedFor = null

async function fetchAll() {
  const site = getSite()
  const out = []
  for (let page = 1; page <= 20; page++) {
    const res = await projectsApi.list({ page, per_page: 100 })
    out.push(...res.items)
    if (out.length >= res.total || res.items.length === 0) break
  }
  if (site === getSite()) list.value = out
  return out
}

export function useProjects() {
  if (loadedFor !== getSite()) {
    loadedFor = getSite()
    list.value = []
    loading = null
  }
  if (!loading) loading = fetchAll().catch((err) => {
    loading = null
    throw err
  })
  const byId = computed(() => new Map(list.value.map((p) => [p.id, p])))
  return {
    projects: list,
    ready: loading,
    projectName: (id) => byId.value.get(id)?.name || (id ? `#${id}` : ''),
    reload: () => (loading = fetchAll()),
  }
}
