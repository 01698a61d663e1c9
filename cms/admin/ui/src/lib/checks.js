// The wording and form checks (GET /stories/{id}/check) on the editor side:
// ordering the hits, and finding each one again in text the user may have
// changed since the check ran.
//
// The server counts a hit's position in runes of the field's text (for the
// body, the text of the saved HTML). The editor's text is extracted
// differently (block breaks, spaces) and may have been edited, so a hit is
// found by its term instead: it is the k-th occurrence of the term in the
// saved text, and the k-th occurrence in the editor's text is taken as the
// same place.

export const SEVERITIES = ['serious', 'warning', 'info']
// Fields edited as plain text above the body.
export const TEXT_FIELDS = ['title', 'share_title', 'summary']
const FIELD_ORDER = ['title', 'share_title', 'summary', 'body', 'cover']

// fieldRank orders fields top to bottom as the editor shows them; the
// body's images come after the body's text.
function fieldRank(field) {
  const i = FIELD_ORDER.findIndex((f) => field === f || field.startsWith(f + '.'))
  if (i < 0) return FIELD_ORDER.length * 2
  return i * 2 + (field === FIELD_ORDER[i] ? 0 : 1)
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' }

function unescapeHTML(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z][a-z0-9]*);/gi, (m, e) => {
    const k = e.toLowerCase()
    if (k in ENTITIES) return ENTITIES[k]
    try {
      if (k.startsWith('#x')) return String.fromCodePoint(parseInt(k.slice(2), 16))
      if (k.startsWith('#')) return String.fromCodePoint(parseInt(k.slice(1), 10))
    } catch {
      return m
    }
    return m
  })
}

// serverText is the server's markup.Text: the text of an HTML body whose
// rune offsets hits of the field "body" count in.
export function serverText(html) {
  if (!html) return ''
  let s = html.replace(/<\/(p|div|h[1-6]|li|blockquote|tr|figcaption|section)>|<br\s*\/?>/gi, '\n')
  s = s.replace(/<[^>]*>/g, '')
  s = unescapeHTML(s)
  s = s.replace(/\u00a0/g, ' ').replace(/[ \t\r\f\v]+/g, ' ').replace(/\n\s*\n+/g, '\n')
  return s.trim()
}

// runeToIndex converts an offset in runes (code points) to one in UTF-16
// code units.
export function runeToIndex(text, runes) {
  let i = 0
  let n = 0
  while (n < runes && i < text.length) {
    const c = text.codePointAt(i)
    i += c > 0xffff ? 2 : 1
    n++
  }
  return i
}

// The dictionary ignores ASCII case, like the server's matcher.
function fold(s) {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase())
}

// occurrences returns the UTF-16 offsets of the non-overlapping
// occurrences of term in text.
export function occurrences(text, term) {
  const out = []
  if (!text || !term) return out
  const t = fold(text)
  const needle = fold(term)
  let i = t.indexOf(needle)
  while (i >= 0) {
    out.push(i)
    i = t.indexOf(needle, i + needle.length)
  }
  return out
}

// occurrenceIndex returns k: the hit at rune offset position of text is
// the k-th (from 0) occurrence of term.
export function occurrenceIndex(text, term, position) {
  const at = runeToIndex(text, position)
  return occurrences(text, term).filter((i) => i < at).length
}

// nthOccurrence returns the UTF-16 offset of the k-th occurrence of term
// in text, or -1.
export function nthOccurrence(text, term, k) {
  const all = occurrences(text, term)
  return k >= 0 && k < all.length ? all[k] : -1
}

// prepareHits orders hits serious first (then by field and position) and
// gives each an id and, for a dictionary term in a text field or the body,
// its occurrence index k in saved, the story as it was checked.
export function prepareHits(items, saved) {
  const texts = {
    title: saved?.title || '',
    share_title: saved?.share_title || '',
    summary: saved?.summary || '',
    body: serverText(saved?.body || ''),
  }
  const out = (items || []).map((h, i) => {
    const hit = { ...h, id: `${h.field}:${h.position}:${h.check}:${i}`, k: -1 }
    if (h.term && h.check === 'dictionary' && h.field in texts) {
      hit.k = occurrenceIndex(texts[h.field], h.term, h.position || 0)
    }
    return hit
  })
  const sev = (h) => {
    const i = SEVERITIES.indexOf(h.severity)
    return i < 0 ? SEVERITIES.length : i
  }
  return out.sort((a, b) => sev(a) - sev(b) || fieldRank(a.field) - fieldRank(b.field) || (a.position || 0) - (b.position || 0))
}

// locatable reports whether a hit can be looked for in the editor's text.
export function locatable(hit) {
  return hit.k >= 0 && !!hit.term
}

// bodyImageIndex returns n for a hit on "body.img[n].alt" (from 1), else 0.
export function bodyImageIndex(field) {
  const m = /^body\.img\[(\d+)\]/.exec(field || '')
  return m ? Number(m[1]) : 0
}

// replaceOccurrence replaces the k-th occurrence of term in value with
// replacement; null when it is no longer there.
export function replaceOccurrence(value, term, k, replacement) {
  const at = nthOccurrence(value || '', term, k)
  if (at < 0) return null
  return value.slice(0, at) + replacement + value.slice(at + term.length)
}

// docText returns the text of a ProseMirror document with a line break
// between blocks (and for hard breaks and other inline leaves, so no term
// is found across them), and the segments that map it back: each text node
// as { at: offset in text, pos: document position, len }.
export function docText(doc) {
  let text = ''
  const segments = []
  doc.descendants((node, pos) => {
    if (node.isText) {
      segments.push({ at: text.length, pos, len: node.text.length })
      text += node.text
      return false
    }
    if (node.isBlock) {
      if (text && !text.endsWith('\n')) text += '\n'
      return true
    }
    if (node.isLeaf) {
      text += '\n'
      return false
    }
    return true
  })
  return { text, segments }
}

function posAt(segments, offset) {
  for (const s of segments) {
    if (offset >= s.at && offset < s.at + s.len) return s.pos + (offset - s.at)
  }
  return -1
}

// docRange turns the text offsets [start, end) of docText into document
// positions { from, to }, or null.
export function docRange(segments, start, end) {
  const from = posAt(segments, start)
  const last = posAt(segments, end - 1)
  if (from < 0 || last < 0) return null
  return { from, to: last + 1 }
}

// locateInDoc finds the k-th occurrence of term in a document: { from, to }
// or null. dt is docText(doc), passed in when several terms are looked up.
export function locateInDoc(doc, term, k, dt = docText(doc)) {
  const at = nthOccurrence(dt.text, term, k)
  if (at < 0) return null
  return docRange(dt.segments, at, at + term.length)
}
