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
