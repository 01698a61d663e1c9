package admin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestAdminBrowser_Highlights: on the city site (overview on) an editor
// opens 全市服务品牌, searches the districts' published stories, picks two,
// moves the second up and removes one; the server keeps that order. A
// district's editor has no such menu item. axe-core finds no WCAG 2.1
// A/AA violation on the screen.
func TestAdminBrowser_Highlights(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 6*time.Minute)
	axe := clitest.AxeSource(t)
	shots := adminShots(t)
	s := clitest.MustRunServe(t, "", "--demo=false")
	admin := s.Login(t, "admin", s.Password)
	for _, site := range []map[string]any{
		{"slug": "city", "name": "无锡市民政局", "hosts": []string{"city.example.test"}, "overview": true},
		{"slug": "jiangyin", "name": "江阴市民政局", "hosts": []string{"jy.example.test"}},
	} {
		if code, out := s.Call(t, "POST", "/api/v1/sites", admin, site); code != http.StatusCreated {
			t.Fatalf("create site %v: %d %v", site["slug"], code, out)
		}
	}
	// 江阴 publishes two stories.
	code, set := callIn(t, s, "jiangyin", "GET", "/api/v1/settings", admin, nil)
	if code != http.StatusOK {
		t.Fatalf("settings: %d", code)
	}
	callIn(t, s, "jiangyin", "PATCH", "/api/v1/settings", admin, map[string]any{"version": set["version"], "review_stages": 1})
	_, p := callIn(t, s, "jiangyin", "POST", "/api/v1/projects", admin, map[string]any{
		"name": "银龄互助", "slug": "yinling", "kind": "volunteer", "area": "elderly"})
	titles := []string{"江阴银龄结对帮扶", "江阴社区助老食堂开张"}
	for _, title := range titles {
		code, st := callIn(t, s, "jiangyin", "POST", "/api/v1/stories", admin, map[string]any{
			"title": title, "summary": "摘要", "body": "<p>正文</p>", "project_id": p["id"]})
		if code != http.StatusCreated {
			t.Fatalf("story %s: %d %v", title, code, st)
		}
		for _, act := range []string{"submit", "approve", "publish"} {
			if code, out := callIn(t, s, "jiangyin", "POST", fmt.Sprintf("/api/v1/stories/%v/actions/%s", st["id"], act), admin, map[string]any{}); code != http.StatusOK {
				t.Fatalf("%s: %d %v", act, code, out)
			}
		}
	}
	for _, u := range []struct{ site, name string }{{"city", "cityeditor"}, {"jiangyin", "jyeditor"}} {
		if code, out := callIn(t, s, u.site, "POST", "/api/v1/users", admin, map[string]any{
			"username": u.name, "name": u.name, "role": "editor", "password": "password-" + u.name}); code != http.StatusCreated {
			t.Fatalf("user %s: %d %v", u.name, code, out)
		}
	}

	// A district's editor: no 全市服务品牌.
	jy := openAdminTab(t, browser, s.URL, "jyeditor", shots)
	jy.login("jyeditor", "password-jyeditor")
	jy.visible(dt("menu-stories"))
	if jy.poll(`document.querySelector('[data-test="menu-highlights"]')`, 2*time.Second) {
		t.Error("全市服务品牌 is in the menu of a district's editor")
	}

	ed := openAdminTab(t, browser, s.URL, "cityeditor", shots)
	ed.login("cityeditor", "password-cityeditor")
	ed.click(dt("menu-highlights"))
	ed.visible(dt("candidate-list"))
	ed.waitFor("both stories offered", `document.querySelectorAll('[data-test="candidate-row"]').length === 2`)
	ed.axe(axe, "全市服务品牌")
	ed.typeText(dt("highlight-q"), "助老")
	ed.click(dt("highlight-search"))
	ed.waitFor("the search narrows", `document.querySelectorAll('[data-test="candidate-row"]').length === 1`)
	ed.click(dt("candidate-add"))
	ed.waitFor("the first pick", `document.querySelectorAll('[data-test="highlight-row"]').length === 1`)
	ed.typeText(dt("highlight-q"), "江阴")
	ed.click(dt("highlight-search"))
	ed.waitFor("the other story offered", `document.querySelectorAll('[data-test="candidate-add"]').length === 1`)
	ed.click(dt("candidate-add"))
	ed.waitFor("two picks", `document.querySelectorAll('[data-test="highlight-row"]').length === 2`)
	// The second pick (银龄) goes first.
	ed.clickNth("highlight-up", 2)
	ed.waitFor("the new order", `(r => r.length === 2 && r[0].innerText.includes("银龄") && r[1].innerText.includes("助老"))([...document.querySelectorAll('[data-test="highlight-row"]')])`)
	ed.axe(axe, "全市服务品牌 with picks")
	ed.screenshot("highlights")

	_, list := callIn(t, s, "city", "GET", "/api/v1/highlights", s.Login(t, "cityeditor", "password-cityeditor"), nil)
	var got []string
	items, _ := list["items"].([]any)
	for _, it := range items {
		st, _ := it.(map[string]any)["story"].(map[string]any)
		got = append(got, fmt.Sprint(st["title"]))
	}
	if want := titles[0] + "," + titles[1]; strings.Join(got, ",") != want {
		t.Errorf("highlights on the server: %v, want %s", got, want)
	}

	ed.clickNth("highlight-remove", 1)
	ed.click(".el-message-box__btns .el-button--primary")
	ed.waitFor("one pick left", `document.querySelectorAll('[data-test="highlight-row"]').length === 1`)
	ed.checkConsole("全市服务品牌")
}

// clickNth clicks the nth (from 1) element with data-test name.
func (a *adminTab) clickNth(name string, n int) {
	a.t.Helper()
	a.waitFor(fmt.Sprintf("%s number %d", name, n), fmt.Sprintf(`(() => {
		const el = document.querySelectorAll('[data-test=%s]')[%d];
		if (!el) return false;
		document.querySelectorAll("[data-hm-pick]").forEach(e => e.removeAttribute("data-hm-pick"));
		el.setAttribute("data-hm-pick", "");
		return true;
	})()`, js(name), n-1))
	a.click(`[data-hm-pick]`)
}
