// Media variant helpers. Variant names come from cms/media (w480, w960,
// w1600, cover235, cover11, thumb).

export function variant(m, ...names) {
  if (!m || !m.variants || m.variants.length === 0) return null
  for (const n of names) {
    const v = m.variants.find((x) => x.name === n)
    if (v) return v
  }
  return m.variants[0]
}

export function variantURL(m, ...names) {
  const v = variant(m, ...names)
  return v ? v.url : ''
}

// previewURL is a picture big enough to pick a focal point on.
export const previewURL = (m) => variantURL(m, 'w960', 'w1600', 'w480')
export const thumbURL = (m) => variantURL(m, 'thumb', 'w480')
export const bodyURL = (m) => variantURL(m, 'w960', 'w1600', 'w480')

export function missingAlt(m) {
  return !m.alt || !m.alt.trim()
}

// focusPosition is the CSS object-position that keeps the focal point in
// view, the way the server's crops are cut around it.
export function focusPosition(x, y) {
  const pct = (v) => `${Math.round((Number.isFinite(v) ? v : 0.5) * 1000) / 10}%`
  return `${pct(x)} ${pct(y)}`
}

// Variants staff can tell apart by name (cms/media specs), in the order the
// drawer lists them; their labels are media.variant.<name> in the locales.
export const VARIANT_NAMES = ['w480', 'w960', 'w1600', 'cover235', 'cover11', 'thumb']

// variantLabel names a variant for people: "宽 480 像素（480×360）", via the
// i18n function t. An unknown variant keeps its own name.
export function variantLabel(v, t) {
  const label = VARIANT_NAMES.includes(v.name) ? t('media.variant.' + v.name) : v.name
  return v.width && v.height ? t('media.variantSize', { label, w: v.width, h: v.height }) : label
}

// sortedVariants lists known variants first, in VARIANT_NAMES order.
export function sortedVariants(m) {
  const rank = (v) => {
    const i = VARIANT_NAMES.indexOf(v.name)
    return i < 0 ? VARIANT_NAMES.length : i
  }
  return [...((m && m.variants) || [])].sort((a, b) => rank(a) - rank(b))
}
