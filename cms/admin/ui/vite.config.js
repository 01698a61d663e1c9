import { writeFileSync, mkdirSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import Components from 'unplugin-vue-components/vite'
import { elementPlusDirect } from './build/element-plus-direct.js'

const outDir = fileURLToPath(new URL('../dist', import.meta.url))

// keepGitkeep puts back dist/.gitkeep after vite empties the directory:
// the Go embed pattern needs dist to exist even before the first build.
function keepGitkeep() {
  return {
    name: 'huimin-keep-gitkeep',
    apply: 'build',
    closeBundle() {
      mkdirSync(outDir, { recursive: true })
      writeFileSync(`${outDir}/.gitkeep`, '')
    },
  }
}

// A running `huimin serve` answers the API while developing (npm run dev).
const backend = process.env.HUIMIN_BACKEND || 'http://127.0.0.1:18080'

export default defineConfig({
  base: '/admin/',
  plugins: [
    vue(),
    AutoImport({ resolvers: [elementPlusDirect()], dts: false }),
    Components({ resolvers: [elementPlusDirect()], dts: false }),
    keepGitkeep(),
  ],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        // Vue and its router/i18n change rarely: one long-cached chunk.
        // Everything else is split by Rollup along the lazy routes, so the
        // login screen does not load the editor or the date pickers.
        manualChunks(id) {
          if (/node_modules\/(@vue|vue|vue-router|vue-i18n|@intlify)\//.test(id)) return 'vue'
          return undefined
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': backend,
      '/media': backend,
      '/s/': backend,
      '/stories': backend,
    },
  },
})
