// Words for where a check hit is, shared by the check panel and the
// findings under each field.
import { bodyImageIndex } from '@/lib/checks.js'

export const SEVERITY_TAG = { serious: 'danger', warning: 'warning', info: 'info' }

// fieldLabel names a hit's field: 标题, 正文, 正文第 2 张图片 · 替代文字…
export function fieldLabel(t, field) {
  const f = field || ''
  if (['title', 'share_title', 'summary', 'body'].includes(f)) return t('check.field.' + f)
  const part = f.endsWith('.caption') ? t('check.field.caption') : f.endsWith('.alt') ? t('check.field.alt') : ''
  let where = t('check.field.other')
  const n = bodyImageIndex(f)
  if (n) where = t('check.field.image', { n })
  else if (f.startsWith('cover')) where = t('check.field.cover')
  else if (f.startsWith('media:')) where = t('check.field.media')
  return part ? `${where} · ${part}` : where
}
