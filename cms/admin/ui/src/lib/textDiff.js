// textDiff compares two plain texts for the revision and conflict views.
// Character diffs suit Chinese (no spaces between words); very different
// long texts fall back to a line diff so the page never stalls.
import { diffChars, diffLines } from 'diff'

export function textDiff(a, b) {
  const parts = diffChars(a || '', b || '', { timeout: 800 }) || diffLines(a || '', b || '')
  return parts.map((p) => ({ value: p.value, added: !!p.added, removed: !!p.removed }))
}

// diffStats counts the characters added and removed.
export function diffStats(parts) {
  let added = 0
  let removed = 0
  for (const p of parts) {
    if (p.added) added += [...p.value].length
    else if (p.removed) removed += [...p.value].length
  }
  return { added, removed }
}
