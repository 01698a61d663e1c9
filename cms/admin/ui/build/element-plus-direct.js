// elementPlusDirect wraps unplugin-vue-components' ElementPlusResolver so
// that each component is imported from its own module
// (element-plus/es/components/<dir>/index.mjs) instead of the package root.
// Importing from the root keeps Element Plus's installer, which lists every
// component, and the bundle then carries all of them (measured: 934 kB of
// JS instead of the few hundred the screens use).
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

function exportMap() {
  const require = createRequire(import.meta.url)
  const root = join(dirname(require.resolve('element-plus/package.json')), 'es', 'components')
  const map = new Map()
  for (const dir of readdirSync(root)) {
    const file = join(root, dir, 'index.mjs')
    if (!existsSync(file)) continue
    const src = readFileSync(file, 'utf8')
    for (const m of src.matchAll(/export\s*\{([^}]*)\}\s*;/g)) {
      for (const part of m[1].split(',')) {
        const name = part.trim().split(/\s+as\s+/).pop()
        if (/^El[A-Z]/.test(name) && !map.has(name)) map.set(name, `element-plus/es/components/${dir}/index.mjs`)
      }
    }
  }
  return map
}

export function elementPlusDirect(options) {
  const map = exportMap()
  return ElementPlusResolver(options).map((r) => ({
    ...r,
    resolve: async (name) => {
      const res = await r.resolve(name)
      if (!res || typeof res === 'string' || !res.from || !res.from.startsWith('element-plus/es')) return res
      const exportName = res.name || name
      const from = map.get(exportName)
      return from ? { ...res, from } : res
    },
  }))
}
