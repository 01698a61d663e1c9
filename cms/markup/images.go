package markup

import (
	"slices"
	"strconv"
	"strings"

	nethtml "golang.org/x/net/html"
)

// The helpers below find and rewrite elements of HTML with a real
// tokenizer (golang.org/x/net/html) rather than regular expressions, so
// quoting, case, attribute order, entities and "<img" inside comments or
// scripts are read the way a browser reads them. A rewrite copies every
// byte it does not change, so a body that needs no change comes back as it
// went in.

// Attr is an attribute of a start tag; Val is unescaped.
type Attr struct {
	Key, Val string
}

// Tag is a start tag (or a self-closing one) met while walking HTML.
type Tag struct {
	Name  string // lower case
	Attrs []Attr // in source order; keys lower case
	Raw   string // the tag exactly as it appears in the source
	// SelfClosing is true for "<img ... />".
	SelfClosing bool
}

// Get returns the value of the first attribute named key.
func (t *Tag) Get(key string) (string, bool) {
	for _, a := range t.Attrs {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// Has reports whether t has an attribute named key.
func (t *Tag) Has(key string) bool {
	_, ok := t.Get(key)
	return ok
}

// Del removes every attribute named by keys.
func (t *Tag) Del(keys ...string) {
	t.Attrs = slices.DeleteFunc(t.Attrs, func(a Attr) bool { return slices.Contains(keys, a.Key) })
}

// Prepend puts attrs before the tag's others, dropping any of the same
// name it already had.
func (t *Tag) Prepend(attrs ...Attr) {
	keys := make([]string, len(attrs))
	for i, a := range attrs {
		keys[i] = a.Key
	}
	t.Del(keys...)
	t.Attrs = append(slices.Clone(attrs), t.Attrs...)
}

// String renders t with its current attributes, values double-quoted and
// escaped.
func (t *Tag) String() string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(t.Name)
	for _, a := range t.Attrs {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteString(`="`)
		b.WriteString(escapeAttr(a.Val))
		b.WriteByte('"')
	}
	if t.SelfClosing {
		b.WriteString(" /")
	}
	b.WriteByte('>')
	return b.String()
}

// attrEscaper escapes what a double-quoted attribute value cannot hold;
// single quotes are left as editors write them.
var attrEscaper = strings.NewReplacer(`&`, "&amp;", `"`, "&#34;", `<`, "&lt;", `>`, "&gt;")

func escapeAttr(s string) string { return attrEscaper.Replace(s) }

// Rewrite calls fn for each start tag of s in order and returns s with
// each tag for which fn returns a non-empty string replaced by that string
// (t.String() after editing t's attributes, or any other text). Everything
// else (text, comments, end tags, doctypes) is kept byte for byte; when
// nothing is replaced Rewrite returns s itself.
func Rewrite(s string, fn func(t *Tag) string) string {
	z := nethtml.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	changed := false
	for {
		tt := z.Next()
		if tt == nethtml.ErrorToken {
			break // io.EOF: the reader is a string, so nothing else can fail
		}
		raw := z.Raw()
		if tt != nethtml.StartTagToken && tt != nethtml.SelfClosingTagToken {
			b.Write(raw)
			continue
		}
		// Raw is only valid until TagName/TagAttr are read; keep a copy.
		rawStr := string(raw)
		name, more := z.TagName()
		t := &Tag{Name: string(name), Raw: rawStr, SelfClosing: tt == nethtml.SelfClosingTagToken}
		for more {
			var k, v []byte
			k, v, more = z.TagAttr()
			t.Attrs = append(t.Attrs, Attr{Key: string(k), Val: string(v)})
		}
		if out := fn(t); out != "" {
			b.WriteString(out)
			changed = true
		} else {
			b.WriteString(rawStr)
		}
	}
	if !changed {
		return s
	}
	return b.String()
}

// RewriteImages is Rewrite for <img> tags only.
func RewriteImages(s string, fn func(t *Tag) string) string {
	if !strings.Contains(strings.ToLower(s), "<img") {
		return s
	}
	return Rewrite(s, func(t *Tag) string {
		if t.Name != "img" {
			return ""
		}
		return fn(t)
	})
}

// Tags returns the start tags of s named name (lower case), in order.
func Tags(s, name string) []*Tag {
	var out []*Tag
	Rewrite(s, func(t *Tag) string {
		if t.Name == name {
			out = append(out, t)
		}
		return ""
	})
	return out
}

// Image is an <img> of an HTML fragment.
type Image struct {
	Src     string // unescaped, surrounding space trimmed
	Alt     string // unescaped
	HasAlt  bool   // false when the tag has no alt attribute at all
	MediaID int64  // from data-media-id; 0 when absent or not a number
	// HasMediaID is true when the tag carries data-media-id at all, even
	// one that is not a number.
	HasMediaID bool
}

// Images returns the <img> elements of s in order.
func Images(s string) []Image {
	if !strings.Contains(strings.ToLower(s), "<img") {
		return nil
	}
	var out []Image
	for _, t := range Tags(s, "img") {
		out = append(out, ImageOf(t))
	}
	return out
}

// ImageOf reads the fields of Image from an <img> tag.
func ImageOf(t *Tag) Image {
	var img Image
	src, _ := t.Get("src")
	img.Src = strings.TrimSpace(src)
	img.Alt, img.HasAlt = t.Get("alt")
	if v, ok := t.Get("data-media-id"); ok {
		img.HasMediaID = true
		img.MediaID = parseID(v)
	}
	return img
}

// MediaIDs returns the distinct positive data-media-id values of any
// element of s (images and the figures around them), in order.
func MediaIDs(s string) []int64 {
	if !strings.Contains(s, "data-media-id") {
		return nil
	}
	var ids []int64
	seen := map[int64]bool{}
	Rewrite(s, func(t *Tag) string {
		if v, ok := t.Get("data-media-id"); ok {
			if id := parseID(v); id > 0 && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return ""
	})
	return ids
}

// Links returns the href of each <a> of s that has one, unescaped and
// trimmed, in order.
func Links(s string) []string {
	var out []string
	for _, t := range Tags(s, "a") {
		if h, ok := t.Get("href"); ok {
			out = append(out, strings.TrimSpace(h))
		}
	}
	return out
}

func parseID(v string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}
