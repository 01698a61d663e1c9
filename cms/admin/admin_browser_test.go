package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// Acceptance tests of issue 6, the admin web UI, in headless chromium at
// 1366 × 768: the whole newsroom path from login to a live page, two people
// saving the same story, and every screen in Chinese without console
// errors. They skip when chromium is missing or the UI was not compiled
// (`make admin`); screenshots go to $HUIMIN_SCREENSHOTS or a temp dir.

// adminStep bounds one wait or action; the test's own deadline bounds all.
const adminStep = 45 * time.Second

// adminBrowser skips unless chromium and the compiled UI are there, and
// starts a desktop browser that ends with the test or after limit.
func adminBrowser(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	clitest.ChromiumPath(t)
	if _, err := os.Stat(filepath.Join("dist", "index.html")); err != nil {
		t.Skip("admin UI not built: run `make admin` (cd cms/admin/ui && npm ci && npm run build)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return clitest.NewDesktopBrowser(t, ctx)
}

func adminShots(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HUIMIN_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// adminTab is one person at the admin UI: a tab in a browser context of its
// own (own localStorage, so own session) that records console errors and
// uncaught exceptions.
type adminTab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	name  string
	shots string

	mu       sync.Mutex
	problems []string
	allowed  map[int]bool // HTTP statuses the test provokes on purpose
}

func openAdminTab(t *testing.T, browser context.Context, base, name, shots string) *adminTab {
	t.Helper()
	a := &adminTab{t: t, base: base, name: name, shots: shots, allowed: map[int]bool{}}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(a.listen))
	t.Cleanup(cancel)
	a.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	return a
}

var failedStatus = regexp.MustCompile(`status of (\d{3})`)

// listen runs in the tab's event loop: record, never call back.
func (a *adminTab) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = "uncaught exception: " + d.Text
		if d.Exception != nil {
			p += " " + d.Exception.Description
		}
		p += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var args []string
		for _, arg := range ev.Args {
			var str string
			switch {
			case arg.Description != "":
				args = append(args, arg.Description)
			case json.Unmarshal(arg.Value, &str) == nil:
				args = append(args, str)
			default:
				args = append(args, string(arg.Value))
			}
		}
		p = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e.Level != cdplog.EntryLevelError {
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if m := failedStatus.FindStringSubmatch(e.Text); m != nil && strings.HasPrefix(e.Text, "Failed to load resource") {
			var code int
			fmt.Sscan(m[1], &code)
			if a.allowed[code] {
				return
			}
		}
		a.problems = append(a.problems, "browser log ("+string(e.Source)+"): "+e.Text+" "+e.URL)
		return
	default:
		return
	}
	a.mu.Lock()
	a.problems = append(a.problems, p)
	a.mu.Unlock()
}

// allow ignores "Failed to load resource" for a status the test provokes.
func (a *adminTab) allow(status int) {
	a.mu.Lock()
	a.allowed[status] = true
	a.mu.Unlock()
}

// console returns and forgets the problems seen so far.
func (a *adminTab) console() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.problems
	a.problems = nil
	return p
}

// checkConsole fails the test for every console error or exception so far.
func (a *adminTab) checkConsole(where string) {
	a.t.Helper()
	for _, p := range a.console() {
		a.t.Errorf("%s, %s: %s", a.name, where, p)
	}
}

func (a *adminTab) fail(format string, args ...any) {
	a.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		f := filepath.Join(a.shots, "failure-"+a.name+".png")
		if os.WriteFile(f, png, 0o644) == nil {
			msg += "\nscreenshot: " + f
		}
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		msg += "\nat " + loc
	}
	if p := a.console(); len(p) > 0 {
		msg += "\nconsole:\n  " + strings.Join(p, "\n  ")
	}
	a.t.Fatalf("%s: %s", a.name, msg)
}

func (a *adminTab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, adminStep)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		a.fail("%s: %v", what, err)
	}
}

// adminEval evaluates js (awaiting a promise) and decodes the result.
func adminEval[T any](a *adminTab, js string) T {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, adminStep)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		a.fail("evaluating %.200s: %v", js, err)
	}
	return v
}

// poll waits until the JavaScript condition holds; false after timeout.
func (a *adminTab) poll(cond string, timeout time.Duration) bool {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, timeout+5*time.Second)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+cond+")",
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	return err == nil && ok
}

func (a *adminTab) waitFor(what, cond string) {
	a.t.Helper()
	if !a.poll(cond, adminStep) {
		a.fail("waiting for %s: %s", what, cond)
	}
}

func dt(name string) chromedp.CSS { return chromedp.CSS(`[data-test="` + name + `"]`) }

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (a *adminTab) navigate(path string) {
	a.t.Helper()
	a.do("open "+path, chromedp.Navigate(a.base+path))
}

func (a *adminTab) visible(sel chromedp.CSS) {
	a.t.Helper()
	a.do("waiting for "+string(sel), chromedp.WaitVisible(sel))
}

func (a *adminTab) gone(sel chromedp.CSS) {
	a.t.Helper()
	a.do("waiting for "+string(sel)+" to close", chromedp.WaitNotVisible(sel))
}

// settle waits until no finite animation runs (dialogs sliding in, the
// drawer opening), so a click lands where the element will stay.
func (a *adminTab) settle() {
	a.t.Helper()
	a.waitFor("animations to finish", `document.getAnimations().every(x => x.playState !== "running" || x.effect?.getTiming().iterations === Infinity)`)
}

func (a *adminTab) click(sel chromedp.CSS) {
	a.t.Helper()
	a.settle()
	a.do("click "+string(sel), chromedp.Click(sel))
}

// clickText clicks the first visible element matching css whose text
// contains text (an option in a dropdown, a story in a list).
func (a *adminTab) clickText(css, text string) {
	a.t.Helper()
	a.waitFor(fmt.Sprintf("%s with %q", css, text), fmt.Sprintf(`(() => {
		const el = [...document.querySelectorAll(%s)].find(e => e.offsetParent !== null && e.textContent.includes(%s));
		if (!el) return false;
		document.querySelectorAll("[data-hm-pick]").forEach(e => e.removeAttribute("data-hm-pick"));
		el.setAttribute("data-hm-pick", "");
		return true;
	})()`, js(css), js(text)))
	a.click(`[data-hm-pick]`)
}

// typeText replaces the text of an input, textarea or contenteditable the
// way an input method commits it.
func (a *adminTab) typeText(sel chromedp.CSS, text string) {
	a.t.Helper()
	a.do("focus "+string(sel), chromedp.WaitVisible(sel), chromedp.Focus(sel))
	adminEval[chromedp.Void](a, `(() => { const el = document.activeElement;
		if (el.select) el.select(); else document.execCommand("selectAll"); })()`)
	a.do("type into "+string(sel), insertText(text))
}

func insertText(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	})
}

func (a *adminTab) value(sel chromedp.CSS) string {
	a.t.Helper()
	return adminEval[string](a, fmt.Sprintf(`document.querySelector(%s).value`, js(string(sel))))
}

func (a *adminTab) text(sel chromedp.CSS) string {
	a.t.Helper()
	return adminEval[string](a, fmt.Sprintf(`(document.querySelector(%s)?.innerText || "")`, js(string(sel))))
}

func (a *adminTab) screenshot(name string) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, adminStep)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		a.fail("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(a.shots, name+".png"), png, 0o644); err != nil {
		a.t.Fatal(err)
	}
}

// login signs in through the login form and waits for the dashboard.
func (a *adminTab) login(user, password string) {
	a.t.Helper()
	a.navigate("/admin/login")
	a.visible(dt("login-form"))
	a.typeText(dt("login-username"), user)
	a.typeText(dt("login-password"), password)
	a.click(dt("login-submit"))
	a.visible(dt("dashboard-review"))
	a.visible(dt("menu-dashboard"))
}

// testJPEG writes testPhoto to dir/name for a file input.
func testJPEG(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, clitest.TestPhoto(t, 90), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pastedHTML is what Word and a WeChat editor (135编辑器) put on the
// clipboard: Office namespaces and conditional comments, inline styles
// everywhere, and here also a script, an event handler and a javascript:
// link that must not survive.
const pastedHTML = `<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word"><head><meta charset="utf-8"><style>p.MsoNormal{margin:0cm;font-size:10.5pt;font-family:等线}</style></head>
<body lang=ZH-CN style='tab-interval:21.0pt'><!--StartFragment-->
<h1 style="margin:17.0pt 0cm 16.5pt;font-size:22.0pt;mso-font-kerning:22.0pt">一、活动概况</h1>
<p class=MsoNormal style='text-indent:21.0pt;mso-char-indent-count:2.0'><span style='font-family:仿宋_GB2312;mso-bidi-font-family:宋体'>九月九日上午，青溪区养老服务中心组织银龄志愿者走访辖区独居老人。</span><o:p></o:p></p>
<!--[if !supportLists]--><p class=MsoListParagraph style='margin-left:18pt;text-indent:-18pt;mso-list:l0 level1 lfo1'>1.&nbsp;为老人测量血压<o:p></o:p></p><!--[endif]-->
<section style="margin:0px;padding:0px;max-width:100%;box-sizing:border-box;color:rgb(62,62,62)" data-tools="135编辑器" data-id="94526"><p style="text-align:center;line-height:1.75em;"><strong><span style="color:rgb(255,104,39);font-size:16px;">志愿者帮助老人整理房间、更换灯泡。</span></strong></p></section>
<script>window.__hmPastedScript = true; alert("粘贴的脚本")</script>
<p style="line-height:2em" onclick="window.__hmPastedHandler = true"><a href="javascript:window.__hmPastedLink=true" style="color:red">服务记录</a>由社工统一归档。</p>
<!--EndFragment--></body></html>`

// paste dispatches a real paste event carrying pastedHTML at the editor.
func (a *adminTab) paste(html string) {
	a.t.Helper()
	a.do("focus the editor", chromedp.WaitVisible(dt("editor-content")), chromedp.Focus(dt("editor-content")))
	handled := adminEval[bool](a, fmt.Sprintf(`(() => {
		const el = document.querySelector('[data-test="editor-content"]');
		const data = new DataTransfer();
		data.setData("text/html", %s);
		data.setData("text/plain", "一、活动概况");
		const ev = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
		el.dispatchEvent(ev);
		return ev.defaultPrevented;
	})()`, js(html)))
	if !handled {
		a.fail("the editor did not handle the paste event")
	}
}

// checkCleanBody fails on anything from pastedHTML that must not survive.
func checkCleanBody(t *testing.T, where, body string) {
	t.Helper()
	for _, want := range []string{"一、活动概况", "九月九日上午，青溪区养老服务中心", "志愿者帮助老人整理房间", "由社工统一归档"} {
		if !strings.Contains(body, want) {
			t.Errorf("%s lost the pasted text %q:\n%s", where, want, body)
		}
	}
	low := strings.ToLower(body)
	for _, bad := range []string{"<script", "粘贴的脚本", "onclick", "javascript:", "style=", "mso-", "<o:p", "msonormal", "<section", "<h1", "135编辑器"} {
		if strings.Contains(low, bad) {
			t.Errorf("%s keeps %q from the pasted Word/WeChat HTML:\n%s", where, bad, body)
		}
	}
}

func TestAdminBrowser_EndToEnd(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 6*time.Minute)
	shots := adminShots(t)
	s := clitest.MustRunServe(t, "", "--demo=false")
	admin := s.Login(t, "admin", s.Password)
	code, project := s.Call(t, "POST", "/api/v1/projects", admin, map[string]any{
		"name": "银龄互助", "slug": "yinling", "kind": "volunteer", "area": "elderly", "summary": "低龄老人帮高龄老人"})

	if code != http.StatusCreated {
		t.Fatalf("create project: %d %v", code, project)
	}

	// The administrator signs in with the printed password and adds the
	// editor on the users screen; the reviewers come through the API.
	at := openAdminTab(t, browser, s.URL, "admin", shots)
	at.login("admin", s.Password)
	at.click(dt("menu-users"))
	at.visible(dt("user-list"))
	at.click(dt("user-new"))
	at.visible(dt("user-dialog"))
	at.typeText(dt("user-username"), "xiaowang")
	at.typeText(dt("user-name"), "宣传干事小王")
	at.typeText(dt("user-password"), "password-xiaowang")
	at.click(dt("user-save"))
	at.gone(dt("user-dialog"))
	at.waitFor("the new editor in the user list", `document.querySelector('[data-test="user-list"]').innerText.includes("宣传干事小王")`)
	at.checkConsole("users screen")
	reviewers := []struct{ user, name, stage string }{{"r1", "初审老李", "初审"}, {"r2", "复审张科长", "复审"}, {"r3", "终审刘局长", "终审"}}
	for i, r := range reviewers {
		code, out := s.Call(t, "POST", "/api/v1/users", admin, map[string]any{
			"username": r.user, "name": r.name, "role": "reviewer", "level": i + 1, "password": "password-" + r.user})

		if code != http.StatusCreated {
			t.Fatalf("create reviewer %s: %d %v", r.user, code, out)
		}
	}

	// The editor uploads a photo, writes its alt text and sets its focal point.
	ed := openAdminTab(t, browser, s.URL, "editor", shots)
	ed.login("xiaowang", "password-xiaowang")
	ed.click(dt("menu-media"))
	ed.visible(dt("media-dropzone"))
	photo := testJPEG(t, t.TempDir(), "IMG_20260909_093015.jpg")
	ed.do("choose the photo", chromedp.SetUploadFiles(dt("media-upload-input"), []string{photo}))
	ed.visible(dt("media-details"))
	ed.settle()
	if !ed.poll(`document.activeElement?.dataset.test === "media-alt-input"`, 5*time.Second) {
		t.Errorf("a new picture without alt text does not put the cursor in the alt-text field")
	}
	const alt = "银龄志愿者在独居老人家中为老人测量血压"
	ed.typeText(dt("media-alt-input"), alt)
	ed.do("show the focal-point picker", chromedp.ScrollIntoView(dt("focal-picker")))
	ed.settle()
	var r struct{ X, Y, W, H float64 }
	if err := json.Unmarshal(adminEval[[]byte](ed, `(() => { const r = document.querySelector('[data-test="focal-picker"] img').getBoundingClientRect();
		return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`), &r); err != nil || r.W < 100 {
		ed.fail("focal-point picker box %+v: %v", r, err)
	}
	ed.do("click the focal point", chromedp.MouseClickXY(r.X+0.25*r.W, r.Y+0.7*r.H))
	ed.waitFor("the focal point to move", `Math.abs(document.querySelector('[data-test="focal-picker"]').dataset.x - 0.25) < 0.03 && Math.abs(document.querySelector('[data-test="focal-picker"]').dataset.y - 0.7) < 0.03`)
	for _, crop := range []string{"crop-preview-235", "crop-preview-11"} {
		pos := adminEval[string](ed, fmt.Sprintf(`document.querySelector('[data-test="%s"] img').style.objectPosition`, crop))
		if !regexp.MustCompile(`^2[4-6](\.\d)?% (69|70|71)(\.\d)?%$`).MatchString(pos) {
			t.Errorf("%s does not follow the focal point: object-position %q", crop, pos)
		}
	}
	ed.screenshot("e2e-media-focal-point")
	ed.click(dt("media-save"))
	// A busy button is disabled too: wait for the save to come back.
	ed.waitFor("the picture to save", `(b => b.disabled && !b.classList.contains("is-loading"))(document.querySelector('[data-test="media-save"]'))`)
	_, list := s.Call(t, "GET", "/api/v1/media", admin, nil)
	items, _ := list["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("media after upload: %v", list)
	}
	media := items[0].(map[string]any)
	mediaID := clitest.Num(media["id"])
	if media["alt"] != alt || math.Abs(media["focus_x"].(float64)-0.25) > 0.03 || math.Abs(media["focus_y"].(float64)-0.7) > 0.03 {
		t.Errorf("saved picture: alt %q focus %v,%v; want %q at 0.25,0.7", media["alt"], media["focus_x"], media["focus_y"], alt)
	}
	ed.do("close the drawer", chromedp.KeyEvent(kb.Escape))
	ed.gone(dt("media-drawer"))
	if !ed.poll(`!document.querySelector('[data-test="media-missing-alt"]')`, 5*time.Second) {
		t.Errorf("the library still flags the picture as missing alt text")
	}
	ed.checkConsole("media library")

	// A new story: title, a body pasted from Word/WeChat, the picture.
	const title = "重阳节银龄志愿者走访独居老人"
	ed.click(dt("menu-stories"))
	ed.click(dt("story-new"))
	ed.visible(dt("editor-content"))
	ed.typeText(dt("story-title"), title)
	ed.paste(pastedHTML)
	ed.waitFor("the pasted text in the editor", `document.querySelector('[data-test="editor-content"]').innerText.includes("由社工统一归档")`)
	checkCleanBody(t, "the editor after the paste", adminEval[string](ed, `document.querySelector('[data-test="editor-content"]').innerHTML`))
	if ran := adminEval[bool](ed, `!!(window.__hmPastedScript || window.__hmPastedHandler || window.__hmPastedLink)`); ran {
		t.Errorf("pasted script ran in the admin UI")
	}
	ed.click(dt("story-project"))
	ed.clickText(".el-select-dropdown__item", "银龄互助")
	ed.click(dt("editor-btn-image"))
	ed.visible(dt("media-picker"))
	ed.click(chromedp.CSS(fmt.Sprintf(`[data-test="media-picker"] [data-test="media-item"][data-media-id="%d"]`, mediaID)))
	ed.visible(dt("picker-alt-input"))
	if got := ed.value(dt("picker-alt-input")); got != alt {
		t.Errorf("picker offers alt text %q, want the library's %q", got, alt)
	}
	ed.typeText(dt("picker-caption-input"), "志愿者为老人测量血压")
	ed.click(dt("media-picker-confirm"))
	ed.gone(dt("media-picker"))
	ed.waitFor("the picture in the body", fmt.Sprintf(`!!document.querySelector('[data-test="editor-content"] img[alt=%s]')`, js(alt)))
	ed.click(dt("story-save"))
	ed.waitFor("the story to be saved", `/\/admin\/stories\/\d+$/.test(location.pathname) && document.querySelector('[data-test="save-status"]').dataset.state === "ok"`)
	var id int
	fmt.Sscanf(adminEval[string](ed, `location.pathname`), "/admin/stories/%d", &id)
	ed.screenshot("e2e-editor-saved")

	_, st := s.Call(t, "GET", clitest.StoryPath(id, ""), admin, nil)
	body, _ := st["body"].(string)
	checkCleanBody(t, "the saved body", body)
	if !strings.Contains(body, `alt="`+alt+`"`) || !strings.Contains(body, "志愿者为老人测量血压") {
		t.Errorf("saved body lacks the picture with alt text and caption:\n%s", body)
	}
	if st["title"] != title || clitest.Num(st["project_id"]) != clitest.Num(project["id"]) {
		t.Errorf("saved story: title %v project %v", st["title"], st["project_id"])
	}

	ed.click(dt("action-submit"))
	ed.visible(dt("action-dialog"))
	ed.click(dt("action-confirm"))
	ed.gone(dt("action-dialog"))
	ed.waitFor("the submit button to go", `!document.querySelector('[data-test="action-submit"]')`)
	if _, st := s.Call(t, "GET", clitest.StoryPath(id, ""), admin, nil); st["status"] != "in_review" || clitest.Num(st["review_stage"]) != 1 {
		t.Fatalf("after submit: status %v stage %v", st["status"], st["review_stage"])
	}
	ed.checkConsole("editor")

	// 初审, 复审 and 终审 each find it on their dashboard and approve; the
	// 终审 publishes and watches the build.
	var last *adminTab
	for i, r := range reviewers {
		rt := openAdminTab(t, browser, s.URL, r.user, shots)
		rt.login(r.user, "password-"+r.user)
		rt.waitFor(r.stage+"'s dashboard to list the story", fmt.Sprintf(`document.querySelector('[data-test="dashboard-review"]').innerText.includes(%s)`, js(title)))
		rt.clickText(`[data-test="mini-story"] a`, title)
		rt.visible(dt("action-approve"))
		rt.click(dt("action-approve"))
		rt.visible(dt("action-dialog"))
		rt.typeText(dt("action-comment"), r.stage+"通过，"+r.name)
		rt.click(dt("action-confirm"))
		rt.gone(dt("action-dialog"))
		rt.waitFor("the approve button to go", `!document.querySelector('[data-test="action-approve"]')`)
		_, st := s.Call(t, "GET", clitest.StoryPath(id, ""), admin, nil)
		if i < 2 && (st["status"] != "in_review" || clitest.Num(st["review_stage"]) != i+2) || i == 2 && st["status"] != "approved" {
			t.Fatalf("after %s: status %v stage %v", r.stage, st["status"], st["review_stage"])
		}
		rt.checkConsole(r.stage)
		last = rt
	}
	last.click(dt("action-publish"))
	last.visible(dt("action-dialog"))
	last.click(dt("action-confirm"))
	last.gone(dt("action-dialog"))
	last.visible(dt("publish-panel"))
	if !last.poll(`document.querySelector('[data-test="build-progress"]')?.dataset.status === "succeeded"`, 3*time.Minute) {
		last.fail("build progress never reached succeeded: %s", last.text(dt("build-progress")))
	}
	_, st = s.Call(t, "GET", clitest.StoryPath(id, ""), admin, nil)
	pageURL, _ := st["url"].(string)
	if st["status"] != "published" || pageURL == "" {
		t.Fatalf("after publish: %v %v", st["status"], st["url"])
	}
	if got := last.text(dt("publish-url")); got != s.URL+pageURL {
		t.Errorf("publish panel URL %q, want %q", got, s.URL+pageURL)
	}
	if short := last.text(dt("publish-short-url")); !strings.HasPrefix(short, s.URL+"/") {
		t.Errorf("阅读原文 link %q", short)
	}
	last.click(dt("copy-read-more"))
	last.waitFor("the 阅读原文 link to be copied", `[...document.querySelectorAll(".el-message")].some(m => m.innerText.includes("已复制"))`)
	last.waitFor("the QR code image to decode", `(() => { const i = document.querySelector('[data-test="publish-qr"]'); return i && i.complete && i.naturalWidth > 0; })()`)
	last.do("show the sign-off record", chromedp.Click(chromedp.CSS("#tab-signoffs")))
	last.waitFor("five sign-offs", `document.querySelectorAll('[data-test="signoff-item"]').length === 5`)
	signoffs := last.text(dt("signoff-list"))
	for _, who := range []string{"宣传干事小王", "初审老李", "复审张科长", "终审刘局长"} {
		if !strings.Contains(signoffs, who) {
			t.Errorf("sign-off record lacks %s:\n%s", who, signoffs)
		}
	}
	last.do("back to the publish panel", chromedp.Click(chromedp.CSS("#tab-publish")))
	last.visible(dt("publish-qr"))
	last.screenshot("e2e-publish-panel")
	last.checkConsole("publish")

	// The public page shows the story, with nothing executable from the paste.
	code, page := s.Get(t, pageURL)
	if code != http.StatusOK || !strings.Contains(page, "<h1 id=\"story-title\">"+title+"</h1>") {
		t.Fatalf("public page %s: %d, no title %q", pageURL, code, title)
	}
	story := page
	if i := strings.Index(page, `id="story-body"`); i >= 0 {
		story = page[i:]
		if j := strings.Index(story, `class="sign-off"`); j >= 0 {
			story = story[:j]
		}
	} else {
		t.Errorf("public page has no story body")
	}
	checkCleanBody(t, "the public page's story body", story)
	if !strings.Contains(story, `alt="`+alt+`"`) {
		t.Errorf("public page lacks the picture's alt text")
	}
	for _, bad := range []string{"粘贴的脚本", "__hmPasted", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("public page contains %q", bad)
		}
	}
}

// TestAdminBrowser_Conflict: two people edit the same story in two
// browsers; the second save shows the other version beside theirs, and
// their own text survives taking the other version.
func TestAdminBrowser_Conflict(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 4*time.Minute)
	shots := adminShots(t)
	s := clitest.MustRunServe(t, "", "--demo=false")
	admin := s.Login(t, "admin", s.Password)
	_, project := s.Call(t, "POST", "/api/v1/projects", admin, map[string]any{"name": "幸福起航", "kind": "window", "area": "marriage"})
	for _, u := range []string{"wang", "zhao"} {
		if code, out := s.Call(t, "POST", "/api/v1/users", admin, map[string]any{
			"username": u, "name": map[string]string{"wang": "小王", "zhao": "小赵"}[u], "role": "editor", "password": "password-" + u}); code != http.StatusCreated {
			t.Fatalf("create %s: %d %v", u, code, out)
		}
	}
	code, st := s.Call(t, "POST", "/api/v1/stories", admin, map[string]any{
		"title": "婚姻登记处七夕集体颁证", "project_id": project["id"],
		"body": "<p>七夕当天，区婚姻登记处为新人举办集体颁证仪式。</p>"})

	if code != http.StatusCreated {
		t.Fatalf("create story: %d %v", code, st)
	}
	id := clitest.Num(st["id"])

	open := func(user string) *adminTab {
		a := openAdminTab(t, browser, s.URL, user, shots)
		a.login(user, "password-"+user)
		a.navigate(fmt.Sprintf("/admin/stories/%d", id))
		a.visible(dt("story-title"))
		a.waitFor("the story in the editor", `document.querySelector('[data-test="editor-content"]')?.innerText.includes("集体颁证仪式")`)
		return a
	}
	first, second := open("wang"), open("zhao")
	edit := func(a *adminTab, title, sentence string) {
		a.typeText(dt("story-title"), title)
		a.do("type at the end of the body", chromedp.Focus(dt("editor-content")),
			chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)), insertText(sentence))
		a.waitFor("the edit in the editor", fmt.Sprintf(`document.querySelector('[data-test="editor-content"]').innerText.includes(%s)`, js(sentence)))
	}
	const (
		title1 = "婚姻登记处七夕集体颁证 30对新人领证"
		add1   = "共有30对新人参加。"
		title2 = "七夕集体颁证仪式温馨举行"
		add2   = "民政局负责同志为新人颁证并致辞。"
	)
	// Both loaded version 1. The second edits after the first saved, so its
	// autosave (every 20 s) can only run into the same conflict.
	edit(first, title1, add1)
	first.click(dt("story-save"))
	first.waitFor("the first save", `document.querySelector('[data-test="save-status"]').dataset.state === "ok"`)
	if _, st := s.Call(t, "GET", clitest.StoryPath(id, ""), admin, nil); st["title"] != title1 || !strings.Contains(st["body"].(string), add1) {
		t.Fatalf("after the first save: %v %v", st["title"], st["body"])
	}

	second.allow(http.StatusConflict)
	edit(second, title2, add2)
	second.click(dt("story-save"))
	second.visible(dt("conflict-dialog"))
	second.settle()
	second.screenshot("conflict-dialog")
	for _, c := range []struct{ field, theirs, mine string }{{"title", title1, title2}, {"body", add1, add2}} {
		row := second.text(dt("conflict-field-" + c.field))
		if !strings.Contains(row, c.theirs) || !strings.Contains(row, c.mine) {
			t.Errorf("conflict dialog, %s: want both %q and %q, got %q", c.field, c.theirs, c.mine, row)
		}
	}
	theirs := adminEval[string](second, `document.querySelector('[data-test="conflict-field-body"] td:nth-of-type(1)').innerText`)
	mine := adminEval[string](second, `document.querySelector('[data-test="conflict-field-body"] td:nth-of-type(2)').innerText`)
	if !strings.Contains(theirs, add1) || strings.Contains(theirs, add2) || !strings.Contains(mine, add2) || strings.Contains(mine, add1) {
		t.Errorf("conflict dialog body columns mixed up:\ntheirs %q\nmine %q", theirs, mine)
	}
	if got := second.value(dt("story-title")); got != title2 {
		t.Errorf("the second editor's title changed under the dialog: %q", got)
	}
	if state := adminEval[string](second, `document.querySelector('[data-test="save-status"]').dataset.state`); state != "error" {
		t.Errorf("save status during the conflict: %q, want error", state)
	}

	// Take the other version: it loads, and "restore mine" brings the
	// second editor's text back.
	second.click(dt("conflict-reload"))
	second.gone(dt("conflict-dialog"))
	second.visible(dt("discarded-alert"))
	if got := second.value(dt("story-title")); got != title1 {
		t.Errorf("after taking the other version the title is %q, want %q", got, title1)
	}
	second.waitFor("the other version's body", fmt.Sprintf(`document.querySelector('[data-test="editor-content"]').innerText.includes(%s)`, js(add1)))
	second.click(dt("restore-mine"))
	second.waitFor("my title back", fmt.Sprintf(`document.querySelector('[data-test="story-title"]').value === %s`, js(title2)))
	second.waitFor("my body back", fmt.Sprintf(`document.querySelector('[data-test="editor-content"]').innerText.includes(%s)`, js(add2)))

	// Saving now goes on top of the current version. On a slow machine
	// the autosave (every 20 s) may have saved the restored text first, so
	// the version is 3 or more; the text is the second editor's either way.
	second.click(dt("story-save"))
	second.waitFor("the second save", `document.querySelector('[data-test="save-status"]').dataset.state === "ok"`)
	_, st = s.Call(t, "GET", clitest.StoryPath(id, ""), admin, nil)
	if st["title"] != title2 || !strings.Contains(st["body"].(string), add2) || clitest.Num(st["version"]) < 3 {
		t.Errorf("after resolving: title %v version %v body %v", st["title"], st["version"], st["body"])
	}
	first.checkConsole("first editor")
	second.checkConsole("second editor")
}

// TestAdminBrowser_Screens visits every screen as an administrator on the
// demo site: Chinese text and menu labels, no console errors, nothing
// wider than the laptop screen, and a screenshot of each to look at.
func TestAdminBrowser_Screens(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 5*time.Minute)
	shots := adminShots(t)
	s := clitest.MustRunServe(t, "")
	admin := s.Login(t, "admin", s.Password)
	if code, m, _ := s.Upload(t, admin, "huodong.jpg", clitest.TestPhoto(t, 90)); code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, m)
	} else {
		s.Call(t, "PATCH", fmt.Sprintf("/api/v1/media/%d", clitest.Num(m["id"])), admin, map[string]any{"version": m["version"], "alt": "志愿者与老人合影"})
	}
	// One more picture without alt text, so the library shows its prompt.
	if code, m, _ := s.Upload(t, admin, "IMG_0002.jpg", clitest.TestPhoto(t, 180)); code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, m)
	}

	a := openAdminTab(t, browser, s.URL, "admin", shots)
	menu := []string{"工作台", "稿件", "审核", "媒体库", "数据统计", "构建记录", "品牌项目", "用户", "站点设置", "审计日志", "用词词典", "固定页面", "接口密钥"}
	look := func(name string, shell bool) {
		t.Helper()
		a.waitFor(name+" to finish loading", `![...document.querySelectorAll(".el-loading-mask")].some(m => m.offsetParent !== null)
			&& [...document.images].every(i => i.complete)`)
		a.settle()
		var r struct {
			Text, Lang, Title, H1 string
			Wide                  int
		}
		if err := json.Unmarshal(adminEval[[]byte](a, `({Text: document.body.innerText, Lang: document.documentElement.lang, Title: document.title,
			H1: document.querySelector("h1")?.innerText || "", Wide: document.documentElement.scrollWidth - window.innerWidth})`), &r); err != nil {
			t.Fatal(err)
		}
		cjk := regexp.MustCompile(`\p{Han}`)
		if len(cjk.FindAllString(r.Text, -1)) < 10 || !cjk.MatchString(r.H1) || !cjk.MatchString(r.Title) || r.Lang != "zh-CN" {
			t.Errorf("%s: not in Chinese: lang %q, title %q, h1 %q, text %.200q", name, r.Lang, r.Title, r.H1, r.Text)
		}
		if shell {
			for _, m := range menu {
				if !strings.Contains(r.Text, m) {
					t.Errorf("%s: menu lacks %q", name, m)
				}
			}
		}
		if r.Wide > 0 {
			t.Errorf("%s: page is %d px wider than the 1366 px window", name, r.Wide)
		}
		a.screenshot("admin-" + name)
		a.checkConsole(name)
	}

	a.navigate("/admin/")
	a.visible(dt("login-form"))
	look("login", false)
	a.login("admin", s.Password)
	a.waitFor("dashboard lists", `document.querySelectorAll('[data-test="mini-story"]').length > 0 && document.querySelectorAll('[data-test="mini-build"]').length > 0`)
	look("dashboard", true)

	a.click(dt("menu-stories"))
	a.visible(dt("story-list"))
	a.waitFor("story rows", `document.querySelectorAll('[data-test="story-row"]').length > 0`)
	look("stories", true)

	a.click(chromedp.CSS(`[data-test="story-row"]`))
	a.visible(dt("editor-content"))
	a.visible(dt("workflow-bar"))
	a.waitFor("the story in the editor", `document.querySelector('[data-test="story-title"]').value !== ""`)
	look("editor", true)

	a.click(dt("menu-media"))
	a.visible(dt("media-grid"))
	a.waitFor("pictures", `document.querySelectorAll('[data-test="media-item"]').length >= 2`)
	look("media", true)
	a.click(chromedp.CSS(`[data-test="media-item"]:has([data-test="media-missing-alt"])`))
	a.visible(dt("media-details"))
	look("media-details", true)
	a.do("close the drawer", chromedp.KeyEvent(kb.Escape))
	a.gone(dt("media-drawer"))

	for _, sc := range adminScreens {
		if sc.menu == "stories" || sc.menu == "media" {
			continue // looked at above, with the editor and the drawer
		}
		a.click(dt("menu-" + sc.menu))
		a.visible(dt(sc.ready))
		if sc.menu != "settings" && sc.menu != "review" && sc.menu != "apikeys" && sc.menu != "interact" { // the demo has none of those
			a.waitFor(sc.menu+" rows", fmt.Sprintf(`document.querySelectorAll('[data-test=%q] .el-table__row').length > 0`, sc.ready))
		}
		look(sc.menu, true)
		if sc.menu == "builds" {
			// Reasons in words, not the server's log words ("startup").
			for _, r := range adminEval[[]string](a, `[...document.querySelectorAll('[data-test="build-row"]')].map(e => e.innerText)`) {
				if !regexp.MustCompile(`\p{Han}`).MatchString(r) {
					t.Errorf("build reason %q is not in Chinese", r)
				}
			}
		}
	}
	t.Logf("screenshots in %s", shots)
}

// TestAdminBrowser_BrandConflict: two admins edit the bureau's brand; the
// one who saves second is told, sees nothing overwritten, takes the other's
// version and saves their change on top of it.
func TestAdminBrowser_BrandConflict(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 3*time.Minute)
	s := clitest.MustRunServe(t, "")
	admin := s.Login(t, "admin", s.Password)
	_, list := s.Call(t, "GET", "/api/v1/brands", admin, nil)
	brand := list["items"].([]any)[0].(map[string]any)

	a := openAdminTab(t, browser, s.URL, "admin", adminShots(t))
	a.allow(http.StatusConflict) // the refused save, on purpose
	a.login("admin", s.Password)
	a.click(dt("menu-projects"))
	a.visible(dt("brand-list"))
	a.clickText(`[data-test="brand-list"] button`, brand["name"].(string))
	a.visible(dt("brand-dialog"))
	a.settle()
	if code, out := s.Call(t, "PUT", fmt.Sprintf("/api/v1/brands/%v", brand["id"]), admin, map[string]any{
		"version": brand["version"], "name": brand["name"], "slogan": "另一位管理员改的口号", "intro": brand["intro"]}); code != http.StatusOK {
		t.Fatalf("the other admin's save: %d %v", code, out)
	}
	a.typeText(dt("brand-slogan"), "我改的口号")
	a.click(dt("brand-save"))
	a.visible(dt("brand-conflict"))
	a.screenshot("brand-conflict")
	_, list = s.Call(t, "GET", "/api/v1/brands", admin, nil)
	if got := list["items"].([]any)[0].(map[string]any)["slogan"]; got != "另一位管理员改的口号" {
		t.Errorf("after the refused save the slogan is %q: overwritten", got)
	}
	a.click(dt("brand-take-theirs"))
	a.waitFor("their slogan in the form", `document.querySelector('[data-test="brand-slogan"]').value === "另一位管理员改的口号"`)
	a.typeText(dt("brand-slogan"), "我改的口号")
	a.click(dt("brand-save"))
	a.gone(dt("brand-dialog"))
	_, list = s.Call(t, "GET", "/api/v1/brands", admin, nil)
	if b := list["items"].([]any)[0].(map[string]any); b["slogan"] != "我改的口号" || clitest.Num(b["version"]) != clitest.Num(brand["version"])+2 {
		t.Errorf("after taking theirs and saving: %v", b)
	}
	a.checkConsole("brand conflict")
}
