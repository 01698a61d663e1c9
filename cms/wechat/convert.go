package wechat

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Limits of a 公众号 article, checked before anything is sent. WeChat's
// draft reference (草稿箱 → 新建草稿 draft_add, and 获取草稿 getDraft which
// describes the same fields) says the content "必须少于2万字符，小于1M" and
// may only show pictures from uploadimg; the digest "不超过120字" (as in the
// permanent material reference it replaced). Title and author limits are
// those of the 公众号 editor, which WeChat enforces through errcodes 45003
// (title size out of limit) and 45110 (author size out of limit): 64 and 8
// characters.
const (
	MaxTitle        = 64
	MaxAuthor       = 8
	MaxDigest       = 120
	MaxContentChars = 20000
	MaxContentBytes = 1 << 20
	// MaxBodyImage is uploadimg's limit: "图片仅支持jpg/png格式，大小必须在1MB以下".
	MaxBodyImage = 1 << 20
)

// Image is a picture of a story body met during conversion.
type Image struct {
	Index   int   // 1-based position in the body
	MediaID int64 // data-media-id, 0 when absent
	Src     string
	Alt     string
}

// styles are the inline styles each element gets instead of the site's
// classes: the 公众号 editor drops <style> and class attributes.
var styles = map[atom.Atom]string{
	atom.P:          "margin:0 0 1em;line-height:1.75;font-size:16px;color:#333;",
	atom.H1:         "margin:1.5em 0 .75em;font-size:20px;font-weight:bold;line-height:1.4;color:#222;", // written as h2
	atom.H2:         "margin:1.5em 0 .75em;font-size:20px;font-weight:bold;line-height:1.4;color:#222;",
	atom.H3:         "margin:1.25em 0 .5em;font-size:18px;font-weight:bold;line-height:1.4;color:#222;",
	atom.H4:         "margin:1em 0 .5em;font-size:16px;font-weight:bold;color:#222;",
	atom.H5:         "margin:1em 0 .5em;font-size:16px;font-weight:bold;color:#222;",
	atom.H6:         "margin:1em 0 .5em;font-size:16px;font-weight:bold;color:#222;",
	atom.Blockquote: "margin:1em 0;padding:.5em 1em;border-left:4px solid #a8231c;background:#f7f7f7;color:#555;",
	atom.Ul:         "margin:0 0 1em;padding-left:2em;",
	atom.Ol:         "margin:0 0 1em;padding-left:2em;",
	atom.Li:         "margin:.25em 0;line-height:1.75;font-size:16px;color:#333;",
	atom.Figure:     "margin:1em 0;text-align:center;",
	atom.Figcaption: "margin:.5em 0 0;font-size:14px;line-height:1.5;color:#666;text-align:center;",
	atom.Img:        "display:block;max-width:100%;height:auto;margin:0 auto;",
	atom.Table:      "width:100%;border-collapse:collapse;margin:0 0 1em;font-size:14px;",
	atom.Caption:    "padding:4px;font-size:14px;color:#666;",
	atom.Th:         "border:1px solid #ddd;padding:6px;background:#f5f5f5;font-weight:bold;",
	atom.Td:         "border:1px solid #ddd;padding:6px;",
	atom.Hr:         "border:0;border-top:1px solid #ddd;margin:1.5em 0;",
	atom.Pre:        "margin:0 0 1em;padding:.75em;background:#f7f7f7;white-space:pre-wrap;font-size:14px;",
	atom.Code:       "font-family:monospace;font-size:14px;",
	atom.Strong:     "font-weight:bold;",
	atom.B:          "font-weight:bold;",
	atom.Em:         "font-style:italic;",
	atom.I:          "font-style:italic;",
	atom.Mark:       "background:#fff3b0;",
	atom.Small:      "font-size:14px;",
	atom.Dt:         "margin:.5em 0 0;font-weight:bold;",
	atom.Dd:         "margin:0 0 .5em 2em;",
	atom.A:          "color:#576b95;",
}

// renamed are elements the 公众号 editor does not keep, written as ones it does.
var renamed = map[atom.Atom]string{
	atom.Figure: "section", atom.Figcaption: "p", atom.Div: "section", atom.Section: "section",
	atom.H1: "h2", atom.Mark: "span", atom.Small: "span", atom.Abbr: "span",
	atom.Dl: "section", atom.Dt: "p", atom.Dd: "p",
}

// kept are the elements written as themselves (besides renamed).
var kept = map[atom.Atom]bool{
	atom.P: true, atom.Br: true, atom.Hr: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Strong: true, atom.B: true, atom.Em: true, atom.I: true, atom.U: true, atom.S: true, atom.Sub: true, atom.Sup: true,
	atom.Blockquote: true, atom.Ul: true, atom.Ol: true, atom.Li: true, atom.Pre: true, atom.Code: true, atom.Span: true,
	atom.Table: true, atom.Thead: true, atom.Tbody: true, atom.Tfoot: true, atom.Tr: true, atom.Th: true, atom.Td: true,
	atom.Caption: true,
}

// dropped are elements removed with everything inside them: code, forms,
// embedded frames and media the 公众号 editor refuses.
var dropped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Iframe: true, atom.Frame: true,
	atom.Frameset: true, atom.Object: true, atom.Embed: true, atom.Applet: true, atom.Form: true, atom.Input: true,
	atom.Button: true, atom.Select: true, atom.Textarea: true, atom.Option: true, atom.Video: true, atom.Audio: true,
	atom.Source: true, atom.Track: true, atom.Canvas: true, atom.Svg: true, atom.Math: true, atom.Link: true,
	atom.Meta: true, atom.Base: true, atom.Head: true, atom.Title: true, atom.Dialog: true,
}

// keptAttrs are the only attributes that survive, per element.
var keptAttrs = map[atom.Atom][]string{
	atom.Td: {"colspan", "rowspan"}, atom.Th: {"colspan", "rowspan"}, atom.Ol: {"start"},
}

// converter walks a body once.
type converter struct {
	base    *url.URL
	resolve func(Image) (string, error)
	b       strings.Builder
	images  int
	notes   []string
	err     error
}

// Convert returns a story body as 公众号 article HTML: inline styles instead
// of classes; no scripts, styles, forms, frames or embedded media; links
// outside mp.weixin.qq.com become their text with a numbered note, listed
// at the end with the full address (WeChat does not let articles link
// elsewhere); every picture's src is what resolve returns for it (WeChat
// drops pictures not uploaded through uploadimg), or the picture is left
// out when resolve returns "". base (the site's address) makes relative
// links absolute.
func Convert(body, base string, resolve func(Image) (string, error)) (string, error) {
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(body), ctx)
	if err != nil {
		return "", err
	}
	c := &converter{resolve: resolve}
	if base != "" {
		c.base, _ = url.Parse(strings.TrimRight(base, "/") + "/")
	}
	for _, n := range nodes {
		c.node(n)
	}
	if c.err != nil {
		return "", c.err
	}
	if len(c.notes) > 0 {
		c.b.WriteString(`<section style="margin:2em 0 0;padding-top:.5em;border-top:1px solid #eee;font-size:14px;color:#666;">`)
		c.b.WriteString(`<p style="margin:0 0 .5em;font-size:14px;color:#666;">文中链接</p>`)
		for i, u := range c.notes {
			fmt.Fprintf(&c.b, `<p style="margin:0 0 .25em;font-size:14px;color:#666;word-break:break-all;">[%d] %s</p>`, i+1, html.EscapeString(u))
		}
		c.b.WriteString(`</section>`)
	}
	return c.b.String(), nil
}

func (c *converter) node(n *html.Node) {
	if c.err != nil {
		return
	}
	switch n.Type {
	case html.TextNode:
		c.b.WriteString(html.EscapeString(n.Data))
		return
	case html.ElementNode:
	default: // comments, doctypes
		return
	}
	switch {
	case dropped[n.DataAtom]:
		return
	case n.DataAtom == atom.Img:
		c.img(n)
		return
	case n.DataAtom == atom.A:
		c.link(n)
		return
	}
	name, ok := renamed[n.DataAtom]
	if !ok && kept[n.DataAtom] {
		name, ok = n.Data, true
	}
	if !ok { // unknown element: keep its content
		c.children(n)
		return
	}
	c.open(name, n)
	if n.DataAtom == atom.Br || n.DataAtom == atom.Hr {
		return
	}
	c.children(n)
	c.b.WriteString("</" + name + ">")
}

func (c *converter) children(n *html.Node) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.node(ch)
	}
}

func (c *converter) open(name string, n *html.Node, extra ...html.Attribute) {
	c.b.WriteString("<" + name)
	for _, a := range extra {
		fmt.Fprintf(&c.b, ` %s="%s"`, a.Key, html.EscapeString(a.Val))
	}
	for _, k := range keptAttrs[n.DataAtom] {
		if v, ok := attr(n, k); ok {
			if _, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				fmt.Fprintf(&c.b, ` %s="%s"`, k, html.EscapeString(strings.TrimSpace(v)))
			}
		}
	}
	if st := styles[n.DataAtom]; st != "" {
		fmt.Fprintf(&c.b, ` style="%s"`, st)
	}
	c.b.WriteString(">")
}

func (c *converter) img(n *html.Node) {
	c.images++
	src, _ := attr(n, "src")
	alt, _ := attr(n, "alt")
	img := Image{Index: c.images, Src: strings.TrimSpace(src), Alt: alt}
	// The picture's own data-media-id, else the nearest ancestor's: a
	// figure carries the id for the picture inside it.
	for p := n; p != nil && img.MediaID == 0; p = p.Parent {
		if v, ok := attr(p, "data-media-id"); ok {
			img.MediaID, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	u, err := c.resolve(img)
	if err != nil {
		c.err = err
		return
	}
	if u == "" {
		return
	}
	c.open("img", n, html.Attribute{Key: "src", Val: u}, html.Attribute{Key: "alt", Val: alt})
}

// link writes an <a>: kept for mp.weixin.qq.com, otherwise its text and a
// note number (or only the text when the text is the address).
func (c *converter) link(n *html.Node) {
	href, _ := attr(n, "href")
	href = strings.TrimSpace(href)
	u, err := url.Parse(href)
	if href == "" || strings.HasPrefix(href, "#") || err != nil {
		c.children(n)
		return
	}
	if c.base != nil && !u.IsAbs() {
		u = c.base.ResolveReference(u)
	}
	abs := u.String()
	if (u.Scheme == "https" || u.Scheme == "http") && strings.EqualFold(u.Hostname(), "mp.weixin.qq.com") {
		c.open("a", n, html.Attribute{Key: "href", Val: abs})
		c.children(n)
		c.b.WriteString("</a>")
		return
	}
	switch u.Scheme {
	case "http", "https", "mailto", "tel", "":
	default: // javascript: and the like: text only
		c.children(n)
		return
	}
	c.children(n)
	text := strings.TrimSpace(nodeText(n))
	shown := strings.TrimPrefix(strings.TrimPrefix(abs, "mailto:"), "tel:")
	if text == abs || text == href || text == shown {
		return
	}
	c.notes = append(c.notes, shown)
	fmt.Fprintf(&c.b, `<sup style="font-size:12px;color:#666;">[%d]</sup>`, len(c.notes))
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(n)
	return b.String()
}

// Check returns the limits an article breaks, keyed by the story's field
// names (title, author, summary, body) with Chinese messages naming the
// field; nil when it fits.
func Check(title, author, digest, content string) map[string]string {
	f := map[string]string{}
	if strings.TrimSpace(title) == "" {
		f["title"] = "标题不能为空"
	} else if n := utf8.RuneCountInString(title); n > MaxTitle {
		f["title"] = fmt.Sprintf("标题有%d个字，公众号文章标题最多%d个字，请缩短后再同步", n, MaxTitle)
	}
	if n := utf8.RuneCountInString(author); n > MaxAuthor {
		f["author"] = fmt.Sprintf("作者有%d个字，公众号文章作者最多%d个字，请缩短后再同步", n, MaxAuthor)
	}
	if n := utf8.RuneCountInString(digest); n > MaxDigest {
		f["summary"] = fmt.Sprintf("摘要有%d个字，公众号文章摘要最多%d个字，请缩短后再同步", n, MaxDigest)
	}
	if strings.TrimSpace(content) == "" {
		f["body"] = "正文不能为空"
	} else if n := utf8.RuneCountInString(content); n >= MaxContentChars {
		f["body"] = fmt.Sprintf("正文转换后有%d个字符（含排版代码），公众号文章正文须少于%d个字符，请删减或拆成两篇", n, MaxContentChars)
	} else if len(content) >= MaxContentBytes {
		f["body"] = fmt.Sprintf("正文转换后有%d KB，公众号文章正文须小于1MB，请删减或拆成两篇", len(content)>>10)
	}
	if len(f) == 0 {
		return nil
	}
	return f
}
