package site

import (
	"reflect"
	"strings"
	"testing"
)

func TestSearchTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want []string
	}{
		{"养老服务", []string{"养老", "老服", "服务"}},
		{"婚姻、登记", []string{"婚姻", "登记"}},
		{"“老”字", []string{"老", "字"}},
		{"２０２６年ＡＢＣ活动", []string{"2026", "年", "abc", "活动"}},
		{"WeChat 小程序v2", []string{"wechat", "小程", "程序", "v2"}},
		{"  ", nil},
	}
	for _, tt := range tests {
		if got := searchTerms(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("searchTerms(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// decodePostings mirrors decode in themes/huimin/assets/js/search.js.
func decodePostings(s string) []posting {
	var out []posting
	var v, last int64
	for _, c := range s {
		if d := strings.IndexRune(contDigits, c); d >= 0 {
			v = v*32 + int64(d)
			continue
		}
		v = v*32 + int64(strings.IndexRune(termDigits, c))
		last += v / 2
		out = append(out, posting{last, v%2 == 1})
		v = 0
	}
	return out
}

func TestEncodePostings(t *testing.T) {
	t.Parallel()
	ps := []posting{{1, false}, {2, true}, {3, false}, {40, false}, {1000, true}, {123456789, false}}
	enc := encodePostings(ps)
	if got := decodePostings(enc); !reflect.DeepEqual(got, ps) {
		t.Fatalf("round trip %q: %v, want %v", enc, got, ps)
	}
	if strings.ContainsAny(enc, `"\`) {
		t.Errorf("postings %q need JSON escaping", enc)
	}
	// Consecutive ids cost one character each: the common case for a word
	// that is in most stories.
	dense := make([]posting, 10000)
	for i := range dense {
		dense[i] = posting{int64(i + 1), false}
	}
	if n := len(encodePostings(dense)); n != 10000 {
		t.Errorf("10,000 consecutive ids take %d bytes, want 10000", n)
	}
}

// TestTermHash pins the hash search.js computes (FNV-1a over UTF-16 code
// units); the values come from running search.js's hash in node.
func TestTermHash(t *testing.T) {
	t.Parallel()
	for term, want := range map[string]uint32{"": 2166136261, "a": 0xe40c292c, "养老": 0x7da80781, "𠀀x": 0x40139caf} {
		if got := termHash(term); got != want {
			t.Errorf("termHash(%q) = %#x, want %#x", term, got, want)
		}
	}
	if termHash("养老") == termHash("老养") {
		t.Errorf("hash ignores order")
	}
}
