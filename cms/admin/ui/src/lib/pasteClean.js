// dropHandlers removes inline event handlers (onclick=…) and javascript:
// URLs from pasted HTML before anything parses it. It works on the HTML
// text: the browser checks the admin's Content-Security-Policy as soon as
// an element with an event-handler attribute is created, even in an inert
// document, and reports each one as a violation. The handlers never ran
// (the CSP blocks them and the server's sanitiser drops them); this only
// keeps them from reaching a DOM at all.

// One start tag: its name, then attributes with double-, single- or
// unquoted values (a quoted value may hold '>').
const START_TAG = /<([a-zA-Z][^\s/>]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*(\/?)>/g
const ATTRIBUTE = /(\s+)([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?/g
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href'])

function unquote(v) {
  if (v === undefined) return ''
  return v.startsWith('"') || v.startsWith("'") ? v.slice(1, -1) : v
}

// A javascript: URL, also when its letters are split by whitespace or
// written as character references, as browsers read it.
function scriptURL(value) {
  const decoded = value
    .replace(/&#x([0-9a-f]+);?/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);?/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&colon;/gi, ':')
    .replace(/&tab;|&newline;/gi, '')
  return /^javascript:/i.test(decoded.replace(/[\u0000-\u0020]/g, ''))
}

export function dropHandlers(html) {
  return html.replace(START_TAG, (tag, name, attrs, selfClosing) => {
    const kept = attrs.replace(ATTRIBUTE, (attr, space, attrName, value) => {
      const n = attrName.toLowerCase()
      if (n.startsWith('on')) return ''
      if (URL_ATTRIBUTES.has(n) && scriptURL(unquote(value))) return ''
      return attr
    })
    return `<${name}${kept}${selfClosing ? ' /' : ''}>`
  })
}
