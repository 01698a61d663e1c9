package web

import (
	"net/http/httptest"
	"testing"

	"github.com/huimin/huimin/cms"
)

func TestBeacon_SourceOf(t *testing.T) {
	t.Parallel()
	const host = "news.example.gov.cn"
	const wx = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.47"
	for _, c := range []struct {
		req             beaconRequest
		ua, want, wantH string
	}{
		{beaconRequest{From: "timeline"}, wx, cms.SourceWechatTimeline, ""},
		{beaconRequest{From: "groupmessage"}, wx, cms.SourceWechatGroup, ""},
		{beaconRequest{From: "singlemessage"}, "Safari", cms.SourceWechatSingle, ""},
		{beaconRequest{Src: cms.StatsSourceArticle, From: "timeline"}, wx, cms.SourceWechatArticle, ""},
		{beaconRequest{}, wx, cms.SourceWechatOther, ""},
		{beaconRequest{Referrer: "https://www.baidu.com/link?url=x"}, "Chrome", cms.SourceSearch, "www.baidu.com"},
		{beaconRequest{Referrer: "https://" + host + "/stories/"}, "Chrome", cms.SourceInternal, ""},
		{beaconRequest{Referrer: "https://portal.example.org/a"}, "Chrome", cms.SourceReferral, "portal.example.org"},
		{beaconRequest{Referrer: "android-app://com.tencent.mm/"}, "Chrome", cms.SourceDirect, ""},
		{beaconRequest{}, "Chrome", cms.SourceDirect, ""},
	} {
		got, h := sourceOf(&c.req, c.ua, host+":443")
		if got != c.want || h != c.wantH {
			t.Errorf("%+v (%s): %s %q, want %s %q", c.req, c.ua, got, h, c.want, c.wantH)
		}
	}
}

func TestBeacon_Ignored(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		header map[string]string
		want   string
	}{
		{map[string]string{"User-Agent": "Mozilla/5.0 (Linux; Android 13) Mobile MicroMessenger/8.0"}, ""},
		{map[string]string{"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0)"}, "bot"},
		{map[string]string{"User-Agent": "Sogou web spider/4.0"}, "bot"},
		{map[string]string{"User-Agent": "Mozilla/5.0 (compatible; Bytespider)"}, "bot"},
		{map[string]string{"User-Agent": "python-requests/2.31"}, "bot"},
		{map[string]string{"User-Agent": "Chrome", "Sec-Purpose": "prefetch;prerender"}, "prefetch"},
		{map[string]string{"User-Agent": "Chrome", "X-Moz": "prefetch"}, "prefetch"},
		{map[string]string{"User-Agent": "Chrome", "Referer": "http://example.com/preview/x"}, "preview"},
		{map[string]string{"User-Agent": "Chrome", "Referer": "http://other.org/preview/x"}, ""},
	} {
		r := httptest.NewRequest("POST", "http://example.com/api/v1/beacon", nil)
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		if got := ignoredBeacon(r); got != c.want {
			t.Errorf("%v: %q, want %q", c.header, got, c.want)
		}
	}
}

func TestBeacon_NormalisePath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/stories/a/":               "/stories/a/",
		"/stories/a":                "/stories/a/",
		"/stories/a/index.html":     "/stories/a/",
		"/stories/page/3/":          "/stories/",
		"/tags/%E5%85%BB%E8%80%81/": "/tags/养老/",
		"/":                         "/",
	} {
		if got := normalisePagePath(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// TestBeacon_VisitorHash: the hash hides the address and changes with the
// salt, so yesterday's visitors cannot be linked to today's, and with the
// site, so a reader of two sites cannot be linked across them.
func TestBeacon_VisitorHash(t *testing.T) {
	t.Parallel()
	a := visitorHash([]byte("salt-1"), "203.0.113.77", "UA", 1)
	b := visitorHash([]byte("salt-2"), "203.0.113.77", "UA", 1)
	c := visitorHash([]byte("salt-1"), "203.0.113.78", "UA", 1)
	d := visitorHash([]byte("salt-1"), "203.0.113.77", "UA", 2)
	if a == b || a == c || a == d || len(a) != 16 {
		t.Fatalf("hashes %s %s %s %s", a, b, c, d)
	}
	if a != visitorHash([]byte("salt-1"), "203.0.113.77", "UA", 1) {
		t.Fatal("not stable within a day")
	}
}

func TestBeacon_DeviceOf(t *testing.T) {
	t.Parallel()
	for ua, want := range map[string]string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148": "phone",
		"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)":                        "tablet",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120":                 "desktop",
	} {
		if got := deviceOf(ua); got != want {
			t.Errorf("%s: %s, want %s", ua, got, want)
		}
	}
}
