package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

// contentImage is an image as the content API shows it: the variants with
// their sizes and the descriptive text, never the original's file name,
// hash or size, which are staff matters.
type contentImage struct {
	ID       int64              `json:"id"`
	Width    int                `json:"width"`
	Height   int                `json:"height"`
	Alt      string             `json:"alt"`
	Caption  string             `json:"caption"`
	Credit   string             `json:"credit"`
	FocusX   float64            `json:"focus_x"`
	FocusY   float64            `json:"focus_y"`
	Variants []cms.MediaVariant `json:"variants"`
}

func newContentImage(m *cms.Media) *contentImage {
	if m == nil {
		return nil
	}
	v := m.Variants
	if v == nil {
		v = []cms.MediaVariant{}
	}
	return &contentImage{ID: m.ID, Width: m.Width, Height: m.Height, Alt: m.Alt, Caption: m.Caption,
		Credit: m.Credit, FocusX: m.FocusX, FocusY: m.FocusY, Variants: v}
}

// storyField is one top-level field of a story in the content API, in the
// order they are written.
type storyField struct {
	name  string
	value func(s *cms.LiveStory) any
}

var storyFields = []storyField{
	{"id", func(s *cms.LiveStory) any { return s.ID }},
	{"slug", func(s *cms.LiveStory) any { return s.Slug }},
	{"title", func(s *cms.LiveStory) any { return s.Title }},
	{"share_title", func(s *cms.LiveStory) any { return s.ShareTitle }},
	{"summary", func(s *cms.LiveStory) any { return s.Summary }},
	{"body", func(s *cms.LiveStory) any { return s.Body }},
	{"cover", func(s *cms.LiveStory) any { return newContentImage(s.Cover) }},
	{"images", func(s *cms.LiveStory) any {
		out := make([]*contentImage, 0, len(s.Images))
		for _, m := range s.Images {
			out = append(out, newContentImage(m))
		}
		return out
	}},
	{"project", func(s *cms.LiveStory) any { return s.Project }},
	{"tags", func(s *cms.LiveStory) any {
		if s.Tags == nil {
			return []string{}
		}
		return s.Tags
	}},
	{"author", func(s *cms.LiveStory) any { return s.Author }},
	{"source", func(s *cms.LiveStory) any { return s.Source }},
	{"version", func(s *cms.LiveStory) any { return s.Version }},
	{"published_at", func(s *cms.LiveStory) any { return s.PublishedAt }},
	{"updated_at", func(s *cms.LiveStory) any { return s.UpdatedAt }},
	{"url", func(s *cms.LiveStory) any { return s.URL }},
	{"short_url", func(s *cms.LiveStory) any { return s.ShortURL }},
}

// fieldSet selects story fields by their index in storyFields.
type fieldSet uint64

var allFields = fieldSet(1<<len(storyFields) - 1)

// parseFields reads a fields= list such as "id,title,cover"; empty means
// every field.
func parseFields(v string) (fieldSet, error) {
	if strings.TrimSpace(v) == "" {
		return allFields, nil
	}
	var set fieldSet
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		i := -1
		for j, f := range storyFields {
			if f.name == name {
				i = j
			}
		}
		if i < 0 {
			names := make([]string, len(storyFields))
			for j, f := range storyFields {
				names[j] = f.name
			}
			return 0, cms.Invalid(map[string]string{"fields": fmt.Sprintf("未知的字段 %q（可用：%s）", name, strings.Join(names, ","))})
		}
		set |= 1 << i
	}
	return set, nil
}

// String is the canonical form of the set, for cache keys.
func (f fieldSet) String() string { return strconv.FormatUint(uint64(f), 36) }

// jsonWriter writes JSON without escaping <, > and &: bodies are HTML, and
// escaping every tag would make responses much larger for no gain (they
// are served as application/json with nosniff).
type jsonWriter struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONWriter() *jsonWriter {
	w := &jsonWriter{}
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	return w
}

func (w *jsonWriter) value(v any) error {
	if err := w.enc.Encode(v); err != nil {
		return err
	}
	w.buf.Truncate(w.buf.Len() - 1) // Encode's newline
	return nil
}

// story writes the selected fields of s as one object.
func (w *jsonWriter) story(s *cms.LiveStory, sel fieldSet) error {
	w.buf.WriteByte('{')
	first := true
	for i, f := range storyFields {
		if sel&(1<<i) == 0 {
			continue
		}
		if !first {
			w.buf.WriteByte(',')
		}
		first = false
		w.buf.WriteByte('"')
		w.buf.WriteString(f.name)
		w.buf.WriteString(`":`)
		if err := w.value(f.value(s)); err != nil {
			return err
		}
	}
	w.buf.WriteByte('}')
	return nil
}

// encodeCursor makes the opaque cursor pointing after s.
func encodeCursor(s *cms.LiveStory) string {
	raw := strconv.FormatInt(s.PublishedAt.UnixMilli(), 10) + "." + strconv.FormatInt(s.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(v string) (*cms.ContentCursor, error) {
	bad := cms.Invalid(map[string]string{"cursor": "翻页游标无效，请使用上一页返回的 next_cursor"})
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, bad
	}
	ms, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return nil, bad
	}
	t, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return nil, bad
	}
	return &cms.ContentCursor{PublishedAt: time.UnixMilli(t).UTC(), ID: n}, nil
}
