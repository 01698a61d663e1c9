package store

import (
	"strings"
	"testing"
)

func TestQueryTerms(t *testing.T) {
	t.Parallel()
	tok := func(kind byte, s string) string { return token(kind, []rune(s)) }
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"养老", []string{tok(termBigram, "养老")}},
		{"养老服务", []string{tok(termBigram, "养老"), tok(termBigram, "老服"), tok(termBigram, "服务")}},
		{"婚", []string{tok(termUnigram, "婚")}},
		{"WeChat，小程序", []string{tok(termWord, "wechat"), tok(termBigram, "小程"), tok(termBigram, "程序")}},
		{"２０２６年", []string{tok(termWord, "2026"), tok(termUnigram, "年")}},
		{"…", nil},
	} {
		got := queryTerms(tc.q)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("queryTerms(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
	// Tokens are plain ASCII letters and digits, long enough for MySQL's
	// minimum and short enough for its maximum.
	for _, term := range strings.Fields(docTerms("𠀀養老 Ünïcode " + strings.Repeat("x", 100))) {
		if len(term) < 5 || len(term) > 84 || strings.Trim(term, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Errorf("token %q", term)
		}
	}
}

func TestDocTerms(t *testing.T) {
	t.Parallel()
	terms := " " + docTerms("", bodyText(`<p>社区<strong>养</strong>老</p><p>服务&amp;中心</p>`)) + " "
	has := func(kind byte, s string) bool { return strings.Contains(terms, " "+token(kind, []rune(s))+" ") }
	if !has(termBigram, "养老") || !has(termUnigram, "社") {
		t.Errorf("inline tags must not split words: %q", terms)
	}
	if has(termBigram, "老服") {
		t.Errorf("paragraphs must split words")
	}
	if bodyText(`<p>a&lt;b</p>`) != " a<b " {
		t.Errorf("entities: %q", bodyText(`<p>a&lt;b</p>`))
	}
}
