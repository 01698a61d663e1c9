package admin_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestAdminSettings_Browser covers the publishing and administration
// screens in headless chromium at 1366 × 768: a story's preview link (it
// shows the saved version to someone without an account, with a QR code),
// the wording dictionary (add, duplicate, concurrent edit, delete), a
// standing page going live after its build, an API key shown once, used
// and revoked, the audit log in words, and the media drawer's labels and
// alt-text focus. Every screen is checked for console errors and
// photographed.
func TestAdminSettings_Browser(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 4*time.Minute)
	shots := adminShots(t)
	s := clitest.MustRunServe(t, "", "--demo=false")
	admin := s.Login(t, "admin", s.Password)

	code, project := s.Call(t, "POST", "/api/v1/projects", admin, map[string]any{
		"name": "幸福起航", "slug": "xingfu", "kind": "window", "area": "marriage", "summary": "婚姻登记窗口"})

	if code != http.StatusCreated {
		t.Fatalf("create project: %d %v", code, project)
	}
	const (
		firstTitle = "婚姻登记处开展颁证服务"
		savedTitle = "婚姻登记处七夕集体颁证"
		draftTitle = "还没保存的标题"
	)
	code, st := s.Call(t, "POST", "/api/v1/stories", admin, map[string]any{
		"title": firstTitle, "project_id": project["id"], "body": "<p>七夕当天，区婚姻登记处为新人举办集体颁证仪式。</p>"})

	if code != http.StatusCreated {
		t.Fatalf("create story: %d %v", code, st)
	}
	id := clitest.Num(st["id"])
	if code, st = s.Call(t, "PATCH", clitest.StoryPath(id, ""), admin, map[string]any{"version": st["version"], "title": savedTitle}); code != http.StatusOK {
		t.Fatalf("rename story: %d %v", code, st)
	}
	if code, m, _ := s.Upload(t, admin, "IMG_0042.jpg", clitest.TestPhoto(t, 60)); code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, m)
	}

	// --- Preview link: the editor has an unsaved title; the preview shows
	// the saved version, and the dialog says so.
	ed := openAdminTab(t, browser, s.URL, "editor", shots)
	ed.login("admin", s.Password)
	ed.navigate(fmt.Sprintf("/admin/stories/%d", id))
	ed.visible(dt("preview-button"))
	ed.waitFor("the story in the editor", fmt.Sprintf(`document.querySelector('[data-test="story-title"]').value === %s`, js(savedTitle)))
	ed.typeText(dt("story-title"), draftTitle)
	ed.waitFor("the unsaved edit to be noticed", fmt.Sprintf(`!!localStorage.getItem("huimin.backup.story.%d")`, id))
	ed.click(dt("preview-button"))
	ed.visible(dt("preview-dialog"))
	ed.visible(dt("preview-unsaved"))
	ed.waitFor("the preview link", `/\/preview\/[^/]+$/.test(document.querySelector('[data-test="preview-url"]')?.value || "")`)
	ed.waitFor("the QR code", `(i => i && i.complete && i.naturalWidth > 0)(document.querySelector('[data-test="preview-qr"]'))`)
	if which := ed.text(dt("preview-version")); !strings.Contains(which, "第 2 版") || !strings.Contains(which, savedTitle) {
		t.Errorf("preview dialog does not say which version it shows: %q", which)
	}
	oneDay := ed.text(dt("preview-expires"))
	ed.click(chromedp.CSS(`[data-test="preview-days-7"]`))
	ed.waitFor("a 7-day link", fmt.Sprintf(`(e => e && e.innerText !== %s)(document.querySelector('[data-test="preview-expires"]'))`, js(oneDay)))
	want7 := time.Now().Add(7 * 24 * time.Hour).Format("2006/01/02")
	if got := ed.text(dt("preview-expires")); !strings.Contains(got, want7) {
		t.Errorf("7-day preview link expires %q, want the date %s", got, want7)
	}
	link := ed.value(dt("preview-url"))
	if !strings.HasPrefix(link, s.URL+"/preview/") {
		t.Fatalf("preview link %q is not an absolute link on %s", link, s.URL)
	}
	if href := adminEval[string](ed, `document.querySelector('[data-test="preview-open"]').href`); href != link {
		t.Errorf("打开预览 goes to %q, want %q", href, link)
	}
	ed.settle()
	ed.screenshot("settings-preview-dialog")
	ed.checkConsole("preview dialog")

	// Someone without an account (a fresh browser) opens the link.
	leader := openAdminTab(t, browser, s.URL, "leader", shots)
	leader.do("open the preview link", chromedp.Navigate(link))
	leader.visible(chromedp.CSS("#story-title"))
	if got := leader.text(chromedp.CSS("#story-title")); got != savedTitle {
		t.Errorf("preview shows the title %q, want the saved %q", got, savedTitle)
	}
	leader.screenshot("settings-preview-page")
	leader.checkConsole("preview page")
	ed.do("close the dialog", chromedp.KeyEvent(kb.Escape))
	ed.gone(dt("preview-dialog"))
	// Put the saved title back so the tab has nothing unsaved.
	ed.typeText(dt("story-title"), savedTitle)

	// --- The admin's own tab for the other screens.
	a := openAdminTab(t, browser, s.URL, "admin", shots)
	a.login("admin", s.Password)
	menuText := a.text(chromedp.CSS(".sidemenu"))
	for _, m := range []string{"用词词典", "固定页面", "接口密钥"} {
		if !strings.Contains(menuText, m) {
			t.Errorf("admin menu lacks %q: %q", m, menuText)
		}
	}

	// --- Dictionary: add a term.
	a.click(dt("menu-dictionary"))
	a.visible(dt("term-list"))
	a.click(dt("term-new"))
	a.visible(dt("term-dialog"))
	a.settle()
	const word = "福彩公益金"
	a.typeText(dt("term-term"), word)
	a.click(dt("term-kind"))
	a.clickText(".el-select-dropdown__item", "禁用")
	a.click(dt("term-severity"))
	a.clickText(".el-select-dropdown__item", "严重")
	a.typeText(dt("term-suggestion"), "福利彩票公益金")
	a.typeText(dt("term-note"), "正式文件用全称")
	a.click(dt("term-save"))
	a.gone(dt("term-dialog"))
	a.typeText(dt("term-filter-q"), word)
	a.waitFor("only the new term in the list", `document.querySelectorAll('[data-test="term-row"]').length === 1 && document.querySelector('[data-test="term-list"]').innerText.includes("福利彩票公益金")`)
	term := findTerm(t, s, admin, word)
	if term == nil || term["kind"] != "forbidden" || term["severity"] != "serious" || term["suggestion"] != "福利彩票公益金" {
		t.Fatalf("saved term: %v", term)
	}

	// The same term again: the server's error shows next to the term field.
	a.allow(http.StatusConflict)
	a.allow(http.StatusBadRequest)
	a.allow(http.StatusUnprocessableEntity)
	a.click(dt("term-new"))
	a.visible(dt("term-dialog"))
	a.settle()
	a.typeText(dt("term-term"), word)
	a.click(dt("term-save"))
	a.waitFor("the duplicate error at the term field", `(() => { const f = document.querySelector('[data-test="term-term"]').closest(".el-form-item");
		return f.classList.contains("is-error") && f.querySelector(".el-form-item__error")?.innerText.trim().length > 0; })()`)
	a.screenshot("settings-dictionary-duplicate")
	a.do("close the dialog", chromedp.KeyEvent(kb.Escape))
	a.gone(dt("term-dialog"))

	// Someone changes the term while the admin edits it: a conflict, and
	// overwriting keeps the other person's note (only changed fields go).
	a.clickText(`[data-test="term-row"]`, word)
	a.visible(dt("term-dialog"))
	a.settle()
	if code, out := s.Call(t, "PATCH", fmt.Sprintf("/api/v1/dictionary/%d", clitest.Num(term["id"])), admin, map[string]any{
		"version": term["version"], "note": "民政部2014年规定"}); code != http.StatusOK {
		t.Fatalf("concurrent term edit: %d %v", code, out)
	}
	a.typeText(dt("term-suggestion"), "中国福利彩票公益金")
	a.click(dt("term-save"))
	a.visible(dt("term-conflict"))
	a.settle()
	a.screenshot("settings-dictionary-conflict")
	a.click(dt("term-overwrite"))
	a.gone(dt("term-dialog"))
	if term = findTerm(t, s, admin, word); term["suggestion"] != "中国福利彩票公益金" || term["note"] != "民政部2014年规定" || clitest.Num(term["version"]) != 3 {
		t.Errorf("after overwriting: %v", term)
	}
	a.waitFor("the new suggestion in the list", `document.querySelector('[data-test="term-list"]').innerText.includes("中国福利彩票公益金")`)
	a.screenshot("settings-dictionary")
	a.click(dt("term-delete"))
	a.visible(chromedp.CSS(".el-message-box"))
	a.click(chromedp.CSS(".el-message-box__btns .el-button--primary"))
	a.waitFor("the term to go", `document.querySelectorAll('[data-test="term-row"]').length === 0`)
	if term = findTerm(t, s, admin, word); term != nil {
		t.Errorf("term still there after deleting: %v", term)
	}
	a.checkConsole("dictionary")

	// --- A standing page: a bad slug is named, then the page goes live.
	a.click(dt("menu-pages"))
	a.visible(dt("page-list"))
	a.click(dt("page-new"))
	a.visible(dt("page-dialog"))
	a.settle()
	a.typeText(dt("page-title"), "关于我们")
	a.typeText(dt("page-slug"), "About Us")
	a.typeText(chromedp.CSS(`[data-test="page-dialog"] [data-test="editor-content"]`), "青溪区民政局负责全区婚姻登记、养老服务和社会救助。")
	a.click(dt("page-save"))
	a.waitFor("the slug error", `(() => { const f = document.querySelector('[data-test="page-slug"]').closest(".el-form-item");
		return f.classList.contains("is-error") && f.querySelector(".el-form-item__error")?.innerText.includes("链接名"); })()`)
	a.screenshot("settings-page-dialog")
	a.typeText(dt("page-slug"), "about")
	a.click(dt("page-save"))
	a.gone(dt("page-dialog"))
	a.waitFor("the page in the list", `[...document.querySelectorAll('[data-test="page-url"]')].some(e => e.href.endsWith("/about/"))`)
	a.screenshot("settings-pages")
	a.checkConsole("pages")
	if !waitLivePage(s, "/about/", "青溪区民政局负责全区婚姻登记", 90*time.Second) {
		code, body := s.Get(t, "/about/")
		t.Errorf("standing page not live after its build: %d %.300s", code, body)
	}

	// --- API key: created, shown once, works, revoked.
	a.click(dt("menu-apikeys"))
	a.visible(dt("apikey-list"))
	a.click(dt("apikey-new"))
	a.visible(dt("apikey-dialog"))
	a.settle()
	a.typeText(dt("apikey-name"), "市政务服务网")
	a.click(dt("apikey-save"))
	a.visible(dt("apikey-secret"))
	a.visible(dt("apikey-once"))
	secret := a.value(dt("apikey-secret"))
	if len(secret) < 20 {
		t.Fatalf("API key secret %q", secret)
	}
	if !strings.Contains(a.text(dt("apikey-once")), "只显示这一次") {
		t.Errorf("no warning that the key is shown once: %q", a.text(dt("apikey-once")))
	}
	a.settle()
	a.screenshot("settings-apikey-secret")
	a.click(dt("apikey-close"))
	a.gone(dt("apikey-dialog"))
	a.waitFor("the key in the list", `document.querySelector('[data-test="apikey-list"]').innerText.includes("市政务服务网")`)
	if html := adminEval[string](a, `document.body.innerHTML`); strings.Contains(html, secret) {
		t.Errorf("the secret stays in the page after the dialog closed")
	}
	if code := contentWithKey(t, s, secret); code != http.StatusOK {
		t.Errorf("content API with the new key: %d, want 200", code)
	}
	a.click(dt("apikey-revoke"))
	a.visible(chromedp.CSS(".el-message-box"))
	a.click(chromedp.CSS(".el-message-box__btns .el-button--primary"))
	a.waitFor("the key shown revoked", `document.querySelector('[data-test="apikey-row"]')?.dataset.revoked === "true" && document.querySelector('[data-test="apikey-list"]').innerText.includes("停用于")`)
	if code := contentWithKey(t, s, secret); code != http.StatusUnauthorized {
		t.Errorf("content API with the revoked key: %d, want 401", code)
	}
	a.settle()
	a.screenshot("settings-apikeys")
	a.checkConsole("API keys")

	// --- Audit log: actions in words.
	a.click(dt("menu-audit"))
	a.visible(dt("audit-list"))
	a.waitFor("a full page of audit rows", `document.querySelectorAll('[data-test="audit-row"]').length === 20`)
	rows := adminEval[[][]string](a, `[...document.querySelectorAll('[data-test="audit-row"]')].map(e => [e.dataset.action, e.innerText])`)
	han := regexp.MustCompile(`\p{Han}`)
	seen := map[string]string{}
	for _, r := range rows {
		seen[r[0]] = r[1]
		if !han.MatchString(r[1]) {
			t.Errorf("audit action %q is shown as %q, not in words", r[0], r[1])
		}
	}
	for action, words := range map[string]string{"dictionary.create": "添加词条", "dictionary.delete": "删除词条", "page.create": "新建固定页面", "apikey.revoke": "停用接口密钥"} {
		if seen[action] != words {
			t.Errorf("audit shows %s as %q, want %q (rows %v)", action, seen[action], words, rows)
		}
	}
	a.screenshot("settings-audit")
	a.checkConsole("audit")

	// --- Media drawer: labelled variants; a picture without alt text puts
	// the cursor in the field and keeps the picture in view.
	a.click(dt("menu-media"))
	a.visible(dt("media-grid"))
	a.click(chromedp.CSS(`[data-test="media-item"]:has([data-test="media-missing-alt"])`))
	a.visible(dt("media-details"))
	a.settle()
	a.waitFor("the alt field to have the cursor", `document.activeElement?.dataset.test === "media-alt-input"`)
	a.waitFor("the picture to load", `(i => i && i.complete && i.naturalWidth > 0)(document.querySelector('[data-test="focal-picker"] img'))`)
	var box struct{ ImgTop, ImgBottom, BodyTop, BodyBottom, AltTop, AltBottom float64 }
	adminJSON(a, `(() => { const i = document.querySelector('[data-test="focal-picker"] img').getBoundingClientRect();
		const b = document.querySelector('[data-test="media-drawer"] .el-drawer__body').getBoundingClientRect();
		const f = document.querySelector('[data-test="media-alt-input"]').getBoundingClientRect();
		return {ImgTop: i.top, ImgBottom: i.bottom, BodyTop: b.top, BodyBottom: b.bottom, AltTop: f.top, AltBottom: f.bottom}; })()`, &box)
	if visible := min(box.ImgBottom, box.BodyBottom) - max(box.ImgTop, box.BodyTop); visible < 0.6*(box.ImgBottom-box.ImgTop) {
		t.Errorf("opening a picture without alt text scrolls it out of view: %+v", box)
	}
	if box.AltBottom > box.BodyBottom+1 || box.AltTop < box.BodyTop-1 {
		t.Errorf("the alt-text field with the cursor is not in view: %+v", box)
	}
	labels := a.text(dt("media-details"))
	for _, want := range []string{"宽 480 像素", "微信封面 2.35:1", "微信封面 1:1"} {
		if !strings.Contains(labels, want) {
			t.Errorf("media drawer lacks the variant label %q", want)
		}
	}
	if regexp.MustCompile(`\b(w480|cover235|cover11)\b`).MatchString(labels) {
		t.Errorf("media drawer still shows raw variant names: %q", labels)
	}
	a.screenshot("settings-media-drawer")
	a.checkConsole("media drawer")

	// A reviewer may look the dictionary up but not change it.
	if code, out := s.Call(t, "POST", "/api/v1/users", admin, map[string]any{
		"username": "laoli", "name": "初审老李", "role": "reviewer", "level": 1, "password": "password-laoli"}); code != http.StatusCreated {
		t.Fatalf("create reviewer: %d %v", code, out)
	}
	leader.login("laoli", "password-laoli")
	leader.navigate("/admin/dictionary")
	leader.visible(dt("term-list"))
	leader.waitFor("the dictionary's terms", `document.querySelectorAll('[data-test="term-row"]').length > 5`)
	if n := adminEval[int](leader, `document.querySelectorAll('[data-test="term-new"], [data-test="term-delete"], button[data-test="term-row"]').length`); n != 0 {
		t.Errorf("a reviewer is offered %d ways to change the dictionary", n)
	}
	leader.settle()
	leader.screenshot("settings-dictionary-reviewer")
	leader.checkConsole("dictionary as a reviewer")
	ed.checkConsole("editor")
	t.Logf("screenshots in %s", shots)
}

// findTerm returns the dictionary entry for word, or nil.
func findTerm(t *testing.T, s *clitest.Server, token, word string) map[string]any {
	t.Helper()
	code, out := s.Call(t, "GET", "/api/v1/dictionary", token, nil)
	if code != http.StatusOK {
		t.Fatalf("dictionary: %d %v", code, out)
	}
	items, _ := out["items"].([]any)
	for _, it := range items {
		if m, _ := it.(map[string]any); m["term"] == word {
			return m
		}
	}
	return nil
}

// contentWithKey reads the content API as an integrator with key.
func contentWithKey(t *testing.T, s *clitest.Server, key string) int {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+"/api/v1/content/site", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("content API: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitLivePage polls a public path until it answers 200 with text in it.
func waitLivePage(s *clitest.Server, path, text string, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.URL + path); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), text) {
				return true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// adminJSON evaluates js and decodes its JSON-able result into v.
func adminJSON(a *adminTab, js string, v any) {
	a.t.Helper()
	raw := adminEval[[]byte](a, js)
	if err := json.Unmarshal(raw, v); err != nil {
		a.fail("decoding %s: %v", raw, err)
	}
}
