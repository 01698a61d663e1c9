package cms

import "testing"

func TestArticleSourceURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://mz.example.gov.cn/stories/ban-zheng/":       "https://mz.example.gov.cn/stories/ban-zheng/?hm_src=wx_article",
		"https://mz.example.gov.cn/stories/a/?from=timeline": "https://mz.example.gov.cn/stories/a/?from=timeline&hm_src=wx_article",
		"/stories/a/?hm_src=old":                             "/stories/a/?hm_src=wx_article",
	} {
		if got := ArticleSourceURL(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestStatsSettings_Validate(t *testing.T) {
	s := StatsSettings{RetentionDays: 1}
	err := s.Validate()
	if e, ok := err.(*Error); !ok || e.Code != EINVALID || e.Fields["retention_days"] == "" {
		t.Fatalf("retention 1: %v, want EINVALID naming retention_days", err)
	}
	s.RetentionDays = 90
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}
