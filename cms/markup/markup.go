// Package markup cleans the HTML that staff paste from Word and WeChat
// editors into story bodies, and extracts plain text for search, summaries
// and wording checks.
package markup

import (
	"html"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// policy keeps the structure of an article (headings, paragraphs, lists,
// quotes, tables, links, images with captions) and drops everything that can
// run code or restyle the page: scripts, event handlers, javascript: URLs,
// forms, iframes, style attributes and classes pasted from other editors.
var policy = newPolicy()

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "h2", "h3", "h4", "h5", "h6",
		"strong", "b", "em", "i", "u", "s", "sub", "sup", "mark", "small",
		"blockquote", "ul", "ol", "li", "dl", "dt", "dd",
		"figure", "figcaption", "pre", "code", "span", "div", "section")
	// Pasted documents often use h1 for section titles; the story title is
	// the page's h1, so the sanitiser keeps h1 out and Sanitize demotes it.
	p.AllowElements("table", "thead", "tbody", "tfoot", "tr", "caption", "colgroup", "col")
	p.AllowAttrs("colspan", "rowspan").Matching(regexp.MustCompile(`^[0-9]{1,2}$`)).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(row|col|rowgroup|colgroup)$`)).OnElements("th")
	p.AllowElements("td", "th")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,4}$`)).OnElements("ol")

	p.AllowStandardURLs() // http, https, mailto; relative URLs
	p.AllowURLSchemes("http", "https", "mailto", "tel")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("title").OnElements("a", "abbr")
	p.AllowElements("abbr")
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)

	p.AllowAttrs("src", "alt", "width", "height").OnElements("img")
	p.AllowAttrs("data-media-id").Matching(regexp.MustCompile(`^[0-9]+$`)).OnElements("img", "figure")
	// Responsive variants of media-library images (added on save) only.
	p.AllowAttrs("srcset").Matching(regexp.MustCompile(`^/media/[0-9a-f]{64}/w[0-9]+\.jpg(\?v=[0-9]+)? [0-9]+w(, /media/[0-9a-f]{64}/w[0-9]+\.jpg(\?v=[0-9]+)? [0-9]+w)*$`)).OnElements("img")
	p.AllowAttrs("sizes").Matching(regexp.MustCompile(`^[0-9a-z() ,.:-]+$`)).OnElements("img")
	p.AllowImages()
	p.AllowDataURIImages() // harmless as images; bodies are size-limited
	return p
}

var h1 = regexp.MustCompile(`(?i)<(/?)h1(\s[^>]*)?>`)

// Sanitize returns html made safe to store and publish.
func Sanitize(s string) string {
	s = h1.ReplaceAllString(s, "<${1}h2>")
	out := policy.Sanitize(s)
	return strings.TrimSpace(emptyParas.ReplaceAllString(out, ""))
}

// emptyParas removes the runs of empty paragraphs WeChat editors leave as spacing.
var emptyParas = regexp.MustCompile(`(?:<p>(?:\s|\x{00a0}|&nbsp;|<br/?>)*</p>\s*)+`)

var (
	tags   = regexp.MustCompile(`<[^>]*>`)
	blocks = regexp.MustCompile(`(?i)</(p|div|h[1-6]|li|blockquote|tr|figcaption|section)>|<br\s*/?>`)
	spaces = regexp.MustCompile(`[ \t\r\f\v]+`)
	lines  = regexp.MustCompile(`\n\s*\n+`)
)

// Text returns the readable text of html: tags removed, entities decoded,
// block boundaries kept as line breaks.
func Text(s string) string {
	s = blocks.ReplaceAllString(s, "\n")
	s = tags.ReplaceAllString(s, "")
	return FoldSpace(html.UnescapeString(s))
}

// FoldSpace folds the white space of plain text the way Text does: no-break
// spaces become spaces, runs of spaces one, blank lines one line break,
// and the ends are trimmed.
func FoldSpace(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = spaces.ReplaceAllString(s, " ")
	s = lines.ReplaceAllString(s, "\n")
	return strings.TrimSpace(s)
}
