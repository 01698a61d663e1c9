package wording

import (
	"reflect"
	"testing"

	"github.com/huimin/huimin/cms"
)

func TestMatcher_Find(t *testing.T) {
	m := NewMatcher([]*cms.DictionaryTerm{
		{Term: "残废", Kind: cms.TermForbidden, Severity: cms.SeveritySerious, Suggestion: "残疾"},
		{Term: "残废人", Kind: cms.TermForbidden, Severity: cms.SeveritySerious, Suggestion: "残疾人"},
		{Term: "优扶", Kind: cms.TermError, Severity: cms.SeveritySerious, Suggestion: "优抚"},
		{Term: "ICP", Kind: cms.TermSensitive, Severity: cms.SeverityInfo},
		{Term: "  ", Kind: cms.TermError, Severity: cms.SeverityInfo},
	})
	hits := m.Find("body", "为残废人和残废军人做好优扶工作，icp备案")
	want := []struct {
		term string
		pos  int
	}{{"残废人", 1}, {"残废", 5}, {"优扶", 11}, {"ICP", 16}}
	if len(hits) != len(want) {
		t.Fatalf("hits = %+v", hits)
	}
	for i, w := range want {
		if hits[i].Term != w.term || hits[i].Position != w.pos || hits[i].Field != "body" {
			t.Errorf("hit %d = %s@%d, want %s@%d", i, hits[i].Term, hits[i].Position, w.term, w.pos)
		}
	}
	if hits[2].Suggestion != "优抚" || hits[2].Message == "" || hits[2].Context == "" {
		t.Errorf("hit lacks suggestion, message or context: %+v", hits[2])
	}
	if got := NewMatcher(nil).Find("title", "任何文字"); len(got) != 0 {
		t.Errorf("empty dictionary found %v", got)
	}
}

func TestCheck_Form(t *testing.T) {
	s := Story{
		Title:      "标题",
		ShareTitle: "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三",
		Summary:    string(make([]rune, 0)),
		Body: `<p>正文</p><img src="/a.jpg"><img src="/b.jpg" alt="合影">` +
			`<a href="/stories/ok/">a</a><a href="/stories/gone/">b</a><a href="https://site.example/projects/x/">c</a>` +
			`<a href="https://other.example/stories/gone/">d</a><a href="mailto:x@y">e</a>`,
		Images: []Image{{Field: "cover", MediaID: 3, Alt: "", Caption: "说明"}},
		Host:   "site.example",
	}
	for range 130 {
		s.Summary += "字"
	}
	hits := Check(s, NewMatcher(nil), func(p string) bool { return p == "/stories/ok/" })
	got := map[string]bool{}
	for _, h := range hits {
		got[h.Check+"|"+h.Field+"|"+h.Term] = true
	}
	for _, k := range []string{
		"share_title|share_title|", "summary|summary|", "image_alt|cover.alt|", "image_alt|body.img[1].alt|",
		"link|body|/stories/gone/", "link|body|/projects/x/",
	} {
		if !got[k] {
			t.Errorf("missing %s in %v", k, got)
		}
	}
	if got["image_alt|body.img[2].alt|"] || got["link|body|/stories/ok/"] || len(hits) != 6 {
		t.Errorf("unexpected hits: %v", got)
	}
}

func TestSplitOwnPath(t *testing.T) {
	for p, want := range map[string][2]string{
		"/stories/a-b/": {"stories", "a-b"}, "/stories/": {"stories", ""}, "/stories/page/2/": {"stories", ""},
		"/s/12/": {"s", "12"}, "/projects/x": {"projects", "x"},
	} {
		if s, n := SplitOwnPath(p); s != want[0] || n != want[1] {
			t.Errorf("SplitOwnPath(%q) = %q, %q", p, s, n)
		}
	}
}

func TestBodyImages(t *testing.T) {
	body := `<img SRC='/a.jpg' alt=" 老人&nbsp;&nbsp;与  志愿者 " data-media-id="12"><!-- <img src="/gone.jpg"> -->` +
		`<img data-src="https://x.example/lazy.jpg" src="/b.jpg"><img alt="" src="https://mmbiz.qpic.cn/a.jpg">`
	got := BodyImages(body)
	want := []BodyImage{
		{MediaID: 12, Alt: "老人 与 志愿者", HasAlt: true, Src: "/a.jpg"},
		{Src: "/b.jpg"},
		{HasAlt: true, Src: "https://mmbiz.qpic.cn/a.jpg"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BodyImages:\n got %+v\nwant %+v", got, want)
	}
}

func TestOwnLinksFor(t *testing.T) {
	body := `<a href="/stories/a/">甲</a><a data-href="/stories/not-a-link/">乙</a><A HREF=/projects/b/>丙</A>` +
		`<a href="https://site.example/s/about/">丁</a><a href="/stories/a/">戊</a><!-- <a href="/stories/c/"> -->`
	got := OwnLinksFor(body, "site.example")
	if want := []string{"/stories/a/", "/projects/b/", "/s/about/"}; !reflect.DeepEqual(got, want) {
		t.Errorf("OwnLinksFor = %q, want %q", got, want)
	}
}
