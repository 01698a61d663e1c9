package admin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestAdminBrowser_Sites is issue 15's fifth acceptance item: a platform
// admin creates a second site on 站点管理 and a user who is an editor in
// site 1 and the 复审 reviewer in site 2; that user signs in, switches
// between the two sites in the header and sees each site's own stories
// and their role there; axe-core finds no WCAG 2.1 A/AA violation on
// 站点管理, its dialog, the roles per site and the switcher.
func TestAdminBrowser_Sites(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 8*time.Minute)
	axe := clitest.AxeSource(t)
	shots := adminShots(t)
	s := clitest.MustRunServe(t, "", "--demo=false")
	admin := s.Login(t, "admin", s.Password)
	if code, out := s.Call(t, "POST", "/api/v1/projects", admin, map[string]any{
		"name": "婚姻登记", "slug": "hunyin", "kind": "window", "area": "marriage"}); code != http.StatusCreated {
		t.Fatalf("create the site 1 project: %d %v", code, out)
	}

	// 站点管理: the platform admin adds 江阴's site.
	pa := openAdminTab(t, browser, s.URL, "platform", shots)
	pa.login("admin", s.Password)
	pa.visible(dt("site-switcher"))
	pa.click(dt("menu-sites"))
	pa.visible(dt("site-list"))
	pa.waitFor("the default site", `document.querySelectorAll('[data-test="site-row"]').length === 1`)
	pa.axe(axe, "站点管理")
	pa.click(dt("site-new"))
	pa.visible(dt("site-dialog"))
	pa.axe(axe, "新建站点")
	pa.typeText(dt("site-name"), "江阴市民政局")
	pa.typeText(dt("site-slug"), "jiangyin")
	pa.typeText(dt("site-hosts-input"), "JiangYin.example.test")
	pa.do("a second host name on a line of its own", chromedp.KeyEvent(kb.Enter), insertText("mz.jiangyin.example.test"))
	pa.click(dt("site-save"))
	pa.gone(dt("site-dialog"))
	pa.waitFor("the new site in the list", `(document.querySelector('[data-test="site-list"]')?.innerText || "").includes("江阴市民政局")`)
	if got := pa.text(dt("site-list")); !strings.Contains(got, "jiangyin.example.test、mz.jiangyin.example.test") {
		t.Errorf("site list does not show the new site's host names, lower-cased:\n%s", got)
	}
	var sites struct {
		Items []struct {
			ID    int64    `json:"id"`
			Slug  string   `json:"slug"`
			Name  string   `json:"name"`
			Hosts []string `json:"hosts"`
		} `json:"items"`
	}
	if code := s.CallJSON(t, "GET", "/api/v1/sites", admin, nil, &sites); code != http.StatusOK || len(sites.Items) != 2 || sites.Items[1].Slug != "jiangyin" {
		t.Fatalf("sites after the create: %d %+v", code, sites)
	}
	site1, site2 := sites.Items[0].ID, sites.Items[1].ID
	pa.checkConsole("站点管理")

	// 用户: 周敏 is an editor in site 1 (new account) and the 复审 reviewer
	// in site 2 (a change of it).
	pa.click(dt("menu-users"))
	pa.visible(dt("user-list"))
	pa.click(dt("user-new"))
	pa.visible(dt("user-dialog"))
	pa.typeText(dt("user-username"), "zhoumin")
	pa.typeText(dt("user-name"), "周敏")
	pa.typeText(dt("user-password"), "password-zhoumin")
	pa.waitFor("a role in the current site to start with", `document.querySelectorAll('[data-test="user-site-row"]').length === 1`)
	pa.click(dt("user-save"))
	pa.gone(dt("user-dialog"))
	// The role in site 2 comes with a change of the account.
	pa.clickText(`[data-test="user-row"]`, "zhoumin")
	pa.visible(dt("user-dialog"))
	pa.waitFor("周敏's role in site 1", `document.querySelectorAll('[data-test="user-site-row"]').length === 1`)
	pa.click(dt("user-site-add"))
	const row2 = `[data-test="user-sites"] div[data-test="user-site-row"]:nth-of-type(2)`
	pa.waitFor("the second site offered for the new row", `(document.querySelector('`+row2+` [data-test="user-site"]')?.innerText || "").includes("江阴市民政局")`)
	pa.click(chromedp.CSS(row2 + ` [data-test="user-site-role"]`))
	pa.clickText(".el-select-dropdown__item", "审核人员")
	pa.click(chromedp.CSS(row2 + ` [data-test="user-site-level"]`))
	pa.clickText(".el-select-dropdown__item", "复审")
	pa.do("close the dropdown", chromedp.KeyEvent(kb.Escape))
	pa.axe(axe, "用户: roles per site")
	pa.click(dt("user-save"))
	pa.gone(dt("user-dialog"))
	pa.waitFor("周敏's roles in the list", `[...document.querySelectorAll('[data-test="user-list"] .el-table__row')].some(r => r.innerText.includes("周敏") && r.innerText.includes("江阴市民政局"))`)
	var users struct {
		Items []struct {
			Username string `json:"username"`
			Sites    []struct {
				SiteID int64  `json:"site_id"`
				Role   string `json:"role"`
				Level  int    `json:"level"`
			} `json:"sites"`
		} `json:"items"`
	}
	s.CallJSON(t, "GET", "/api/v1/users", admin, nil, &users)
	var roles []string
	for _, u := range users.Items {
		if u.Username == "zhoumin" {
			for _, r := range u.Sites {
				roles = append(roles, fmt.Sprintf("%d:%s:%d", r.SiteID, r.Role, r.Level))
			}
		}
	}
	if want := []string{fmt.Sprintf("%d:editor:0", site1), fmt.Sprintf("%d:reviewer:2", site2)}; strings.Join(roles, " ") != strings.Join(want, " ") {
		t.Errorf("zhoumin's roles per site %v, want %v", roles, want)
	}
	pa.checkConsole("用户")

	// Site 2's own project and a story that has passed 初审 and waits at 复审.
	const theirs = "江阴：社区助老食堂开张"
	code, p2 := callIn(t, s, "jiangyin", "POST", "/api/v1/projects", admin, map[string]any{
		"name": "江阴助老", "slug": "zhulao", "kind": "benefit", "area": "elderly"})
	if code != http.StatusCreated {
		t.Fatalf("create the site 2 project: %d %v", code, p2)
	}
	code, st2 := callIn(t, s, "jiangyin", "POST", "/api/v1/stories", admin, map[string]any{
		"title": theirs, "project_id": p2["id"], "body": "<p>社区助老食堂今天开张。</p>"})
	if code != http.StatusCreated {
		t.Fatalf("create the site 2 story: %d %v", code, st2)
	}
	for _, action := range []string{"submit", "approve"} {
		if code, out := callIn(t, s, "jiangyin", "POST", fmt.Sprintf("/api/v1/stories/%v/actions/%s", st2["id"], action), admin, map[string]any{}); code != http.StatusOK {
			t.Fatalf("%s the site 2 story: %d %v", action, code, out)
		}
	}

	// 周敏 signs in at the address of site 1: an editor there, who writes
	// a story and may send it for review but not approve it.
	ed := openAdminTab(t, browser, s.URL, "zhoumin", shots)
	ed.login("zhoumin", "password-zhoumin")
	ed.visible(dt("site-switcher"))
	ed.waitFor("the editor's role in site 1", `(document.querySelector('[data-test="topbar-user"]')?.innerText || "").includes("编辑")`)
	if ed.poll(`document.querySelector('[data-test="menu-sites"]')`, time.Second) {
		t.Errorf("站点管理 is in the menu of a user who is no platform admin")
	}
	ed.axe(axe, "the site switcher")
	ed.click(dt("site-switcher"))
	ed.waitFor("the switcher's choices", `document.querySelector('[data-test="site-option-jiangyin"]')?.offsetParent`)
	ed.axe(axe, "the site switcher, open")
	ed.do("close the switcher", chromedp.KeyEvent(kb.Escape))

	const mine = "婚姻登记处推出周末延时服务"
	ed.click(dt("menu-stories"))
	ed.visible(dt("story-list"))
	ed.click(dt("story-new"))
	ed.visible(dt("editor-content"))
	ed.typeText(dt("story-title"), mine)
	ed.click(dt("story-project"))
	ed.clickText(".el-select-dropdown__item", "婚姻登记")
	ed.click(dt("story-save"))
	ed.waitFor("the story to be saved", `/\/admin\/stories\/\d+$/.test(location.pathname) && document.querySelector('[data-test="save-status"]').dataset.state === "ok"`)
	ed.visible(dt("action-submit"))
	if ed.poll(`document.querySelector('[data-test="action-approve"]')`, time.Second) {
		t.Errorf("an editor is offered to approve")
	}

	// To site 2 from the story editor: the list of site 2's stories, where
	// 周敏 is the 复审 reviewer and finds 江阴's story in the inbox.
	ed.click(dt("site-switcher"))
	ed.clickText(".el-select-dropdown__item", "江阴市民政局")
	ed.waitFor("the reviewer's role in site 2", `(t => t.includes("审核人员") && t.includes("复审"))((document.querySelector('[data-test="topbar-user"]')?.innerText || ""))`)
	ed.visible(dt("story-list"))
	ed.waitFor("site 2's stories with site 2's project", `(t => t.includes(`+js(theirs)+`) && t.includes("江阴助老"))(document.querySelector('[data-test="story-list"]')?.innerText || "")`)
	if got := ed.text(dt("story-list")); strings.Contains(got, mine) {
		t.Errorf("site 2's story list shows site 1's story:\n%s", got)
	}
	ed.click(dt("menu-review"))
	ed.waitFor("the story waiting at 复审", `(document.querySelector('[data-test="review-inbox"]')?.innerText || "").includes(`+js(theirs)+`)`)
	ed.clickText(`[data-test="review-row"]`, theirs)
	ed.visible(dt("action-approve"))

	// The choice survives a reload; switching back shows site 1 again.
	ed.navigate("/admin/stories")
	ed.visible(dt("story-list"))
	ed.waitFor("site 2 after the reload", `(document.querySelector('[data-test="story-list"]')?.innerText || "").includes(`+js(theirs)+`)`)
	if !ed.poll(`(document.querySelector('[data-test="site-switcher"]')?.innerText || "").includes("江阴市民政局")`, 5*time.Second) {
		t.Errorf("after a reload the switcher shows %q, want 江阴市民政局", ed.text(dt("site-switcher")))
	}
	ed.click(dt("site-switcher"))
	ed.clickText(".el-select-dropdown__item", sites.Items[0].Name)
	// Project names come from site 1's projects again, not a "#id" left
	// from site 2's.
	ed.waitFor("site 1's stories again", `(t => t.includes(`+js(mine)+`) && !t.includes(`+js(theirs)+`) && !/#\d/.test(t))((document.querySelector('[data-test="story-list"]')?.innerText || ""))`)
	ed.waitFor("the editor's role again", `(t => t.includes("编辑") && !t.includes("审核人员"))(document.querySelector('[data-test="topbar-user"]')?.innerText || "")`)
	ed.screenshot("sites-switcher")
	ed.checkConsole("site switcher")
}

// callIn is s.Call acting in site (the Huimin-Site header, a slug or id).
func callIn(t *testing.T, s *clitest.Server, site, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Huimin-Site", site)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// axe runs axe-core's WCAG 2.1 A and AA rules on what the tab shows, once
// it has loaded and stopped moving, and fails the test for each violation.
func (a *adminTab) axe(src, name string) {
	a.t.Helper()
	a.waitFor(name+" to finish loading", `![...document.querySelectorAll(".el-loading-mask")].some(m => m.offsetParent !== null)`)
	a.settle()
	type violation struct {
		ID    string   `json:"id"`
		Help  string   `json:"help"`
		Nodes []string `json:"nodes"`
	}
	type result struct {
		Passes     int         `json:"passes"`
		Violations []violation `json:"violations"`
	}
	res := adminEval[result](a, src+`;axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, help: v.help,
			nodes: v.nodes.slice(0, 6).map(n => n.target.join(" ") + " :: " + n.html.slice(0, 140) + " :: " + n.failureSummary.replace(/\s+/g, " "))}))}))`)
	if res.Passes < 10 {
		a.t.Errorf("%s: axe passed only %d rules: did it run?", name, res.Passes)
	}
	for _, v := range res.Violations {
		a.t.Errorf("%s: %s (%s):\n  %s", name, v.ID, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}
