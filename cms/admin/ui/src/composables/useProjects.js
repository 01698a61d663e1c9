import { ref, computed } from 'vue'
import { projects as projectsApi } from '@/api/index.js'

// Every screen that shows or picks a project shares one cached list.
const list = ref([])
let loading = null

async function fetchAll() {
  const out = []
  for (let page = 1; page <= 20; page++) {
    const res = await projectsApi.list({ page, per_page: 100 })
    out.push(...res.items)
    if (out.length >= res.total || res.items.length === 0) break
  }
  list.value = out
  return out
}

export function useProjects() {
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
