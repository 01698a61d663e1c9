package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/wechat"
	"github.com/huimin/huimin/cms/wechat/wechattest"
)

// These tests run the 公众号 draft flow (issue 19) end to end against the
// local contract server of cms/wechat/wechattest, which implements WeChat's
// documented request and response contract. They never reach WeChat.

const (
	wxAppID  = "wxc0ntract0000001"
	wxSecret = "contract-app-secret-5f2a9c7e1b"
	wxBase   = "https://mz.example.gov.cn"
)

// wxClient calls the management API, keeping every answer so the tests can
// look for the secret in all of them; answers are checked against the
// OpenAPI document.
type wxClient struct {
	t      *testing.T
	a      *apiClient
	token  string
	bodies []string
}

func (c *wxClient) call(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	resp, raw := clitest.Send(c.t, c.a.client, clitest.Request(c.t, method, c.a.base+path, c.token, body))
	c.bodies = append(c.bodies, string(raw))
	clitest.AssertNoLeak(c.t, method+" "+path, raw)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func (c *wxClient) must(method, path string, body any) map[string]any {
	c.t.Helper()
	code, out := c.call(method, path, body)
	if code/100 != 2 {
		c.t.Fatalf("%s %s: %d %v", method, path, code, out)
	}
	return out
}

// wxStory serves a site whose settings name the contract server's account,
// and publishes a story with three body photos and a cover.
func wxStory(t *testing.T) (*clitest.Server, *wechattest.Server, *wxClient, map[string]any) {
	s, wx, c, p := wxServe(t)
	var ids []any
	for i, alt := range []string{"新人宣读结婚誓言", "颁证员为新人颁发结婚证", "新人与家人合影", "颁证厅全景"} {
		code, m, _ := s.Upload(t, c.token, fmt.Sprintf("photo%d.jpg", i), clitest.TestPhoto(t, uint8(40*i)))
		if code != http.StatusCreated {
			t.Fatalf("upload %d: %d %v", i, code, m)
		}
		c.must("PATCH", fmt.Sprintf("/api/v1/media/%v", m["id"]), map[string]any{"version": m["version"], "alt": alt})
		ids = append(ids, m["id"])
	}
	var body strings.Builder
	body.WriteString(`<p>七夕当天，区婚姻登记处为30对新人举办集体颁证仪式。</p>`)
	for i, cap := range []string{"宣读誓言", "颁发证书", "家人合影"} {
		fmt.Fprintf(&body, `<figure data-media-id="%[1]v"><img src="/x.jpg" alt="%[2]s" data-media-id="%[1]v"><figcaption>%[2]s</figcaption></figure><p>第%[3]d段：仪式庄重而温馨。</p>`, ids[i], cap, i+1)
	}
	st := c.must("POST", "/api/v1/stories", map[string]any{"title": "七夕集体颁证仪式温暖举行", "summary": "30对新人在颁证厅宣读誓言。",
		"author": "区民政局", "project_id": p["id"], "cover_media_id": ids[3], "body": body.String()})
	pub := c.must("POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), map[string]any{})
	s.WaitBuild(t, c.token, pub["build_id"])
	return s, wx, c, pub
}

// wxServe serves a site whose settings name the contract server's account,
// with one project.
func wxServe(t *testing.T) (*clitest.Server, *wechattest.Server, *wxClient, map[string]any) {
	wx := wechattest.New(t, wxAppID, wxSecret)
	s := clitest.MustRunServe(t, "", "--demo=false", "--wechat-api", wx.URL)
	c := &wxClient{t: t, a: newAPIClient(t, s), token: s.Login(t, "admin", s.Password)}
	set := c.must("GET", "/api/v1/settings", nil)
	c.must("PATCH", "/api/v1/settings", map[string]any{"version": set["version"], "base_url": wxBase,
		"wechat_app_id": wxAppID, "wechat_secret": wxSecret, "wechat_open_comment": true})
	p := c.must("POST", "/api/v1/projects", map[string]any{"name": "幸福起航", "kind": "window", "area": "marriage"})
	return s, wx, c, p
}

func wantCalls(t *testing.T, wx *wechattest.Server, want map[string]int) {
	t.Helper()
	got := wx.AllCalls()
	for _, op := range []string{"stable_token", "uploadimg", "add_material", "draft/add", "draft/update"} {
		if got[op] != want[op] {
			t.Errorf("contract server received %d %s calls, want %d (all: %v)", got[op], op, want[op], got)
		}
	}
}

// TestWechatDraft_SendAndResend is issue 19's acceptance 1 and 3: one token
// request, three uploadimg, one add_material and one draft/add whose content
// shows only pictures the contract server hosted and whose 阅读原文 is the
// page URL with the hm_src=wx_article marker; after an edit, published
// again, a resend updates the same draft and uploads nothing. The secret is
// in no answer, log line or audit row.
func TestWechatDraft_SendAndResend(t *testing.T) {
	t.Parallel()
	s, wx, c, st := wxStory(t)
	path := fmt.Sprintf("/api/v1/stories/%v/wechat-draft", st["id"])
	if got := c.must("GET", path, nil); got["status"] != cms.WechatDraftNone {
		t.Fatalf("state before sending: %v", got)
	}
	d := c.must("POST", path, nil)
	if d["status"] != cms.WechatDraftCreated || d["media_id"] == "" || d["synced_by"] == "" || d["synced_at"] == nil {
		t.Fatalf("after sending: %v", d)
	}
	wantCalls(t, wx, map[string]int{"stable_token": 1, "uploadimg": 3, "add_material": 1, "draft/add": 1})
	art, ok := wx.Draft(d["media_id"].(string))
	if !ok {
		t.Fatalf("draft %v not on the contract server", d["media_id"])
	}
	srcs := wechattest.ImageSources(art.Content)
	if len(srcs) != 3 {
		t.Fatalf("draft content has %d pictures, want 3: %s", len(srcs), art.Content)
	}
	for _, src := range srcs {
		if !wx.Issued(src) {
			t.Errorf("draft content shows %q, which uploadimg did not return", src)
		}
	}
	wantURL := wxBase + st["url"].(string) + "?" + cms.StatsSourceParam + "=" + cms.StatsSourceArticle
	if art.ContentSourceURL != wantURL || !strings.HasSuffix(wantURL, "?hm_src=wx_article") {
		t.Errorf("content_source_url %q, want %q", art.ContentSourceURL, wantURL)
	}
	if art.Title != "七夕集体颁证仪式温暖举行" || art.Author != "区民政局" || art.Digest != "30对新人在颁证厅宣读誓言。" || art.ThumbMediaID == "" || art.NeedOpenComment != 1 {
		t.Errorf("article %+v", art)
	}
	if strings.Contains(art.Content, "class=") || strings.Contains(art.Content, "srcset") || !strings.Contains(art.Content, `style="`) {
		t.Errorf("content keeps classes or srcset, or has no inline style: %s", art.Content)
	}

	// Edit, publish the edit, send again: draft/update, nothing uploaded.
	cur := c.must("GET", fmt.Sprintf("/api/v1/stories/%v", st["id"]), nil)
	c.must("PATCH", fmt.Sprintf("/api/v1/stories/%v", st["id"]), map[string]any{"version": cur["version"],
		"body": strings.Replace(cur["body"].(string), "仪式庄重而温馨", "仪式庄重而温馨，亲友见证", 1)})
	if code, out := c.call("POST", path, nil); code != http.StatusConflict {
		t.Fatalf("sending an unreviewed edit: %d %v, want 409", code, out)
	}
	pub := c.must("POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), map[string]any{})
	s.WaitBuild(t, c.token, pub["build_id"])
	again := c.must("POST", path, nil)
	if again["media_id"] != d["media_id"] || again["synced_version"] == d["synced_version"] {
		t.Fatalf("resend: %v, want the same draft %v at a new version", again, d["media_id"])
	}
	wantCalls(t, wx, map[string]int{"stable_token": 1, "uploadimg": 3, "add_material": 1, "draft/add": 1, "draft/update": 1})
	if art, _ := wx.Draft(d["media_id"].(string)); !strings.Contains(art.Content, "亲友见证") {
		t.Errorf("draft not updated: %s", art.Content)
	}

	prev := c.must("GET", path+"/preview", nil)
	if !strings.Contains(prev["content"].(string), "亲友见证") || prev["content_source_url"] != wantURL {
		t.Errorf("preview %v", prev)
	}
	audit := c.must("GET", fmt.Sprintf("/api/v1/audit?object=story:%v", st["id"]), nil)
	if n := strings.Count(fmt.Sprint(audit), "wechat.draft"); n != 2 {
		t.Errorf("audit has %d wechat.draft events, want 2: %v", n, audit)
	}
	assertNoSecret(t, s, c)
}

// TestWechatDraft_Errors is issue 19's acceptance 2 and 3: an expired
// token is fetched again once and the call retried; an IP-whitelist refusal
// names the IP; a title over the limit is refused before any call, naming
// the field; failures are the story's state and in the audit trail; the
// secret is in no answer, log line or audit row.
func TestWechatDraft_Errors(t *testing.T) {
	t.Parallel()
	s, wx, c, st := wxStory(t)
	path := fmt.Sprintf("/api/v1/stories/%v/wechat-draft", st["id"])
	d := c.must("POST", path, nil)

	wx.ExpireToken()
	if again := c.must("POST", path, nil); again["media_id"] != d["media_id"] {
		t.Fatalf("resend after the token expired: %v", again)
	}
	wantCalls(t, wx, map[string]int{"stable_token": 2, "uploadimg": 3, "add_material": 1, "draft/add": 1, "draft/update": 2})

	wx.Fail("draft/update", 40164, "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist")
	code, out := c.call("POST", path, nil)
	msg := fmt.Sprint(out["error"])
	if code != http.StatusServiceUnavailable || !strings.Contains(msg, "203.0.113.7") || !strings.Contains(msg, "白名单") {
		t.Fatalf("40164: %d %v, want 503 naming 203.0.113.7", code, out)
	}
	state := c.must("GET", path, nil)
	if state["status"] != cms.WechatDraftFailed || !strings.Contains(state["error"].(string), "203.0.113.7") || state["media_id"] != d["media_id"] {
		t.Fatalf("state after 40164: %v", state)
	}

	wx.Fail("draft/update", 48001, "api unauthorized")
	code, out = c.call("POST", path, nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(out["error"]), "48001") {
		t.Fatalf("48001: %d %v", code, out)
	}

	// The draft was mass-sent or deleted in WeChat: a new one is made.
	wx.DeleteDraft(d["media_id"].(string))
	renewed := c.must("POST", path, nil)
	if renewed["media_id"] == d["media_id"] || renewed["status"] != cms.WechatDraftCreated {
		t.Fatalf("after the draft was deleted in WeChat: %v", renewed)
	}
	// The cover was deleted from the material library: uploaded again, once.
	art, _ := wx.Draft(renewed["media_id"].(string))
	wx.DeleteMaterial(art.ThumbMediaID)
	if again := c.must("POST", path, nil); again["status"] != cms.WechatDraftCreated {
		t.Fatalf("after the cover was deleted in WeChat: %v", again)
	}
	wantCalls(t, wx, map[string]int{"stable_token": 2, "uploadimg": 3, "add_material": 2, "draft/add": 4, "draft/update": 6})

	// Only those who may publish send drafts.
	c.must("POST", "/api/v1/users", map[string]any{"username": "xiaowang", "name": "宣传干事小王", "role": "editor", "password": "editor-password-1"})
	editor := &wxClient{t: t, a: c.a, token: s.Login(t, "xiaowang", "editor-password-1")}
	if code, out := editor.call("POST", path, nil); code != http.StatusForbidden {
		t.Fatalf("an editor sending: %d %v, want 403", code, out)
	}
	c.bodies = append(c.bodies, editor.bodies...)

	cur := c.must("GET", fmt.Sprintf("/api/v1/stories/%v", st["id"]), nil)
	long := strings.Repeat("长", 65)
	c.must("PATCH", fmt.Sprintf("/api/v1/stories/%v", st["id"]), map[string]any{"version": cur["version"], "title": long})
	pub := c.must("POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), map[string]any{})
	s.WaitBuild(t, c.token, pub["build_id"])
	before := wx.AllCalls()
	code, out = c.call("POST", path, nil)
	if f := clitest.Fields(out); code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(f["title"]), "标题") || !strings.Contains(fmt.Sprint(f["title"]), "64") {
		t.Fatalf("over-long title: %d %v, want 422 naming title", code, out)
	}
	if after := wx.AllCalls(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("an over-long title reached the contract server: %v → %v", before, after)
	}
	audit := c.must("GET", fmt.Sprintf("/api/v1/audit?object=story:%v", st["id"]), nil)
	if !strings.Contains(fmt.Sprint(audit), "wechat.draft_failed") || !strings.Contains(fmt.Sprint(audit), "203.0.113.7") {
		t.Errorf("audit lacks the failures: %v", audit)
	}
	assertNoSecret(t, s, c)
}

// assertNoSecret looks for the app secret and the access tokens in every
// answer the test received, the server's output, the whole audit trail,
// the settings, the admin UI and the public pages.
func assertNoSecret(t *testing.T, s *clitest.Server, c *wxClient) {
	t.Helper()
	c.must("GET", "/api/v1/audit?per_page=100", nil)
	c.must("GET", "/api/v1/settings", nil)
	seen := append([]string{}, c.bodies...)
	seen = append(seen, s.Output(), s.Stderr())
	for _, p := range []string{"/", "/admin/", "/api/v1/content/site"} {
		_, page := s.Get(t, p)
		seen = append(seen, page)
	}
	all := strings.Join(seen, "\n")
	for _, bad := range []string{wxSecret, "CONTRACT-TOKEN"} {
		if strings.Contains(all, bad) {
			i := strings.Index(all, bad)
			t.Errorf("%q appears in what the test saw: …%s…", bad, all[max(0, i-200):min(len(all), i+100)])
		}
	}
	if !strings.Contains(all, "wechat.draft") {
		t.Errorf("the audit trail the test read has no wechat.draft event")
	}
	if logs := s.Output() + s.Stderr(); !strings.Contains(logs, "wechat draft") {
		t.Errorf("the server logged nothing about its drafts; the test cannot tell the secret stays out of the log:\n%.2000s", logs)
	}
}

// TestWechatDraft_LargePicture: a body picture whose w960 is 1 MB or more,
// uploadimg's limit, is sent as its w480; a resend after an edit finds it
// uploaded already, so uploadimg is called once in all (it was called
// again on every resend: the upload was recorded under the w480's URL and
// looked for under the w960's).
func TestWechatDraft_LargePicture(t *testing.T) {
	t.Parallel()
	s, wx, c, p := wxServe(t)
	code, m, _ := s.Upload(t, c.token, "noise.jpg", noisyJPEG(t, 960, 2000))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, m)
	}
	for _, v := range m["variants"].([]any) {
		if v := v.(map[string]any); v["name"] == "w960" {
			if code, body := s.Get(t, v["url"].(string)); code != 200 || len(body) < wechat.MaxBodyImage {
				t.Fatalf("w960 is %d bytes (%d): the test needs one of at least %d", len(body), code, wechat.MaxBodyImage)
			}
		}
	}
	c.must("PATCH", fmt.Sprintf("/api/v1/media/%v", m["id"]), map[string]any{"version": m["version"], "alt": "志愿者合影"})
	body := fmt.Sprintf(`<p>志愿者走访独居老人。</p><figure data-media-id="%[1]v"><img src="/x.jpg" alt="志愿者合影" data-media-id="%[1]v"><figcaption>志愿者合影</figcaption></figure><p>活动结束。</p>`, m["id"])
	st := c.must("POST", "/api/v1/stories", map[string]any{"title": "银龄互助志愿服务走进社区", "summary": "志愿者走访独居老人。",
		"author": "区民政局", "project_id": p["id"], "cover_media_id": m["id"], "body": body})
	pub := c.must("POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), map[string]any{})
	s.WaitBuild(t, c.token, pub["build_id"])
	path := fmt.Sprintf("/api/v1/stories/%v/wechat-draft", st["id"])
	d := c.must("POST", path, nil)
	if n := wx.Calls("uploadimg"); n != 1 {
		t.Fatalf("first send: %d uploadimg calls, want 1", n)
	}
	cur := c.must("GET", fmt.Sprintf("/api/v1/stories/%v", st["id"]), nil)
	c.must("PATCH", fmt.Sprintf("/api/v1/stories/%v", st["id"]), map[string]any{"version": cur["version"],
		"body": strings.Replace(cur["body"].(string), "活动结束。", "活动结束，老人们很高兴。", 1)})
	pub = c.must("POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), map[string]any{})
	s.WaitBuild(t, c.token, pub["build_id"])
	again := c.must("POST", path, nil)
	if again["media_id"] != d["media_id"] {
		t.Fatalf("resend made another draft: %v, want %v", again["media_id"], d["media_id"])
	}
	if n := wx.Calls("uploadimg"); n != 1 {
		t.Errorf("after a resend: %d uploadimg calls, want 1 (the picture was uploaded again)", n)
	}
	art, _ := wx.Draft(d["media_id"].(string))
	for _, src := range wechattest.ImageSources(art.Content) {
		if !wx.Issued(src) {
			t.Errorf("draft content shows %q, which uploadimg did not return", src)
		}
	}
}

// noisyJPEG is a w×h picture of random noise, which JPEG cannot make small.
func noisyJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same picture every run
	for i := range m.Pix {
		m.Pix[i] = uint8(r.Uint32())
		if i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
