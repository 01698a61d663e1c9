// textDiff compares two plain texts for the revision and conflict views.
// Chinese has no spaces between words, and a character diff chops its
// sentences into confetti ("残疾" vs "残废" shows as 疾/废 swapped inside a
// word). So the texts are cut into words with Intl.Segmenter, the word
// lists are diffed, and changes separated only by a punctuation mark, a
// space or a single character are merged into one replaced phrase. Very
// long or very different texts fall back to a line diff so the page never
// stalls.
import { diffArrays, diffLines } from 'diff'

// Above this many words a side is diffed by lines straight away.
const MAX_TOKENS = 30000
// Above this many characters a side is not even cut into words.
const MAX_CHARS = 200000
// ICU's dictionary word breaking slows down more than linearly with the
// length of the text it is given, so it is fed clauses of at most this
// many characters.
const MAX_CHUNK = 500
// Milliseconds the word diff may take before giving up for the line diff.
const TIMEOUT_MS = 800

let segmenter = null
function wordSegmenter() {
  if (segmenter === null) {
    try {
      segmenter = new Intl.Segmenter('zh', { granularity: 'word' })
    } catch {
      segmenter = false
    }
  }
  return segmenter
}

// tokens cuts text into words (Chinese words, Latin words, numbers,
// punctuation and runs of spaces each make one token); without
// Intl.Segmenter, into characters.
export function tokens(text) {
  if (!text) return []
  const seg = wordSegmenter()
  if (!seg) return Array.from(text)
  const out = []
  for (const clause of text.split(/(?<=[\n。！？；，、!?;,])/)) {
    for (let i = 0; i < clause.length; i += MAX_CHUNK) {
      let end = Math.min(clause.length, i + MAX_CHUNK)
      // Never split a surrogate pair.
      if (end < clause.length && /[\ud800-\udbff]/.test(clause[end - 1])) end++
      for (const s of seg.segment(clause.slice(i, end))) out.push(s.segment)
      i = end - MAX_CHUNK
    }
  }
  return out
}

function part(value, added, removed) {
  return { value, added: !!added, removed: !!removed }
}

// glue reports whether an unchanged piece between two changes is so small
// that showing it on its own only breaks up the change: a space, a
// punctuation mark or one character.
function glue(value) {
  if (value.includes('\n')) return false
  if (/^[\s\p{P}\p{S}]+$/u.test(value) && Array.from(value.trim()).length <= 2) return true
  return Array.from(value).length <= 1
}

// merge folds each run of changes (with the glue between them) into one
// removed part followed by one added part, and joins neighbouring
// unchanged parts.
export function mergeParts(parts) {
  const out = []
  let removed = ''
  let added = ''
  let open = false
  const flush = () => {
    if (removed) out.push(part(removed, false, true))
    if (added) out.push(part(added, true, false))
    removed = ''
    added = ''
    open = false
  }
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]
    if (p.added || p.removed) {
      if (p.removed) removed += p.value
      else added += p.value
      open = true
      continue
    }
    const next = parts[i + 1]
    if (open && next && (next.added || next.removed) && glue(p.value)) {
      removed += p.value
      added += p.value
      continue
    }
    flush()
    const last = out[out.length - 1]
    if (last && !last.added && !last.removed) last.value += p.value
    else if (p.value) out.push(part(p.value, false, false))
  }
  flush()
  return out
}

// textDiff returns the parts of the change from a to b: { value, added,
// removed }; unchanged parts have neither flag. Joining the parts that are
// not added gives a, those not removed give b.
export function textDiff(a, b) {
  a = a || ''
  b = b || ''
  if (a === b) return a ? [part(a, false, false)] : []
  let raw = null
  const small = a.length <= MAX_CHARS && b.length <= MAX_CHARS
  const ta = small ? tokens(a) : []
  const tb = small ? tokens(b) : []
  if (small && ta.length <= MAX_TOKENS && tb.length <= MAX_TOKENS) {
    const d = diffArrays(ta, tb, { timeout: TIMEOUT_MS })
    if (d) raw = d.map((p) => part(p.value.join(''), p.added, p.removed))
  }
  if (!raw) raw = diffLines(a, b).map((p) => part(p.value, p.added, p.removed))
  return mergeParts(raw)
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
