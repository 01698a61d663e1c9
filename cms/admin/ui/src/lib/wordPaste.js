// wordLists turns the list paragraphs Word puts on the clipboard into real
// HTML lists before the editor parses the paste. Word writes every list
// item as a paragraph of its own with the list in an mso-list style and the
// number or bullet as text in a span marked mso-list:Ignore:
//
//   <p class=MsoListParagraphCxSpFirst style='margin-left:18pt;text-indent:-18pt;mso-list:l0 level1 lfo1'>
//     <![if !supportLists]><span style='mso-list:Ignore'>1.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span><![endif]>
//     第一项<o:p></o:p></p>
//
// Left alone these become paragraphs starting with "1." (or "·", "§", "o"
// from the Symbol and Wingdings bullets). Here each run of such paragraphs
// becomes <ol>/<ul> with <li>s, nested by their level. It works on the
// HTML text (no DOM), so it runs the same in the browser and in tests; the
// server's sanitiser still cleans whatever is saved.

const PARAGRAPH = /<p\b([^>]*)>([\s\S]*?)<\/p\s*>/gi
const LIST_STYLE = /mso-list:\s*(l\d+)\s+level(\d+)/i
// Word's downlevel-revealed conditionals around the marker, as Word writes
// them and as browsers turn them into comments.
const SUPPORT_LISTS = /<!\[if !supportLists\]>|<!--\[if !supportLists\]-->|<!\[endif\]>|<!--\[endif\]-->/gi
const IGNORE_SPAN = /<span\b[^>]*mso-list:\s*Ignore[^>]*>/i
// Markers of ordered items: 1. 1) (1) 1、 a. A) i. iv) 一、 （一）
const ORDERED = /^[(（]?(\d{1,4}|[a-zA-Z]|[ivxlcdmIVXLCDM]{1,6}|[一二三四五六七八九十百]{1,4})[.)．、）]/
// A marker typed as text (no Ignore span), followed by spaces.
const TEXT_MARKER = /^((?:[(（]?(?:\d{1,4}|[a-zA-Z]|[ivxlcdmIVXLCDM]{1,6}|[一二三四五六七八九十百]{1,4})[.)．、）])|[·•§o▪■◆●○◦➢Øü\u2022\uf0b7\uf0a7\uf0d8\uf0fc-])(?:\s|&nbsp;|&#160;|\u00a0)+/

function text(html) {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;|&#160;|\u00a0/gi, ' ')
    .replace(/&amp;/g, '&')
    .trim()
}

// spanEnd returns the index just past the </span> closing the span that
// opens at start, counting nested spans.
function spanEnd(html, start) {
  const re = /<(\/?)span\b[^>]*>/gi
  re.lastIndex = start
  let depth = 0
  let m
  while ((m = re.exec(html))) {
    depth += m[1] ? -1 : 1
    if (depth === 0) return re.lastIndex
  }
  return -1
}

// splitMarker returns the item's marker text and its content without it.
function splitMarker(inner) {
  const m = IGNORE_SPAN.exec(inner)
  if (m) {
    const end = spanEnd(inner, m.index)
    if (end > 0) {
      return { marker: text(inner.slice(m.index, end)), content: inner.slice(0, m.index) + inner.slice(end) }
    }
  }
  // The marker as plain text, possibly inside leading inline tags.
  const lead = /^(?:\s|<(?!\/)[^>]*>)*/.exec(inner)[0]
  const rest = inner.slice(lead.length)
  const t = TEXT_MARKER.exec(rest)
  if (t) {
    return { marker: text(t[1]), content: lead + rest.slice(t[0].length) }
  }
  return { marker: '', content: inner }
}

function listItem(attrs, inner) {
  const style = LIST_STYLE.exec(attrs)
  if (!style) return null
  const { marker, content } = splitMarker(inner.replace(SUPPORT_LISTS, ''))
  const ordered = ORDERED.exec(marker)
  let start = 1
  if (ordered && /^\d+$/.test(ordered[1])) start = Number(ordered[1])
  return {
    list: style[1],
    level: Math.max(1, Math.min(9, Number(style[2]))),
    tag: ordered ? 'ol' : 'ul',
    start,
    content: content.replace(/<o:p>[\s\S]*?<\/o:p>|<\/?o:p>/gi, '').trim(),
  }
}

// renderRun writes the items of one run as nested lists.
function renderRun(items) {
  let out = ''
  const stack = [] // { tag, level }
  for (const it of items) {
    while (stack.length && stack[stack.length - 1].level > it.level) {
      out += `</li></${stack.pop().tag}>`
    }
    const top = stack[stack.length - 1]
    if (top && top.level === it.level && top.tag !== it.tag) {
      out += `</li></${stack.pop().tag}>`
    }
    const cur = stack[stack.length - 1]
    if (cur && cur.level === it.level) {
      out += '</li>'
    } else {
      const start = it.tag === 'ol' && it.start > 1 ? ` start="${it.start}"` : ''
      out += `<${it.tag}${start}>`
      stack.push({ tag: it.tag, level: it.level })
    }
    out += `<li><p>${it.content}</p>`
  }
  while (stack.length) out += `</li></${stack.pop().tag}>`
  return out
}

// Only whitespace, comments and Word's conditionals may sit between two
// items of one list.
const BETWEEN = /^(?:\s|<!--[\s\S]*?-->|<!\[(?:if [^\]]*|endif)\]>)*$/i

// wordLists returns html with Word's list paragraphs made into lists; other
// HTML comes back unchanged.
export function wordLists(html) {
  if (!html || !/mso-list/i.test(html)) return html
  const runs = [] // { start, end, items }
  let run = null
  PARAGRAPH.lastIndex = 0
  let m
  while ((m = PARAGRAPH.exec(html))) {
    const item = listItem(m[1], m[2])
    const start = m.index
    const end = PARAGRAPH.lastIndex
    if (!item) {
      run = null
      continue
    }
    if (run && BETWEEN.test(html.slice(run.end, start))) {
      run.items.push(item)
      run.end = end
    } else {
      run = { start, end, items: [item] }
      runs.push(run)
    }
  }
  if (runs.length === 0) return html
  let out = ''
  let at = 0
  for (const r of runs) {
    // A conditional opened just before the run (and closed after it)
    // would otherwise be left dangling around the list.
    out += html.slice(at, r.start).replace(/<!--\[if !supportLists\]-->\s*$/i, '') + renderRun(r.items)
    at = r.end
    const tail = /^\s*<!--\[endif\]-->/i.exec(html.slice(at))
    if (tail) at += tail[0].length
  }
  return out + html.slice(at)
}
