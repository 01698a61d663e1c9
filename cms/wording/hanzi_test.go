package wording

import (
	"strings"
	"testing"

	"github.com/huimin/huimin/cms"
)

func TestHanziHits(t *testing.T) {
	hits := HanziHits("body", "我们要堅(jiān)持為人民服務,不斷前進。", nil)
	var got []string
	for _, h := range hits {
		got = append(got, h.Check+":"+h.Term+"→"+h.Suggestion)
	}
	want := []string{"pinyin:堅(jiān)→坚", "hanzi:為→为", "hanzi:務→务", "punctuation:,→，", "hanzi:斷→断", "hanzi:進→进"}
	for _, w := range want {
		found := false
		for _, g := range got {
			if g == w {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %q in %q", w, got)
		}
	}
	// The pinyin note's character is converted with it, not reported twice.
	for _, h := range hits {
		if h.Check == cms.CheckHanzi && strings.Contains(h.Term, "堅") {
			t.Errorf("堅 reported twice: %+v", h)
		}
	}
	if hits := HanziHits("body", "坚持为人民服务，不断前进。数字1,000和英文Hello, world!不算。", nil); len(hits) != 0 {
		t.Errorf("standard text has hits: %+v", hits)
	}
}

func TestSimplify(t *testing.T) {
	keep := []string{"臺灣銀行"}
	got := Simplify("堅(jiān)持為人民服務,臺灣銀行的客戶(市民)也來了", keep)
	want := "坚持为人民服务，臺灣銀行的客户（市民）也来了"
	if got != want {
		t.Errorf("Simplify = %q, want %q", got, want)
	}
	if hits := HanziHits("title", "臺灣銀行", keep); len(hits) != 0 {
		t.Errorf("kept term reported: %+v", hits)
	}
	body := `<p>我們<a href="/stories/jian-chi/" title="堅持">堅(jiān)持</a> &amp; 服務</p>`
	gotHTML := SimplifyHTML(body, nil)
	wantHTML := `<p>我们<a href="/stories/jian-chi/" title="堅持">坚持</a> &amp; 服务</p>`
	if gotHTML != wantHTML {
		t.Errorf("SimplifyHTML = %q, want %q", gotHTML, wantHTML)
	}
}

// A dictionary term of kind keep is no hit of its own and is passed over
// by the 规范汉字 check in Check.
func TestCheck_KeepTerm(t *testing.T) {
	m := NewMatcher([]*cms.DictionaryTerm{{Term: "香港賽馬會", Kind: cms.TermKeep, Severity: cms.SeverityInfo}})
	hits := Check(Story{Title: "香港賽馬會捐贈", Body: "<p>感謝</p>"}, m, nil)
	if len(hits) != 2 || hits[0].Term != "贈" || hits[1].Term != "謝" {
		t.Errorf("hits = %+v", hits)
	}
}
