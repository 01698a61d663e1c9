package admin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// The review tools of the admin UI in headless chromium at 1366 × 768: a
// first-stage reviewer finds a story in the 审核 inbox, sees the wording
// check's hits highlighted in the editor and listed with their
// suggestions, reads the changes since the story was last sent back (by
// word, not by character), takes the suggestions, saves, and the check
// comes back clean; a list pasted from Word becomes a real list.

// wordListHTML is a numbered Word list with a nested bullet, as Chromium
// hands Word's clipboard to the page.
const wordListHTML = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><body lang=ZH-CN><!--StartFragment-->
<p class=MsoListParagraphCxSpFirst style='margin-left:18.0pt;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><!--[if !supportLists]--><span lang=EN-US><span style='mso-list:Ignore'>1.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span></span><!--[endif]--><span style='font-family:仿宋'>上门测量血压</span><o:p></o:p></p>
<p class=MsoListParagraphCxSpMiddle style='margin-left:39.0pt;text-indent:-18.0pt;mso-list:l0 level2 lfo1'><!--[if !supportLists]--><span lang=EN-US style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span></span><!--[endif]--><span style='font-family:仿宋'>自带血压计</span><o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='margin-left:18.0pt;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><!--[if !supportLists]--><span lang=EN-US><span style='mso-list:Ignore'>2.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp; </span></span></span><!--[endif]--><span style='font-family:仿宋'>整理房间、更换灯泡</span><o:p></o:p></p>
<!--EndFragment--></body></html>`

func TestAdminReview(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 3*time.Minute)
	shots := adminShots(t)
	s := clitest.MustRunServe(t, "", "--demo=false")
	admin := s.Login(t, "admin", s.Password)
	code, project := s.Call(t, "POST", "/api/v1/projects", admin, map[string]any{
		"name": "银龄互助", "slug": "yinling", "kind": "volunteer", "area": "elderly", "summary": "低龄老人帮高龄老人"})

	if code != http.StatusCreated {
		t.Fatalf("create project: %d %v", code, project)
	}
	for i, r := range []string{"r1", "r2"} {
		if code, out := s.Call(t, "POST", "/api/v1/users", admin, map[string]any{
			"username": r, "name": []string{"初审老李", "复审张科长"}[i], "role": "reviewer", "level": i + 1, "password": "password-" + r}); code != http.StatusCreated {
			t.Fatalf("create reviewer %s: %d %v", r, code, out)
		}
	}
	r1 := s.Login(t, "r1", "password-r1")

	// A story with dictionary terms in its title and body goes to review,
	// is sent back, edited and submitted again.
	code, st := s.Call(t, "POST", "/api/v1/stories", admin, map[string]any{
		"project_id": project["id"], "title": "重阳节走访孤儿院和敬老院",
		"body": "<p>九月九日上午，街道组织志愿者走访辖区独居老人和五保户。</p><p>社工为残废军人测量血压，并送去慰问品。</p>"})

	if code != http.StatusCreated {
		t.Fatalf("create story: %d %v", code, st)
	}
	id := clitest.Num(st["id"])
	act := func(token, action, comment string) map[string]any {
		t.Helper()
		code, out := s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/%s", id, action), token, map[string]any{"comment": comment})
		if code != http.StatusOK {
			t.Fatalf("%s: %d %v", action, code, out)
		}
		return out
	}
	if sub := act(admin, "submit", ""); len(sub["warnings"].([]any)) < 3 {
		t.Fatalf("submit should warn about 孤儿院, 五保户 and 残废: %v", sub["warnings"])
	}
	act(r1, "reject", "请补充活动时间和参与人数")
	code, cur := s.Call(t, "GET", fmt.Sprintf("/api/v1/stories/%d", id), admin, nil)
	if code != http.StatusOK {
		t.Fatalf("get story: %d %v", code, cur)
	}
	code, cur = s.Call(t, "PATCH", fmt.Sprintf("/api/v1/stories/%d", id), admin, map[string]any{"version": cur["version"],
		"body": "<p>九月九日上午，街道组织二十名志愿者走访辖区独居老人和五保户。</p><p>社工为残废军人体检，并送去月饼。</p>"})

	if code != http.StatusOK {
		t.Fatalf("edit story: %d %v", code, cur)
	}
	act(admin, "submit", "已补充人数")

	// The reviewer's dashboard and the 审核 inbox list the story.
	a := openAdminTab(t, browser, s.URL, "reviewer", shots)
	a.login("r1", "password-r1")
	a.waitFor("the story on the dashboard", `document.querySelector('[data-test="dashboard-review"]').innerText.includes("重阳节走访")`)
	a.click(dt("menu-review"))
	a.visible(dt("review-inbox"))
	a.waitFor("the inbox row", `document.querySelectorAll('[data-test="review-row"]').length === 1`)
	stages := adminEval[[]string](a, `[...document.querySelectorAll('[data-test="review-stage"]')].map(e => e.innerText.replace(/\s+/g, ""))`)
	if len(stages) != 3 || !strings.Contains(stages[0], "初审") || !strings.Contains(stages[0], "1") || !strings.Contains(stages[0], "我的阶段") {
		t.Errorf("stage counts: %q", stages)
	}
	if act := adminEval[string](a, `[...document.querySelectorAll('.sidemenu .el-menu-item.is-active')].map(e => e.dataset.test).join(",")`); act != "menu-review" {
		t.Errorf("active menu item on the inbox: %q", act)
	}
	a.screenshot("review-inbox")
	a.checkConsole("review inbox")

	// Opening it shows the check: terms highlighted in the body, the
	// title's under the title, suggestions in the panel, serious first.
	a.click(dt("review-row"))
	a.visible(dt("editor-content"))
	a.visible(dt("check-panel"))
	a.waitFor("highlights in the editor", `document.querySelectorAll('[data-test="editor-content"] .check-mark').length === 2`)
	marks := adminEval[[]string](a, `[...document.querySelectorAll('[data-test="editor-content"] .check-mark')].map(m => m.textContent + "|" + m.className + "|" + m.title)`)
	if !strings.HasPrefix(marks[0], "五保户|") || !strings.Contains(marks[0], "check-mark--warning") || !strings.Contains(marks[0], "特困人员") ||
		!strings.HasPrefix(marks[1], "残废|") || !strings.Contains(marks[1], "check-mark--serious") || !strings.Contains(marks[1], "残疾") {
		t.Errorf("highlights: %q", marks)
	}
	hits := adminEval[[]string](a, `[...document.querySelectorAll('[data-test="check-hit"]')].map(h => h.dataset.severity + ":" + h.querySelector('[data-test="check-term"]')?.textContent + "→" + h.querySelector('[data-test="check-suggestion"]')?.textContent)`)
	if len(hits) != 3 || hits[0] != "serious:残废→残疾" {
		t.Errorf("check panel hits: %q", hits)
	}
	if got := a.text(dt("field-hits-title")); !strings.Contains(got, "孤儿院") || !strings.Contains(got, "儿童福利院") {
		t.Errorf("title findings: %q", got)
	}
	if !strings.Contains(a.text(dt("check-count")), "3") {
		t.Errorf("check tab count: %q", a.text(dt("check-count")))
	}
	// The highlights are decorations: nothing of them is in the HTML.
	if html := adminEval[string](a, `document.querySelector('[data-test="editor-content"]').editor?.getHTML?.() || ""`); strings.Contains(html, "check-mark") {
		t.Errorf("highlight leaked into the HTML: %s", html)
	}
	// Clicking a finding selects it in the editor.
	a.clickText(`[data-test="check-locate"]`, "残废")
	a.waitFor("the term selected", `window.getSelection().toString() === "残废"`)
	a.screenshot("review-check")
	a.checkConsole("check panel")

	// Since the last review: the banner opens the diff, chosen by default,
	// showing whole words.
	a.visible(dt("review-since-banner"))
	a.click(dt("review-since-open"))
	a.visible(dt("revision-diff"))
	a.waitFor("the since-review diff", `document.querySelector('[data-test="revision-diff"]').innerText.includes("月饼")`)
	ins := adminEval[[]string](a, `[...document.querySelectorAll('[data-test="revision-diff"] ins')].map(e => e.textContent)`)
	dels := adminEval[[]string](a, `[...document.querySelectorAll('[data-test="revision-diff"] del')].map(e => e.textContent)`)
	joined := strings.Join(ins, "|")
	if !strings.Contains(joined, "二十") || !strings.Contains(joined, "月饼") || !strings.Contains(joined, "体检") {
		t.Errorf("inserted parts %q", ins)
	}
	// Whole words and phrases, not characters.
	if d := strings.Join(dels, "|"); !strings.Contains(d, "测量血压") || !strings.Contains(d, "慰问品") {
		t.Errorf("deleted parts %q", dels)
	}
	a.screenshot("review-diff")
	a.checkConsole("diff since review")

	// Take every suggestion, save: the check is clean.
	a.click(chromedp.CSS(`#tab-check`))
	a.visible(dt("check-list"))
	for i := 0; i < 3; i++ {
		a.click(chromedp.CSS(`[data-test="check-hit"] [data-test="check-replace"]`))
		a.waitFor("the replacement noted", fmt.Sprintf(`document.querySelectorAll('[data-test="check-replaced"]').length === %d`, i+1))
	}
	a.waitFor("no highlight left", `document.querySelectorAll('[data-test="editor-content"] .check-mark').length === 0`)
	if got := a.value(dt("story-title")); got != "重阳节走访儿童福利院和敬老院" {
		t.Errorf("title after replacing: %q", got)
	}
	a.visible(dt("check-stale"))
	a.click(dt("story-save"))
	a.visible(dt("check-clean"))
	a.waitFor("the unsaved-edits note to go", `!document.querySelector('[data-test="check-stale"]')`)
	code, cur = s.Call(t, "GET", fmt.Sprintf("/api/v1/stories/%d", id), r1, nil)
	body, _ := cur["body"].(string)
	if code != http.StatusOK || !strings.Contains(body, "特困人员") || !strings.Contains(body, "残疾军人体检") || strings.Contains(body, "check-mark") {
		t.Errorf("saved body: %d %s", code, body)
	}
	code, chk := s.Call(t, "GET", fmt.Sprintf("/api/v1/stories/%d/check", id), r1, nil)
	if code != http.StatusOK || clitest.Num(chk["total"]) != 0 {
		t.Errorf("server check after the fixes: %d %v", code, chk)
	}
	a.screenshot("review-clean")
	a.checkConsole("after the fixes")

	// A numbered list pasted from Word into a new paragraph at the end is a
	// list, nested bullet included.
	a.do("focus the editor", chromedp.Focus(dt("editor-content")))
	adminEval[bool](a, `(() => { const last = document.querySelector('[data-test="editor-content"] > p:last-of-type');
		const r = document.createRange(); r.selectNodeContents(last); r.collapse(false);
		const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r); return true })()`)
	// ProseMirror takes the DOM selection over on its selectionchange
	// handler; on a loaded machine that comes after an immediate key press.
	a.do("let the editor see the caret", chromedp.Sleep(300*time.Millisecond))
	a.do("a new paragraph", chromedp.KeyEvent(kb.Enter))
	a.waitFor("the empty paragraph", `document.querySelector('[data-test="editor-content"] > p:last-of-type').textContent === ""`)
	a.paste(wordListHTML)
	a.waitFor("a real list in the editor", `document.querySelectorAll('[data-test="editor-content"] ol > li').length === 2
		&& document.querySelectorAll('[data-test="editor-content"] ol > li ul > li').length === 1`)
	if txt := a.text(dt("editor-content")); strings.Contains(txt, "1.") || strings.Contains(txt, "·") {
		t.Errorf("list markers kept as text: %q", txt)
	}
	a.click(dt("story-save"))
	a.waitFor("saved", `document.querySelector('[data-test="save-status"]')?.dataset.state === "ok"`)
	_, cur = s.Call(t, "GET", fmt.Sprintf("/api/v1/stories/%d", id), r1, nil)
	body, _ = cur["body"].(string)
	if !strings.Contains(body, "<ol>") || !strings.Contains(body, "<li><p>上门测量血压</p><ul><li><p>自带血压计</p></li></ul></li>") || strings.Contains(body, "mso-") {
		t.Errorf("saved pasted list: %s", body)
	}
	a.screenshot("review-word-list")
	a.checkConsole("word list paste")
	t.Logf("screenshots in %s", shots)
}

// TestAdminReviewOpenUnchanged: a reviewer opening a story whose body
// ends with a picture must not find it "unsaved" (the editor adds an empty
// paragraph after a closing picture); autosave would send it back to draft.
func TestAdminReviewOpenUnchanged(t *testing.T) {
	t.Parallel()
	browser := adminBrowser(t, 2*time.Minute)
	shots := adminShots(t)
	s := clitest.MustRunServe(t, "", "--demo=false")
	admin := s.Login(t, "admin", s.Password)
	_, project := s.Call(t, "POST", "/api/v1/projects", admin, map[string]any{
		"name": "银龄互助", "slug": "yinling", "kind": "volunteer", "area": "elderly", "summary": "低龄老人帮高龄老人"})

	s.Call(t, "POST", "/api/v1/users", admin, map[string]any{"username": "r1", "name": "初审老李", "role": "reviewer", "level": 1, "password": "password-r1"})
	code, m, _ := s.Upload(t, admin, "huodong.jpg", clitest.TestPhoto(t, 90))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, m)
	}
	mid := clitest.Num(m["id"])
	body := fmt.Sprintf(`<p>志愿者走访独居老人。</p><figure data-media-id="%d"><img src="/media/%s/w960.jpg" alt="合影" data-media-id="%d"><figcaption>志愿者为老人测量血压</figcaption></figure>`, mid, m["hash"], mid)
	code, st := s.Call(t, "POST", "/api/v1/stories", admin, map[string]any{"project_id": project["id"], "title": "走访独居老人", "body": body})
	if code != http.StatusCreated {
		t.Fatalf("create story: %d %v", code, st)
	}
	id := clitest.Num(st["id"])
	if code, out := s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/submit", id), admin, map[string]any{}); code != http.StatusOK {
		t.Fatalf("submit: %d %v", code, out)
	}
	a := openAdminTab(t, browser, s.URL, "reviewer", shots)
	a.login("r1", "password-r1")
	a.navigate(fmt.Sprintf("/admin/stories/%d", id))
	a.visible(dt("editor-content"))
	a.waitFor("the picture in the editor", `!!document.querySelector('[data-test="editor-content"] figure img')`)
	a.visible(dt("check-summary"))
	a.do("click into the body", chromedp.Click(chromedp.CSS(`[data-test="editor-content"] p`)))
	if a.poll(`document.querySelector('[data-test="save-status"]').dataset.state !== "ok"`, 2*time.Second) {
		a.fail("opening the story made it unsaved: %s", a.text(dt("save-status")))
	}
	if _, cur := s.Call(t, "GET", fmt.Sprintf("/api/v1/stories/%d", id), admin, nil); cur["status"] != "in_review" || clitest.Num(cur["version"]) != clitest.Num(st["version"]) {
		t.Errorf("after opening: status %v version %v", cur["status"], cur["version"])
	}
	a.checkConsole("opening a story in review")
}
