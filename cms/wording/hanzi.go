package wording

// 规范汉字: the characters of the 通用规范汉字表 are the simplified ones.
// Text pasted from Hong Kong, Taiwan or old sites brings traditional
// characters and variants (「堅持」 for 「坚持」), pinyin annotations copied
// with the characters (「堅(jiān)持」) and half-width punctuation among
// Chinese text. HanziHits finds them; Simplify converts them with OpenCC's
// t2s dictionaries, leaving the terms the bureau keeps (dictionary terms of
// kind keep: proper names) as they are.

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	xhtml "golang.org/x/net/html"

	"github.com/huimin/huimin/cms"
)

var (
	t2sOnce sync.Once
	t2s     *opencc.OpenCC
	t2sErr  error
	// OpenCC's converter keeps no state between calls, but its dictionary
	// lookups are not documented as safe for concurrent use.
	t2sMu sync.Mutex
)

func toSimplified(s string) string {
	t2sOnce.Do(func() { t2s, t2sErr = opencc.New("t2s") })
	if t2sErr != nil || s == "" {
		return s
	}
	t2sMu.Lock()
	defer t2sMu.Unlock()
	out, err := t2s.Convert(s)
	if err != nil {
		return s
	}
	return out
}

// pinyinNote is a character followed by its pinyin in brackets, as copied
// from dictionaries and annotated pages: 堅(jiān) or 坚（jian1）.
var pinyinNote = regexp.MustCompile(`(\p{Han})[(（]([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]{1,7}[1-5]?)[)）]`)

// halfPunct maps the half-width punctuation that does not belong among
// Chinese characters to its full-width form.
var halfPunct = map[rune]rune{',': '，', ';': '；', ':': '：', '?': '？', '!': '！', '(': '（', ')': '）'}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// halfAmongHan returns the full-width form of runes[i] when it is
// half-width punctuation among Chinese characters: after one, or for an
// opening bracket, before one.
func halfAmongHan(runes []rune, i int) (rune, bool) {
	full, ok := halfPunct[runes[i]]
	if !ok || i == 0 {
		return 0, false
	}
	if runes[i] == '(' {
		return full, i+1 < len(runes) && isHan(runes[i+1])
	}
	return full, isHan(runes[i-1])
}

// keepMask returns text with every occurrence of a kept term replaced by
// as many private-use characters, so that checks and conversion pass over
// it while positions stay the same, and the terms' texts in order.
func keepMask(text string, keep []string) (string, []string) {
	if len(keep) == 0 {
		return text, nil
	}
	type span struct{ start, end int }
	var spans []span
	for _, k := range keep {
		if k == "" {
			continue
		}
		for i := 0; ; {
			j := strings.Index(text[i:], k)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(k)})
			i += j + len(k)
		}
	}
	if len(spans) == 0 {
		return text, nil
	}
	// Earliest first, longer first at one start; overlaps dropped.
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end))
	})
	var b strings.Builder
	var kept []string
	last := 0
	for _, s := range spans {
		if s.start < last {
			continue
		}
		b.WriteString(text[last:s.start])
		kept = append(kept, text[s.start:s.end])
		b.WriteString(strings.Repeat(string(keepRune), utf8.RuneCountInString(text[s.start:s.end])))
		last = s.end
	}
	b.WriteString(text[last:])
	return b.String(), kept
}

// keepRune stands for the characters of a kept term while text is checked.
const keepRune = '\uE000'

// unmask puts the kept terms back in place of their private-use runs.
func unmask(text string, kept []string) string {
	if len(kept) == 0 {
		return text
	}
	var b strings.Builder
	k := 0
	in := false
	for _, r := range text {
		if r != keepRune {
			in = false
			b.WriteRune(r)
			continue
		}
		if !in && k < len(kept) {
			b.WriteString(kept[k])
			k++
		}
		in = true
	}
	return b.String()
}

// HanziHits returns the 规范汉字 hits of one field's plain text: traditional
// or variant characters, pinyin annotations, half-width punctuation among
// Chinese characters. Terms in keep are passed over.
func HanziHits(field, text string, keep []string) []cms.Hit {
	if text == "" {
		return nil
	}
	masked, _ := keepMask(text, keep)
	var hits []cms.Hit
	runes := []rune(masked)

	// Pinyin annotations first: their characters are reported once.
	noted := map[int]bool{}
	for _, m := range pinyinNote.FindAllStringSubmatchIndex(masked, -1) {
		pos := utf8.RuneCountInString(masked[:m[0]])
		n := utf8.RuneCountInString(masked[m[0]:m[1]])
		for i := pos; i < pos+n; i++ {
			noted[i] = true
		}
		hits = append(hits, cms.Hit{Check: cms.CheckPinyin, Field: field, Position: pos, Length: n,
			Term: masked[m[0]:m[1]], Severity: cms.SeverityWarning, Suggestion: toSimplified(masked[m[2]:m[3]]),
			Message: fmt.Sprintf("“%s”是复制网页时带来的拼音注音，应删去括号和拼音", masked[m[0]:m[1]]),
			Context: around(masked, m[0], m[1])})
	}

	// Traditional characters and variants: the text converted as a whole
	// (OpenCC's phrases decide ambiguous characters), compared rune by rune
	// when the conversion keeps the length, as t2s does but for rare phrases.
	conv := []rune(toSimplified(masked))
	simplified := func(i int) string {
		if len(conv) == len(runes) {
			return string(conv[i])
		}
		return toSimplified(string(runes[i]))
	}
	for i := 0; i < len(runes); {
		r := runes[i]
		if !isHan(r) || noted[i] {
			i++
			continue
		}
		s := simplified(i)
		if s == string(r) {
			i++
			continue
		}
		// A run of converted characters is one hit: 「堅持」 in 「堅持不懈」.
		j := i + 1
		want := s
		for j < len(runes) && isHan(runes[j]) && !noted[j] {
			t := simplified(j)
			if t == string(runes[j]) {
				break
			}
			want += t
			j++
		}
		found := string(runes[i:j])
		start := len(string(runes[:i]))
		hits = append(hits, cms.Hit{Check: cms.CheckHanzi, Field: field, Position: i, Length: j - i, Term: found,
			Severity: cms.SeverityWarning, Suggestion: want,
			Message: fmt.Sprintf("“%s”是繁体字或异体字，规范汉字为“%s”", found, want),
			Context: around(masked, start, start+len(found))})
		i = j
	}

	// Half-width punctuation right after a Chinese character.
	for i, r := range runes {
		full, ok := halfAmongHan(runes, i)
		if !ok || noted[i] {
			continue
		}
		start := len(string(runes[:i]))
		hits = append(hits, cms.Hit{Check: cms.CheckPunctuation, Field: field, Position: i, Length: 1, Term: string(r),
			Severity: cms.SeverityInfo, Suggestion: string(full),
			Message: fmt.Sprintf("中文中混用了半角标点“%c”，应为全角“%c”", r, full),
			Context: around(masked, start, start+1)})
	}
	return hits
}

// Simplify returns text with pinyin annotations removed, traditional and
// variant characters converted to simplified ones and half-width
// punctuation among Chinese characters made full-width; terms in keep stay
// as they are.
func Simplify(text string, keep []string) string {
	if text == "" {
		return text
	}
	masked, kept := keepMask(text, keep)
	masked = pinyinNote.ReplaceAllString(masked, "$1")
	masked = toSimplified(masked)
	runes := []rune(masked)
	for i := range runes {
		if full, ok := halfAmongHan(runes, i); ok {
			runes[i] = full
		}
	}
	return unmask(string(runes), kept)
}

// SimplifyHTML is Simplify applied to the text of an HTML fragment (a
// story body), leaving tags and attributes alone.
func SimplifyHTML(body string, keep []string) string {
	if body == "" {
		return body
	}
	z := xhtml.NewTokenizer(strings.NewReader(body))
	var b bytes.Buffer
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := z.Raw()
		if tt != xhtml.TextToken {
			b.Write(raw)
			continue
		}
		text := html.UnescapeString(string(raw))
		if conv := Simplify(text, keep); conv != text {
			b.WriteString(html.EscapeString(conv))
		} else {
			b.Write(raw)
		}
	}
	return b.String()
}

// KeepTerms returns the dictionary terms of kind keep: the proper names the
// bureau keeps as they are written.
func KeepTerms(terms []*cms.DictionaryTerm) []string {
	var out []string
	for _, t := range terms {
		if t.Kind == cms.TermKeep && strings.TrimSpace(t.Term) != "" {
			out = append(out, strings.TrimSpace(t.Term))
		}
	}
	return out
}
