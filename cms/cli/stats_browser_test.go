package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestBrowser_ReachStats is issue 18's first two acceptance items in
// Chromium with a WeChat user agent: reading three stories, one through a
// link shared to 朋友圈, makes the admin's 数据统计 screen show 3 views,
// 1 visitor and the source 微信/朋友圈; no cookie is set and no request
// leaves the site; the public 阅读 N and the 排行 page show the counts
// without a site build.
func TestBrowser_ReachStats(t *testing.T) {
	clitest.ChromiumPath(t)
	s := clitest.MustRunServe(t, "")
	login := s.LoginSession(t, "admin", s.Password)
	var list struct {
		Items []struct{ Slug, Title string } `json:"items"`
	}
	s.CallJSON(t, "GET", "/api/v1/content/stories?per_page=3&fields=slug,title", "", nil, &list)
	if len(list.Items) < 3 {
		t.Fatalf("%d live stories", len(list.Items))
	}
	var builds struct{ Total int }
	s.CallJSON(t, "GET", "/api/v1/builds?per_page=1", login.Token, nil, &builds)

	b := newBrowser(t, s.URL)
	for i, st := range list.Items[:3] {
		path := "/stories/" + st.Slug + "/"
		if i == 0 {
			path += "?from=timeline"
		}
		b.open(t, path)
		// sendBeacon leaves with the page; give it the moment it needs.
		b.eval(t, `new Promise(r => setTimeout(r, 300, true))`, nil)
	}

	// The admin screen, signed in through the stored session.
	var report struct{ Views, Visitors int }
	deadline := time.Now().Add(20 * time.Second)
	for report.Views < 3 && time.Now().Before(deadline) {
		s.CallJSON(t, "POST", "/api/v1/stats/flush", login.Token, nil, nil)
		s.CallJSON(t, "GET", "/api/v1/stats/report", login.Token, nil, &report)
		time.Sleep(200 * time.Millisecond)
	}
	b.open(t, "/admin/")
	b.eval(t, login.Script(), nil)
	b.open(t, "/admin/stats")
	var screen struct {
		Views, Visitors string
		Sources         []string
	}
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		b.eval(t, `({Views: document.querySelector('[data-test="stats-views"]')?.textContent || "",
			Visitors: document.querySelector('[data-test="stats-visitors"]')?.textContent || "",
			Sources: [...document.querySelectorAll('[data-test="stats-sources"] .el-table__row')].map(r => r.innerText.replace(/\s+/g, " ").trim())})`, &screen)
		if screen.Views == "3" && len(screen.Sources) > 0 {
			break
		}
	}
	if screen.Views != "3" || screen.Visitors != "1" {
		t.Errorf("数据统计 shows %q views and %q visitors, want 3 and 1", screen.Views, screen.Visitors)
	}
	if !containsPrefix(screen.Sources, "微信/朋友圈 1 1") {
		t.Errorf("数据统计 sources %q, want 微信/朋友圈 with 1 view", screen.Sources)
	}

	// No cookie, nothing from another origin.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	var cookies []*network.Cookie
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL + "/", s.URL + "/admin/"}})
		cookies = res.Cookies
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cookies) > 0 {
		t.Errorf("the site set cookies: %v", cookies)
	}
	if f := b.foreignRequests(); len(f) > 0 {
		t.Errorf("requests left the site: %v", f)
	}

	// The public numbers move without a build: 阅读 N on the story read
	// through 朋友圈 (answers are cached for seconds), and the 排行 page.
	first := "/stories/" + list.Items[0].Slug + "/"
	var shown string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Second) {
		b.open(t, first)
		b.eval(t, `new Promise(r => setTimeout(() => { const v = document.querySelector('[data-stat="views"]');
			r(v && !v.hidden ? v.textContent.trim() : "") }, 500))`, &shown)
		if shown != "" && shown != "阅读 0" {
			break
		}
	}
	if !strings.HasPrefix(shown, "阅读 ") || shown == "阅读 0" {
		t.Errorf("story page shows %q, want 阅读 N with N ≥ 1", shown)
	}
	b.open(t, "/ranking/")
	var ranked []string
	b.eval(t, `new Promise(r => { const f = () => { const li = [...document.querySelectorAll("#ranking-list li")].map(l => l.innerText);
		li.length ? r(li) : setTimeout(f, 100) }; f() })`, &ranked)
	if len(ranked) < 3 || !strings.Contains(ranked[0], list.Items[0].Title) {
		t.Errorf("排行 lists %q, want the three stories read, %s first", ranked, list.Items[0].Title)
	}
	var after struct{ Total int }
	s.CallJSON(t, "GET", "/api/v1/builds?per_page=1", login.Token, nil, &after)
	if after.Total != builds.Total {
		t.Errorf("%d builds ran meanwhile; counts must not need one", after.Total-builds.Total)
	}
	if f := b.foreignRequests(); len(f) > 0 {
		t.Errorf("requests left the site: %v", f)
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
