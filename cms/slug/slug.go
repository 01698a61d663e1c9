// Package slug turns titles, often Chinese, into URL path segments: pinyin
// without tones, lowercase ASCII words joined by hyphens.
package slug

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// MaxWords bounds slug length: long Chinese titles would give unwieldy URLs.
const MaxWords = 8

var args = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal
	// Keep ASCII letters and digits of mixed titles ("2026年七夕") as they are.
	a.Fallback = func(r rune, a pinyin.Args) []string { return nil }
	return a
}()

// Make returns a slug for s, or "" when s has nothing usable (for example
// only punctuation or emoji); callers then fall back to an id.
func Make(s string) string {
	var words []string
	var ascii strings.Builder
	flush := func() {
		if ascii.Len() > 0 {
			words = append(words, ascii.String())
			ascii.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			ascii.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Han, r):
			flush()
			if py := pinyin.SinglePinyin(r, args); len(py) > 0 && py[0] != "" {
				words = append(words, py[0])
			}
		default:
			flush()
		}
	}
	flush()
	return strings.Join(words[:min(len(words), MaxWords)], "-")
}
