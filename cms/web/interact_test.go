package web_test

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web"
)

// Strings that would become markup, Hugo template code or a shortcode if
// any page treated them as anything but text.
const (
	xssScript    = `<script>alert("x")</script>`
	xssImg       = `<img src=x onerror=alert(1)>`
	xssTemplate  = `{{ .Site.Params }}`
	xssShortcode = `{{< figure src="/x.jpg" >}}`
)

var xssAll = xssScript + xssImg + xssTemplate + xssShortcode

// markupLeaks returns the first payload that appears unescaped in body.
func markupLeaks(body string) string {
	for _, p := range []string{xssScript, xssImg, "<b>"} {
		if strings.Contains(body, p) {
			return p
		}
	}
	return ""
}

type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// interactServer is an API server with the interaction store; public pages
// are fetched with page (no OpenAPI check: they are HTML documents).
type interactServer struct {
	*apiServer
	srv   http.Handler
	clock *stepClock
	pid   int64
	story string // slug of a published story
}

func newInteractServer(t *testing.T, dsn, dataDir string, mod func(*web.Config)) *interactServer {
	t.Helper()
	clock := &stepClock{now: time.Now()}
	db := openStore(t, dsn, dataDir, store.WithClock(clock.Now))
	var handler http.Handler
	s := newAPIServer(t, db, func(c *web.Config) {
		c.Interact, c.Dictionary = db, db
		c.PreviewKey = []byte("0123456789abcdef0123456789abcdef")
		if mod != nil {
			mod(c)
		}
		handler = web.New(*c)
	})
	pid := s.project("幸福起航颁证服务", "xingfu", cms.KindWindow, "marriage")
	_, slug := s.published(map[string]any{"title": "集体颁证仪式", "summary": "七夕", "body": "<p>正文</p>", "project_id": pid})
	return &interactServer{apiServer: s, srv: handler, clock: clock, pid: pid, story: slug}
}

// page sends a request straight to the handler from the client address ip.
func (s *interactServer) page(method, path, ip string, form url.Values) (int, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = ip + ":40000"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	s.srv.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

var tokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

// formToken opens a form page and returns its token.
func (s *interactServer) formToken(path, ip string) string {
	s.t.Helper()
	code, body := s.page("GET", path, ip, nil)
	m := tokenField.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		s.t.Fatalf("GET %s: %d, no token: %.300s", path, code, body)
	}
	return m[1]
}

var codeField = regexp.MustCompile(`id="code">([A-Z0-9]{10})<`)

// TestInteract_EndToEnd: a rating and a message with markup, template and
// shortcode syntax in every field; both reach the inbox; the phone is in
// clear for admins and the handler only; the reply, once approved, is on
// 公开答复 and in the content API without name or phone; the 查询码 shows
// it; an overdue message is counted and in the report and its Excel
// export, read back; on SQLite and MySQL.
func TestInteract_EndToEnd(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		s := newInteractServer(t, dsn, dataDir, nil)
		const phone, name = "13912345678", "<b>王大爷</b>"
		ip := "198.51.100.1"

		// A 差评 with markup everywhere and a phone opens a follow-up.
		tok := s.formToken("/interact/rate?project=xingfu&story="+s.story+"&level=1", ip)
		code, body := s.page("POST", "/interact/rate", ip, url.Values{"token": {tok}, "project": {"xingfu"},
			"story": {s.story}, "level": {"1"}, "comment": {xssAll}, "service": {xssImg}, "name": {name}, "phone": {"139-1234-0000"}})
		if code != http.StatusOK || !strings.Contains(body, "非常不满意") || !strings.Contains(body, "回访") {
			t.Fatalf("rating: %d %.500s", code, body)
		}
		// The same form again is refused: one rating per visit.
		if code, _ := s.page("POST", "/interact/rate", ip, url.Values{"token": {tok}, "project": {"xingfu"}, "level": {"5"}}); code != http.StatusConflict {
			t.Fatalf("second rating with one form: %d", code)
		}

		// A message without a token is the form again, keeping what was written.
		code, body = s.page("POST", "/interact/message", ip, url.Values{"category": {"consult"}, "text": {xssAll}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "表单已过期或无效") || markupLeaks(body) != "" ||
			!strings.Contains(body, "&lt;script&gt;") {
			t.Fatalf("post without token: %d %.800s", code, body)
		}
		// Field errors name the field.
		tok = s.formToken("/interact/message?project=xingfu", ip)
		code, body = s.page("POST", "/interact/message", ip, url.Values{"token": {tok}, "category": {"spam"}, "text": {""}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "请选择留言类别") || !strings.Contains(body, "请填写留言内容") {
			t.Fatalf("invalid message: %d %.800s", code, body)
		}
		tok = s.formToken("/interact/message?project=xingfu", ip)
		code, body = s.page("POST", "/interact/message", ip, url.Values{"token": {tok}, "category": {"consult"},
			"project": {"xingfu"}, "text": {"补领结婚证要带什么？" + xssAll}, "name": {name}, "phone": {phone}, "public": {"yes"}})
		m := codeField.FindStringSubmatch(body)
		if code != http.StatusOK || m == nil {
			t.Fatalf("message: %d %.800s", code, body)
		}
		queryCode := m[1]

		// The inbox: both, escaped only by the client; the phone in clear for the admin.
		list := s.do("GET", "/api/v1/interact/messages", s.admin, nil, nil).want(http.StatusOK).items()
		if len(list) != 2 {
			t.Fatalf("inbox has %d messages, want the message and the follow-up", len(list))
		}
		msg, follow := list[0], list[1]
		if msg["phone"] != phone || msg["name"] != name || msg["category"] != "consult" || follow["category"] != "follow_up" ||
			follow["phone"] != "13912340000" || !strings.Contains(follow["text"].(string), xssAll) {
			t.Fatalf("inbox: %v / %v", msg, follow)
		}
		id := num(msg, "id")
		editor := s.user("handler", cms.RoleEditor, 0)
		other := s.user("other", cms.RoleEditor, 0)
		reviewers := []string{s.user("reviewer", cms.RoleReviewer, 1), s.user("reviewer2", cms.RoleReviewer, 2), s.user("reviewer3", cms.RoleReviewer, 3)}
		got := s.do("GET", fmt.Sprintf("/api/v1/interact/messages/%d", id), editor, nil, nil).want(http.StatusOK).json()
		if got["phone"] != "139******78" || got["phone_masked"] != true {
			t.Fatalf("an editor not handling it sees %v", got["phone"])
		}
		// Accept for the handler; now he sees the number, the other editor does not.
		handlerID := s.userID("handler")
		got = s.do("POST", fmt.Sprintf("/api/v1/interact/messages/%d/actions/accept", id), s.admin,
			map[string]any{"version": num(msg, "version"), "assignee_id": handlerID}, nil).want(http.StatusOK).json()
		if got["state"] != "accepted" || got["assignee_name"] != "handler" {
			t.Fatalf("accept: %v", got)
		}
		if got := s.do("GET", fmt.Sprintf("/api/v1/interact/messages/%d", id), editor, nil, nil).want(http.StatusOK).json(); got["phone"] != phone {
			t.Fatalf("the handler sees %v", got["phone"])
		}
		if got := s.do("GET", "/api/v1/interact/messages", other, nil, nil).want(http.StatusOK).items(); got[0]["phone"] != "139******78" {
			t.Fatalf("another editor sees %v in the list", got[0]["phone"])
		}
		if r := s.do("POST", fmt.Sprintf("/api/v1/interact/messages/%d/actions/reply", id), other,
			map[string]any{"version": num(got, "version"), "reply": "x"}, nil); r.status != http.StatusForbidden {
			t.Fatalf("another editor replies: %d", r.status)
		}
		reply := "请携带身份证和户口簿。" + xssAll
		got = s.do("POST", fmt.Sprintf("/api/v1/interact/messages/%d/actions/reply", id), editor,
			map[string]any{"version": num(got, "version"), "reply": reply, "publish": true}, nil).want(http.StatusOK).json()
		if got["state"] != "done" || got["publish_state"] != "review" {
			t.Fatalf("reply: %v", got)
		}
		// The site's three review stages, each signed by its level: the
		// reply is public only after 终审.
		approve := fmt.Sprintf("/api/v1/interact/messages/%d/actions/approve", id)
		for stage, reviewer := range reviewers {
			if got["review_stage"] != float64(stage+1) {
				t.Fatalf("before stage %d the reply waits at %v", stage+1, got["review_stage"])
			}
			if _, body := s.page("GET", "/interact/replies/", ip, nil); strings.Contains(body, "请携带身份证") {
				t.Fatalf("the reply is public before stage %d", stage+1)
			}
			wrong := reviewers[(stage+1)%len(reviewers)]
			if r := s.do("POST", approve, wrong, map[string]any{"version": num(got, "version")}, nil); r.status != http.StatusForbidden {
				t.Fatalf("a reviewer of another level signs stage %d: %d", stage+1, r.status)
			}
			got = s.do("POST", approve, reviewer, map[string]any{"version": num(got, "version")}, nil).want(http.StatusOK).json()
		}
		if got["publish_state"] != "published" || got["review_stage"] != 0.0 {
			t.Fatalf("after 终审: %v", got)
		}
		if r := s.do("POST", approve, reviewers[2], map[string]any{"version": num(got, "version") - 1}, nil); r.status != http.StatusConflict {
			t.Fatalf("a stale approval: %d, want 409", r.status)
		}

		// 公开答复: at once, escaped, without name or phone.
		code, body = s.page("GET", "/interact/replies/", ip, nil)
		if code != http.StatusOK || !strings.Contains(body, "请携带身份证和户口簿。") || !strings.Contains(body, "补领结婚证要带什么？") {
			t.Fatalf("公开答复: %d %.1500s", code, body)
		}
		if leak := markupLeaks(body); leak != "" || strings.Contains(body, "王大爷") || strings.Contains(body, phone) || strings.Contains(body, "139******78") {
			t.Fatalf("公开答复 shows %q, the name or the phone: %.2000s", leak, body)
		}
		api := s.get("/api/v1/content/replies").want(http.StatusOK)
		if strings.Contains(string(api.body), "王大爷") || strings.Contains(string(api.body), phone) || !strings.Contains(string(api.body), "请携带身份证") {
			t.Fatalf("content API replies: %s", api.body)
		}
		code, body = s.page("GET", "/interact/lookup?code="+strings.ToLower(queryCode), ip, nil)
		if code != http.StatusOK || !strings.Contains(body, "已办结") || !strings.Contains(body, "请携带身份证和户口簿。") || markupLeaks(body) != "" {
			t.Fatalf("lookup: %d %.1500s", code, body)
		}
		if code, _ := s.page("GET", "/interact/lookup?code=NOSUCHCODE", ip, nil); code != http.StatusNotFound {
			t.Fatalf("unknown code: %d", code)
		}
		// Results, page and API.
		code, body = s.page("GET", "/interact/results/xingfu/", ip, nil)
		if code != http.StatusOK || !strings.Contains(body, "幸福起航颁证服务 · 满意度测评结果") || !strings.Contains(body, "共 1 条评价，满意率 0.0%") {
			t.Fatalf("results: %d %.1500s", code, body)
		}
		// Both say which months they cover; this month's figures are as of now.
		now := s.clock.Now().In(cms.Local)
		thisMonth := now.Format("2006年1月")
		if !strings.Contains(body, "统计期间："+now.AddDate(0, -11, 1-now.Day()).Format("2006年1月")+"至"+thisMonth+"。") ||
			!strings.Contains(body, thisMonth+"为本月，数据截至") || !strings.Contains(body, now.Format("2006-01")+"（本月，截至目前）") {
			t.Fatalf("results do not state their period: %.2500s", body)
		}
		sat := s.get("/api/v1/content/satisfaction?project=xingfu").want(http.StatusOK).json()
		if total := sat["total"].(map[string]any); total["total"] != 1.0 || total["satisfied"] != 0.0 {
			t.Fatalf("satisfaction API: %v", sat)
		}
		if sat["to"] != now.Format("2006-01") || sat["from"] != now.AddDate(0, -11, 1-now.Day()).Format("2006-01") || sat["as_of"] == nil {
			t.Fatalf("satisfaction API period: %v to %v as of %v", sat["from"], sat["to"], sat["as_of"])
		}

		// Ten days on, the follow-up nobody took up is overdue.
		s.clock.Add(10 * 24 * time.Hour)
		editor = s.login("handler", "handler-password") // the session expired meanwhile
		sum := s.do("GET", "/api/v1/interact/summary", editor, nil, nil).want(http.StatusOK).json()
		if sum["overdue"] != 1.0 || sum["pending"] != 1.0 {
			t.Fatalf("summary: %v", sum)
		}
		if q := s.do("GET", "/api/v1/interact/messages?queue=overdue", editor, nil, nil).want(http.StatusOK).items(); len(q) != 1 || q[0]["overdue"] != true {
			t.Fatalf("overdue queue: %v", q)
		}
		rep := s.do("GET", "/api/v1/interact/report", editor, nil, nil).want(http.StatusOK).json()
		if rep["received"] != 2.0 || rep["overdue"] != 1.0 || rep["on_time"] != 1.0 || rep["on_time_rate"] != 50.0 {
			t.Fatalf("report: %v", rep)
		}
		x := s.do("GET", "/api/v1/interact/report/export", editor, nil, nil).want(http.StatusOK)
		f, err := excelize.OpenReader(strings.NewReader(string(x.body)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows("办理情况")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"收到留言": "2", "已办结": "1", "已超期": "1", "按期办结": "1", "按期办结率（%）": "50"}
		for _, r := range rows {
			if w, ok := want[r[0]]; ok {
				if r[1] != w {
					t.Errorf("Excel %s = %s, want %s", r[0], r[1], w)
				}
				delete(want, r[0])
			}
		}
		if len(want) > 0 {
			t.Errorf("Excel lacks rows %v", want)
		}
		sheet, _ := f.GetRows("满意度")
		if len(sheet) != 2 || sheet[1][0] != "幸福起航颁证服务" || sheet[1][2] != "1" || sheet[1][9] != "1" {
			t.Errorf("Excel 满意度 sheet: %v", sheet)
		}
	})
}

// TestInteract_SpamBurst: one client posts 1,000 messages as fast as it
// can while 50 people post one each from their own addresses; the spam
// gets 429s, every legitimate message is kept. A bot filling the honeypot
// is thanked and nothing is stored. Scripts post JSON with a token.
func TestInteract_SpamBurst(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		s := newInteractServer(t, dsn, dataDir, nil)
		const spammer = "203.0.113.66"
		post := func(ip, text string, extra url.Values) int {
			req := httptest.NewRequest("GET", "/interact/token", nil)
			req.RemoteAddr = ip + ":1"
			w := httptest.NewRecorder()
			s.srv.ServeHTTP(w, req)
			tok := regexp.MustCompile(`"token":"([^"]+)"`).FindStringSubmatch(w.Body.String())
			form := url.Values{"token": {tok[1]}, "category": {"suggest"}, "text": {text}}
			maps.Copy(form, extra)
			code, _ := s.page("POST", "/interact/message", ip, form)
			return code
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		spamCodes := map[int]int{}
		for g := range 8 {
			wg.Go(func() {
				for i := range 125 {
					code := post(spammer, fmt.Sprintf("广告%d-%d", g, i), nil)
					mu.Lock()
					spamCodes[code]++
					mu.Unlock()
				}
			})
		}
		legit := make([]int, 50)
		for i := range legit {
			wg.Go(func() {
				legit[i] = post(fmt.Sprintf("198.51.100.%d", i+10), fmt.Sprintf("建议%02d：窗口增加老年人座椅", i), nil)
			})
		}
		wg.Wait()
		for i, code := range legit {
			if code != http.StatusOK {
				t.Errorf("legitimate message %d: %d", i, code)
			}
		}
		if spamCodes[http.StatusTooManyRequests] < 990 || spamCodes[http.StatusOK]+spamCodes[http.StatusTooManyRequests] != 1000 {
			t.Fatalf("spam answers: %v, want at least 990 × 429", spamCodes)
		}
		t.Logf("1,000 spam posts: %v", spamCodes)

		// A bot filling the honeypot is thanked; nothing is stored.
		if code := post("192.0.2.99", "蜜罐", url.Values{"website": {"http://spam.example"}}); code != http.StatusOK {
			t.Fatalf("honeypot post: %d", code)
		}
		all := s.do("GET", "/api/v1/interact/messages?per_page=100", s.admin, nil, nil).want(http.StatusOK)
		var kept int
		for _, m := range all.items() {
			if strings.HasPrefix(m["text"].(string), "建议") {
				kept++
			}
			if m["text"] == "蜜罐" {
				t.Error("the honeypot post was stored")
			}
		}
		if kept != 50 {
			t.Fatalf("%d of 50 legitimate messages kept", kept)
		}
		if total := num(all.json(), "total"); total != int64(50+spamCodes[http.StatusOK]) {
			t.Fatalf("inbox total %d, want 50 + %d accepted spam", total, spamCodes[http.StatusOK])
		}

		// A script posts JSON with a token and gets the 查询码.
		req := httptest.NewRequest("GET", "/interact/token", nil)
		w := httptest.NewRecorder()
		s.srv.ServeHTTP(w, req)
		tok := regexp.MustCompile(`"token":"([^"]+)"`).FindStringSubmatch(w.Body.String())[1]
		req = httptest.NewRequest("POST", "/interact/message", strings.NewReader(
			`{"token":"`+tok+`","category":"praise","text":"窗口服务很好","public":true}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "192.0.2.100:1"
		w = httptest.NewRecorder()
		s.srv.ServeHTTP(w, req)
		if w.Code != http.StatusCreated || !regexp.MustCompile(`"code":"[A-Z0-9]{10}"`).MatchString(w.Body.String()) {
			t.Fatalf("JSON post: %d %s", w.Code, w.Body)
		}
	})
}
