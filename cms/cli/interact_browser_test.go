package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	_ "github.com/glebarez/go-sqlite" // the "sqlite" database/sql driver, to age a message

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestBrowser_Interact is issue 17's acceptance in Chromium at phone size
// with a WeChat user agent: a reader rates a window project from a story
// page and leaves a message; both are in the admin inbox; with scripts
// disabled both forms still work. The message is assigned, answered and
// approved: the reply is on 公开答复 without name or phone, the phone is
// masked for an editor who does not handle it, and the database file does
// not hold the number in clear. axe-core finds no violation on the new
// public pages (normal, large and high-contrast modes) and admin screens.
func TestBrowser_Interact(t *testing.T) {
	clitest.ChromiumPath(t)
	axe := clitest.AxeSource(t)
	s := clitest.MustRunServe(t, "")
	login := s.LoginSession(t, "admin", s.Password)
	admin := login.Token
	var projects struct {
		Items []struct{ Slug, Name, Kind string } `json:"items"`
	}
	s.CallJSON(t, "GET", "/api/v1/content/projects", "", nil, &projects)
	window := ""
	for _, p := range projects.Items {
		if p.Kind == "window" && window == "" {
			window = p.Slug
		}
	}
	var stories struct {
		Items []struct{ Slug string } `json:"items"`
	}
	s.CallJSON(t, "GET", "/api/v1/content/stories?project="+window+"&per_page=1", "", nil, &stories)
	if window == "" || len(stories.Items) == 0 {
		t.Fatalf("no window project with a story in the demo: %q %v", window, stories)
	}
	story := "/stories/" + stories.Items[0].Slug + "/"

	b := newBrowser(t, s.URL)
	text := func(sel string) string {
		var out string
		b.eval(t, fmt.Sprintf(`document.querySelector(%q)?.innerText || ""`, sel), &out)
		return out
	}

	// Rate from the story page: a level button, then the server's form.
	b.open(t, story)
	b.run(t, chromedp.Click(chromedp.CSS(`.rate-levels button[value="4"]`)),
		chromedp.WaitVisible(chromedp.CSS(`textarea#comment`)),
		chromedp.SendKeys(chromedp.CSS(`textarea#comment`), "颁证大厅很温馨<script>x</script>"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="status"]`)))
	if got := text(`[role="status"]`); !strings.Contains(got, "满意") {
		t.Fatalf("after rating: %q", got)
	}

	// Leave a message from the window project's page.
	const phone, name = "13712348888", "赵阿姨"
	leaveMessage := func(b *browser, from, body string) string {
		t.Helper()
		b.open(t, from)
		b.run(t, chromedp.Click(chromedp.CSS(`.interact-links a[href*="interact/message"]`)),
			chromedp.WaitVisible(chromedp.CSS(`textarea#text`)),
			chromedp.Click(chromedp.CSS(`input[name="category"][value="consult"]`)),
			chromedp.SendKeys(chromedp.CSS(`textarea#text`), body),
			chromedp.SendKeys(chromedp.CSS(`input#name`), name),
			chromedp.SendKeys(chromedp.CSS(`input#phone`), phone),
			chromedp.Click(chromedp.CSS(`input[name="public"]`)),
			chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#code`)))
		var code string
		b.eval(t, `document.querySelector("#code").innerText`, &code)
		if len(code) != 10 {
			t.Fatalf("查询码 %q", code)
		}
		return code
	}
	code := leaveMessage(b, "/projects/"+window+"/", "请问周末可以办理结婚登记吗？{{ .Site }}")

	// Scripts disabled: the same two forms.
	nojs := newBrowser(t, s.URL)
	nojs.run(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	nojs.open(t, "/projects/"+window+"/")
	nojs.run(t, chromedp.Click(chromedp.CSS(`.rate-levels button[value="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input#phone`)),
		chromedp.SendKeys(chromedp.CSS(`input#phone`), "13600001234"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="status"]`)))
	var nojsRated string
	nojs.eval(t, `document.querySelector('[role="status"]').innerText + document.body.innerText`, &nojsRated)
	if !strings.Contains(nojsRated, "非常不满意") || !strings.Contains(nojsRated, "回访") {
		t.Fatalf("rating without scripts: %q", nojsRated)
	}
	nojsCode := leaveMessage(nojs, story, "没有脚本也能留言")

	// Both messages, the follow-up of the 差评 and both ratings are in the inbox.
	type message struct {
		ID           int64  `json:"id"`
		Code         string `json:"code"`
		Category     string `json:"category"`
		Text         string `json:"text"`
		Phone        string `json:"phone"`
		PhoneMasked  bool   `json:"phone_masked"`
		PublishState string `json:"publish_state"`
		ReviewStage  int    `json:"review_stage"`
		Version      int    `json:"version"`
	}
	var inbox struct {
		Items []message `json:"items"`
		Total int       `json:"total"`
	}
	s.CallJSON(t, "GET", "/api/v1/interact/messages", admin, nil, &inbox)
	byCode := map[string]message{}
	for _, m := range inbox.Items {
		byCode[m.Code] = m
	}
	if inbox.Total != 3 || byCode[code].Phone != phone || byCode[nojsCode].Text != "没有脚本也能留言" {
		t.Fatalf("inbox: %+v", inbox)
	}
	var ratings struct{ Total int }
	s.CallJSON(t, "GET", "/api/v1/interact/ratings", admin, nil, &ratings)
	if ratings.Total != 2 {
		t.Fatalf("%d ratings in the inbox, want 2", ratings.Total)
	}

	// Assign, reply, and the site's three review stages.
	mk := func(username string, role string, level int) (int64, string) {
		var u struct{ ID int64 }
		if c := s.CallJSON(t, "POST", "/api/v1/users", admin, map[string]any{"username": username, "name": username, "role": role,
			"level": level, "password": username + "-password-1"}, &u); c != http.StatusCreated {
			t.Fatalf("create %s: %d", username, c)
		}
		return u.ID, s.Login(t, username, username+"-password-1")
	}
	handlerID, handler := mk("chuangkou", "editor", 1)
	_, other := mk("xuanchuan", "editor", 1)
	reviewers := make([]string, 3)
	for i := range reviewers {
		_, reviewers[i] = mk(fmt.Sprintf("shenhe%d", i+1), "reviewer", i+1)
	}
	m := byCode[code]
	act := func(token, action string, body map[string]any) message {
		t.Helper()
		var out message
		body["version"] = m.Version
		if c := s.CallJSON(t, "POST", fmt.Sprintf("/api/v1/interact/messages/%d/actions/%s", m.ID, action), token, body, &out); c != http.StatusOK {
			t.Fatalf("%s: %d", action, c)
		}
		m = out
		return out
	}
	act(admin, "accept", map[string]any{"assignee_id": handlerID})
	var seen message
	s.CallJSON(t, "GET", fmt.Sprintf("/api/v1/interact/messages/%d", m.ID), other, nil, &seen)
	if seen.Phone != "137******88" || !seen.PhoneMasked {
		t.Fatalf("an editor not handling it sees %q", seen.Phone)
	}
	s.CallJSON(t, "GET", fmt.Sprintf("/api/v1/interact/messages/%d", m.ID), handler, nil, &seen)
	if seen.Phone != phone {
		t.Fatalf("the handler sees %q", seen.Phone)
	}
	act(handler, "reply", map[string]any{"reply": "周六上午可预约办理，请携带身份证和户口簿。", "publish": true})
	for i, reviewer := range reviewers[:2] {
		if c := s.CallJSON(t, "POST", fmt.Sprintf("/api/v1/interact/messages/%d/actions/approve", m.ID), reviewers[(i+2)%3],
			map[string]any{"version": m.Version}, nil); c != http.StatusForbidden {
			t.Fatalf("a reviewer of another level signs stage %d: %d", i+1, c)
		}
		if got := act(reviewer, "approve", map[string]any{}); got.ReviewStage != i+2 || got.PublishState != "review" {
			t.Fatalf("after stage %d: %+v", i+1, got)
		}
	}
	b.open(t, "/interact/replies/?page=1") // another address: the page may be cached for seconds
	if strings.Contains(text("main"), "周六上午可预约办理") {
		t.Fatal("the reply is on 公开答复 before 终审")
	}
	approved := time.Now()
	act(reviewers[2], "approve", map[string]any{})
	b.open(t, "/interact/replies/")
	page := text("main")
	if !strings.Contains(page, "周六上午可预约办理") || !strings.Contains(page, "{{ .Site }}") {
		t.Fatalf("公开答复: %q", page)
	}
	t.Logf("reply live on 公开答复 %s after approval", time.Since(approved).Round(time.Millisecond))
	if strings.Contains(page, phone) || strings.Contains(page, name) || strings.Contains(page, "137******88") {
		t.Fatalf("公开答复 shows the name or phone: %q", page)
	}
	b.open(t, "/interact/lookup?code="+code)
	if got := text("main"); !strings.Contains(got, "已办结") || !strings.Contains(got, "周六上午可预约办理") {
		t.Fatalf("lookup: %q", got)
	}

	// The database file never holds the number in clear.
	for _, f := range []string{"huimin.db", "huimin.db-wal"} {
		raw, err := os.ReadFile(filepath.Join(s.Data, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, p := range []string{phone, "13600001234"} {
			if bytes.Contains(raw, []byte(p)) {
				t.Errorf("%s holds the phone number %s in clear", f, p)
			}
		}
	}

	// axe-core on the new public pages, in every reading mode.
	runAxe := func(b *browser, where string) {
		t.Helper()
		res := b.axeRun(t, axe)
		if res.Passes < 10 {
			t.Errorf("%s: axe passed only %d rules: did it run?", where, res.Passes)
		}
		for _, v := range res.Violations {
			t.Errorf("%s: %s (%s):\n  %s", where, v.ID, v.Help, strings.Join(v.Nodes, "\n  "))
		}
	}
	pages := []string{story, "/projects/" + window + "/", "/interact/rate?project=" + window + "&level=2", "/interact/message",
		"/interact/lookup?code=" + code, "/interact/lookup?code=WRONGCODE1", "/interact/replies/", "/interact/results/",
		"/interact/results/" + window + "/"}
	for _, mode := range []struct{ name, js string }{
		{"normal", `localStorage.removeItem("hm-large"); localStorage.removeItem("hm-contrast"); true`},
		{"large", `localStorage.setItem("hm-large", "1"); localStorage.removeItem("hm-contrast"); true`},
		{"contrast", `localStorage.removeItem("hm-large"); localStorage.setItem("hm-contrast", "1"); true`},
	} {
		b.open(t, "/interact/message")
		b.eval(t, mode.js, nil)
		for _, p := range pages {
			b.open(t, p)
			runAxe(b, p+" ("+mode.name+")")
		}
	}
	// The thank-you pages.
	b.open(t, "/interact/rate?project="+window+"&level=5")
	b.run(t, chromedp.Click(chromedp.CSS(`form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`[role="status"]`)))
	runAxe(b, "rating thank-you")

	// The admin screens, on a laptop as staff use them: inbox with the
	// message open, the report, the dashboard.
	b.run(t, chromedp.EmulateViewport(1280, 900))
	b.open(t, "/admin/")
	b.eval(t, login.Script(), nil)
	waitFor := func(what, cond string) {
		t.Helper()
		var ok bool
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			b.eval(t, cond, &ok)
			if ok {
				b.eval(t, `new Promise(r => setTimeout(r, 400, true))`, nil) // transitions end
				return
			}
		}
		t.Fatalf("waiting for %s", what)
	}
	// The message left without scripts was, say, received two weeks ago
	// and nobody took it up: it is overdue.
	db, err := sql.Open("sqlite", filepath.Join(s.Data, "huimin.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	past := time.Now().UTC().AddDate(0, 0, -14)
	if _, err := db.Exec("UPDATE messages SET created_at = ?, due_at = ? WHERE code = ?", past, past.AddDate(0, 0, 7), nojsCode); err != nil {
		t.Fatal(err)
	}
	b.open(t, "/admin/")
	waitFor("the inbox count", `!!document.querySelector('[data-test="dashboard-interact"] li')`)
	if got := text(`[data-test="dashboard-overdue"]`); got != "1" {
		t.Errorf("the dashboard shows %q overdue, want 1", got)
	}
	runAxe(b, "admin dashboard")
	b.open(t, "/admin/interact")
	waitFor("the inbox", `document.querySelectorAll('[data-test="interact-table"] .el-table__row').length >= 3`)
	var rows string
	b.eval(t, `document.querySelector('[data-test="interact-table"]').innerText`, &rows)
	if !strings.Contains(rows, "没有脚本也能留言") || !strings.Contains(rows, "{{ .Site }}") {
		t.Fatalf("admin inbox: %q", rows)
	}
	if n := strings.Count(rows, "已超期"); n != 1 {
		t.Errorf("the inbox marks %d messages 已超期, want 1: %q", n, rows)
	}
	runAxe(b, "admin inbox")
	b.run(t, chromedp.Click(chromedp.CSS(`[data-test="interact-table"] .el-table__row .el-button`)))
	waitFor("the message", `!!document.querySelector('[data-test="message-text"]')`)
	runAxe(b, "admin message drawer")

	// A reply past 初审 shows the stage it waits at; the admin signs 复审
	// in the drawer and it moves on to 终审.
	var tok struct{ Token string }
	s.CallJSON(t, "GET", "/interact/token", "", nil, &tok)
	var posted struct{ Code string }
	if c := s.CallJSON(t, "POST", "/interact/message", "", map[string]any{"token": tok.Token, "category": "consult",
		"text": "节假日能办理离婚登记吗？", "public": true}, &posted); c != http.StatusCreated {
		t.Fatalf("JSON message: %d", c)
	}
	s.CallJSON(t, "GET", "/api/v1/interact/messages?queue=&per_page=1", admin, nil, &inbox)
	m = inbox.Items[0]
	if m.Code != posted.Code {
		t.Fatalf("the newest message is %s, want %s", m.Code, posted.Code)
	}
	act(admin, "reply", map[string]any{"reply": "节假日不办理，请工作日前来。", "publish": true})
	act(reviewers[0], "approve", map[string]any{})
	b.open(t, "/admin/interact")
	waitFor("the stage in the inbox", `!!document.querySelector('[data-test="interact-stage"]')`)
	if got := text(`[data-test="interact-stage"]`); got != "答复待复审" {
		t.Errorf("the inbox shows the stage as %q", got)
	}
	b.run(t, chromedp.Click(chromedp.CSS(`[data-test="interact-table"] .el-table__row .el-button`)))
	waitFor("the reply's stages", `!!document.querySelector('[data-test="reply-stages"]') && !!document.querySelector('[data-test="act-approve"]')`)
	if got := text(`[data-test="reply-stage-text"]`); !strings.Contains(got, "复审（第2审，共3审）") {
		t.Errorf("the drawer shows the stage as %q", got)
	}
	if got := text(`[data-test="act-approve"]`); got != "复审通过，送终审" {
		t.Errorf("the approve button says %q", got)
	}
	runAxe(b, "admin message drawer, reply in review")
	b.run(t, chromedp.Click(chromedp.CSS(`[data-test="act-approve"]`)))
	waitFor("终审", `(document.querySelector('[data-test="message-stage"]') || {}).innerText === '答复待终审'`)
	var after message
	s.CallJSON(t, "GET", fmt.Sprintf("/api/v1/interact/messages/%d", m.ID), admin, nil, &after)
	if after.ReviewStage != 3 || after.PublishState != "review" {
		t.Errorf("after the admin signed 复审 in the drawer: %+v", after)
	}
	b.open(t, "/admin/interact/report")
	waitFor("the report", `!!document.querySelector('[data-test="report-received"]')`)
	waitFor("the ratings", `document.querySelectorAll('[data-test="report-ratings"] .el-table__row').length >= 3`)
	if got := text(`[data-test="report-ratings"]`); !strings.Contains(got, "颁证大厅很温馨<script>x</script>") {
		t.Errorf("the latest ratings show %q", got)
	}
	if got := text(`[data-test="report-overdue"]`); got != "1" {
		t.Errorf("the report shows %q overdue, want 1", got)
	}
	runAxe(b, "admin report")

	if f := b.foreignRequests(); len(f) > 0 {
		t.Errorf("requests to other origins: %v", f)
	}
}
