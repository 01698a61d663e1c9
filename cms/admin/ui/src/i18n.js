// UI strings live in locales/zh-CN.json (default) and locales/en.json.
import { createI18n } from 'vue-i18n'
import { computed } from 'vue'
import zhCN from './locales/zh-CN.json'
import en from './locales/en.json'
import elZhCn from 'element-plus/es/locale/lang/zh-cn'
import elEn from 'element-plus/es/locale/lang/en'

const LOCALE_KEY = 'huimin.locale'
export const LOCALES = ['zh-CN', 'en']

const saved = localStorage.getItem(LOCALE_KEY)

export const i18n = createI18n({
  legacy: false,
  globalInjection: true,
  locale: LOCALES.includes(saved) ? saved : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export const elementLocale = computed(() => (i18n.global.locale.value === 'en' ? elEn : elZhCn))

export function setLocale(l) {
  i18n.global.locale.value = l
  localStorage.setItem(LOCALE_KEY, l)
  document.documentElement.lang = l
}

document.documentElement.lang = i18n.global.locale.value

export const t = (...args) => i18n.global.t(...args)
