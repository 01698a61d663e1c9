// Package wording finds wrong, forbidden and sensitive wording in stories
// with an Aho-Corasick automaton over the admin-maintained dictionary, and
// runs the form checks an editor must see before submit and publish: alt
// text of images, the lengths WeChat shows, links to the site's own pages.
// It knows nothing of storage: callers pass the texts and lookups in.
package wording

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// Matcher finds dictionary terms in text. It is immutable and safe for
// concurrent use.
type Matcher struct {
	ac    ahocorasick.AhoCorasick
	terms []*cms.DictionaryTerm
	keep  []string // terms of kind keep: not hits, passed over by the 规范汉字 check
}

// NewMatcher builds the automaton for terms. Blank terms are ignored; of two
// overlapping terms the longer one that starts first wins, so "残废人" is
// reported once rather than also as "残废".
func NewMatcher(terms []*cms.DictionaryTerm) *Matcher {
	m := &Matcher{}
	var patterns []string
	m.keep = KeepTerms(terms)
	for _, t := range terms {
		if p := strings.TrimSpace(t.Term); p != "" && t.Kind != cms.TermKeep {
			m.terms = append(m.terms, t)
			patterns = append(patterns, p)
		}
	}
	if len(patterns) > 0 {
		b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
			AsciiCaseInsensitive: true,
			MatchKind:            ahocorasick.LeftMostLongestMatch,
			DFA:                  true,
		})
		m.ac = b.Build(patterns)
	}
	return m
}

// Find returns a hit for every dictionary term in text, in order, with its
// position counted in runes.
func (m *Matcher) Find(field, text string) []cms.Hit {
	if len(m.terms) == 0 || text == "" {
		return nil
	}
	var hits []cms.Hit
	// Byte offsets become rune offsets incrementally: matches come in order.
	bytePos, runePos := 0, 0
	for _, match := range m.ac.FindAll(text) {
		t := m.terms[match.Pattern()]
		runePos += utf8.RuneCountInString(text[bytePos:match.Start()])
		bytePos = match.Start()
		found := text[match.Start():match.End()]
		hits = append(hits, cms.Hit{
			Check: cms.CheckDictionary, Field: field, Position: runePos,
			Length: utf8.RuneCountInString(found), Term: t.Term, Kind: t.Kind, Severity: t.Severity,
			Suggestion: t.Suggestion, Message: termMessage(t), Context: around(text, match.Start(), match.End()),
		})
	}
	return hits
}

func termMessage(t *cms.DictionaryTerm) string {
	var msg string
	switch t.Kind {
	case cms.TermError:
		msg = fmt.Sprintf("“%s”是常见差错", t.Term)
	case cms.TermForbidden:
		msg = fmt.Sprintf("“%s”为不规范或禁用表述", t.Term)
	default:
		msg = fmt.Sprintf("“%s”为敏感表述，请核实", t.Term)
	}
	if t.Suggestion != "" {
		msg += fmt.Sprintf("，应为“%s”", t.Suggestion)
	}
	if t.Note != "" {
		msg += "（" + t.Note + "）"
	}
	return msg
}

// around returns up to 10 characters either side of text[start:end].
func around(text string, start, end int) string {
	const n = 10
	i := start
	for k := 0; k < n && i > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(text[:i])
		i -= size
	}
	j := end
	for k := 0; k < n && j < len(text); k++ {
		_, size := utf8.DecodeRuneInString(text[j:])
		j += size
	}
	return strings.ReplaceAll(text[i:j], "\n", " ")
}

// Image is an image a story shows, with the texts that describe it.
type Image struct {
	Field   string // "cover", "media:12", "body.img[1]"
	MediaID int64
	Alt     string
	HasAlt  bool // false when the image has no alt text at all
	Caption string
}

// Story is what of a story the checks read.
type Story struct {
	Title      string
	ShareTitle string
	Summary    string
	Body       string // sanitised HTML
	// Images are the cover and the media-library images the body uses, with
	// their library alt text and caption.
	Images []Image
	// Host is the host of the site's base URL: absolute links to it count
	// as links to the site's own pages.
	Host string
}

// Links answers whether a path of the site's own ("/stories/x/") exists.
type Links func(path string) bool

// fieldText is the text of one field, as the dictionary checks read it.
type fieldText struct{ field, text string }

// Check runs every check on s and returns the hits ordered by field and
// position. linkOK may be nil to skip the link check.
func Check(s Story, m *Matcher, linkOK Links) []cms.Hit {
	var hits []cms.Hit
	bodyImages := BodyImages(s.Body)
	texts := []fieldText{
		{"title", s.Title}, {"share_title", s.ShareTitle}, {"summary", s.Summary}, {"body", markup.Text(s.Body)},
	}
	for _, img := range s.Images {
		texts = append(texts, fieldText{img.Field + ".alt", img.Alt}, fieldText{img.Field + ".caption", img.Caption})
	}
	for i, img := range bodyImages {
		texts = append(texts, fieldText{fmt.Sprintf("body.img[%d].alt", i+1), img.Alt})
	}
	for _, t := range texts {
		hits = append(hits, m.Find(t.field, t.text)...)
	}
	for _, t := range texts[:4] {
		hits = append(hits, HanziHits(t.field, t.text, m.keep)...)
	}

	if n := utf8.RuneCountInString(s.ShareTitle); n > cms.MaxShareTitleRunes {
		hits = append(hits, cms.Hit{Check: cms.CheckShareTitle, Field: "share_title", Position: cms.MaxShareTitleRunes,
			Length: n - cms.MaxShareTitleRunes, Severity: cms.SeverityWarning,
			Message: fmt.Sprintf("分享标题有%d个字，超过%d个字会被微信截断", n, cms.MaxShareTitleRunes)})
	}
	if n := utf8.RuneCountInString(s.Summary); n > cms.MaxSummaryRunes {
		hits = append(hits, cms.Hit{Check: cms.CheckSummary, Field: "summary", Position: cms.MaxSummaryRunes,
			Length: n - cms.MaxSummaryRunes, Severity: cms.SeverityWarning,
			Message: fmt.Sprintf("摘要有%d个字，超过%d个字", n, cms.MaxSummaryRunes)})
	}
	for _, img := range s.Images {
		if strings.TrimSpace(img.Alt) == "" {
			hits = append(hits, cms.Hit{Check: cms.CheckImageAlt, Field: img.Field + ".alt", Severity: cms.SeverityWarning,
				Message: "图片缺少替代文字（供读屏软件朗读，发布前应补充）"})
		}
	}
	for i, img := range bodyImages {
		if strings.TrimSpace(img.Alt) == "" {
			hits = append(hits, cms.Hit{Check: cms.CheckImageAlt, Field: fmt.Sprintf("body.img[%d].alt", i+1),
				Severity: cms.SeverityWarning, Message: fmt.Sprintf("正文第%d张图片缺少替代文字（供读屏软件朗读，发布前应补充）", i+1)})
		}
		if from := img.Foreign(s.Host); from != "" {
			hits = append(hits, cms.Hit{Check: cms.CheckRemoteImage, Field: fmt.Sprintf("body.img[%d].src", i+1),
				Term: from, Severity: cms.SeverityWarning, Message: RemoteImageMessage(i+1, from)})
		}
	}
	if linkOK != nil {
		for _, l := range OwnLinksFor(s.Body, s.Host) {
			if !linkOK(l) {
				hits = append(hits, cms.Hit{Check: cms.CheckLink, Field: "body", Term: l, Severity: cms.SeveritySerious,
					Message: fmt.Sprintf("正文链接 %s 指向本站不存在的页面", l)})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b cms.Hit) int {
		return cmp.Or(cmp.Compare(fieldRank(a.Field), fieldRank(b.Field)), cmp.Compare(a.Position, b.Position))
	})
	return hits
}

// RemoteImageMessage explains why the n-th body image, loaded from from
// (see BodyImage.Foreign), cannot be published as it is.
func RemoteImageMessage(n int, from string) string {
	if from == "data:" {
		return fmt.Sprintf("正文第%d张图片是直接粘贴的内嵌图片，未能存入媒体库；请另存为文件后上传到媒体库再插入", n)
	}
	return fmt.Sprintf("正文第%d张图片引用外部网站（%s）的地址，公开网站上可能显示不出；请下载后上传到媒体库再插入", n, from)
}

func fieldRank(f string) int {
	for i, p := range []string{"title", "share_title", "summary", "body", "cover"} {
		if f == p || strings.HasPrefix(f, p+".") {
			return i
		}
	}
	return 10
}

// BodyImage is an <img> of a story body.
type BodyImage struct {
	MediaID int64 // from data-media-id; 0 for other images
	Alt     string
	HasAlt  bool // false when the tag has no alt attribute at all
	Src     string
}

// Foreign says where img is loaded from when that is not the site itself:
// the host of an absolute URL other than host (the site's own), "data:" for
// a picture inlined as a data URI, "" for the site's own pictures. The
// public site shows only its own: WeChat's image servers refuse other
// sites' pages, foreign hosts may be unreachable in China, and a data URI
// puts the whole picture into the page.
func (img BodyImage) Foreign(host string) string {
	src := strings.TrimSpace(img.Src)
	if len(src) >= 5 && strings.EqualFold(src[:5], "data:") {
		return "data:"
	}
	u, err := url.Parse(src)
	if err != nil || (u.Host == "" && u.Scheme == "") {
		return ""
	}
	if u.Host != "" && host != "" && strings.EqualFold(u.Host, host) {
		return ""
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Host
}

// BodyImages returns the images of an HTML body in order, alt texts with
// their white space folded as in the body's text.
func BodyImages(body string) []BodyImage {
	var out []BodyImage
	for _, img := range markup.Images(body) {
		out = append(out, BodyImage{MediaID: img.MediaID, Alt: markup.FoldSpace(img.Alt), HasAlt: img.HasAlt, Src: img.Src})
	}
	return out
}

// OwnLinksFor returns the distinct site paths under /stories/, /projects/
// and /s/ that body links to, in order: with relative URLs, or absolute
// ones to host (the host of the site's base URL; "" counts none).
func OwnLinksFor(body, host string) []string {
	var out []string
	seen := map[string]bool{}
	for _, href := range markup.Links(body) {
		u, err := url.Parse(href)
		if err != nil {
			continue
		}
		if u.Host != "" && (host == "" || !strings.EqualFold(u.Host, host)) {
			continue
		}
		if u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
			continue
		}
		p := u.Path
		if !strings.HasPrefix(p, "/stories/") && !strings.HasPrefix(p, "/projects/") && !strings.HasPrefix(p, "/s/") {
			continue
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// SplitOwnPath splits a site path into its section ("stories", "projects",
// "s") and the first segment after it ("" for the section page itself).
func SplitOwnPath(p string) (section, name string) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	section = parts[0]
	if len(parts) > 1 {
		name = parts[1]
	}
	// Pagination of a section ("/stories/page/2/") is the section itself.
	if name == "page" {
		name = ""
	}
	return section, name
}
