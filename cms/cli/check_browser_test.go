package cli_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestBrowser_Inspection is issue 20's fourth acceptance item for the
// screen: 网站体检 in Chromium lists the demo's findings with indicator,
// place and fix, its one-click conversion turns a story's 堅(jiān)持 into
// 坚持, and axe-core finds no WCAG 2.1 A/AA violation on it.
func TestBrowser_Inspection(t *testing.T) {
	clitest.ChromiumPath(t)
	axe := clitest.AxeSource(t)
	s := clitest.MustRunServe(t, "")
	login := s.LoginSession(t, "admin", s.Password)
	_, p := s.Call(t, "POST", "/api/v1/projects", login.Token, map[string]any{"name": "体检测试", "kind": "volunteer", "area": "elderly"})
	st := s.Must(t, http.StatusCreated, "POST", "/api/v1/stories", login.Token, map[string]any{"title": "繁体稿件", "project_id": p["id"],
		"body": "<p>我们要堅(jiān)持为群众服务。</p>"})
	id := clitest.Num(st["id"])
	s.WaitBuild(t, login.Token, s.Act(t, login.Token, id, "publish", nil, http.StatusOK)["build_id"])

	b := newBrowser(t, s.URL)
	// The admin screens are for desktops (on a phone-width screen the side
	// menu collapses to icons).
	b.run(t, chromedp.EmulateViewport(1366, 768))
	b.open(t, "/admin/")
	b.eval(t, login.Script(), nil)
	b.open(t, "/admin/inspection")
	var screen struct {
		Veto  string
		Rows  []string
		Heads []string
	}
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		b.eval(t, `({Veto: document.querySelector('[data-test="count-veto"]')?.textContent || "",
			Heads: [...document.querySelectorAll('[data-test="inspection-items"] th')].map(h => h.innerText.trim()),
			Rows: [...document.querySelectorAll('[data-test="inspection-items"] .el-table__row')].map(r => r.innerText.replace(/\s+/g, " ").trim())})`, &screen)
		if screen.Veto != "" && len(screen.Rows) > 0 {
			break
		}
	}
	if screen.Veto == "" || screen.Veto == "0" {
		t.Errorf("单项否决 count %q, want the demo's stale sections", screen.Veto)
	}
	for _, h := range []string{"检查指标", "发现的问题", "位置", "整改方法"} {
		if !strings.Contains(strings.Join(screen.Heads, "|"), h) {
			t.Errorf("no column %s: %q", h, screen.Heads)
		}
	}
	joined := strings.Join(screen.Rows, "\n")
	for _, want := range []string{"单项否决", "超过14天未更新", "使用不规范汉字", "堅(jiān)", "/stories/"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the screen lacks %q:\n%s", want, joined)
		}
	}

	t.Run("axe-core finds no WCAG 2.1 A/AA violations", func(t *testing.T) {
		res := b.axeRun(t, axe)
		if res.Passes < 10 {
			t.Errorf("axe passed only %d rules: did it run?", res.Passes)
		}
		for _, v := range res.Violations {
			t.Errorf("%s (%s):\n  %s", v.ID, v.Help, strings.Join(v.Nodes, "\n  "))
		}
	})

	// The one-click conversion.
	b.eval(t, `(() => { const b = document.querySelector('[data-test="inspection-simplify"]'); if (b) b.click(); return !!b })()`, nil)
	var body string
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		_, got := s.Call(t, "GET", clitest.StoryPath(id, ""), login.Token, nil)
		if body, _ = got["body"].(string); strings.Contains(body, "坚持") {
			break
		}
	}
	if body != "<p>我们要坚持为群众服务。</p>" {
		t.Errorf("after the one-click conversion the body is %q", body)
	}
	// The dashboard names the overdue sections and who last published there.
	b.open(t, "/admin/")
	var warn string
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end) && warn == ""; time.Sleep(200 * time.Millisecond) {
		b.eval(t, `document.querySelector('[data-test="freshness-warning"]')?.innerText || ""`, &warn)
	}
	if !strings.Contains(warn, "栏目更新提醒") || !strings.Contains(warn, "项目「“幸福起航”颁证服务」：最近一篇由system发布于") || !strings.Contains(warn, "超期未更新") {
		t.Errorf("dashboard reminder: %q", warn)
	}
	if f := b.foreignRequests(); len(f) > 0 {
		t.Errorf("requests left the site: %v", f)
	}
}
