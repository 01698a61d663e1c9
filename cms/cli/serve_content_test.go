package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web/webtest"
)

// apiClient calls a running server and validates every answer against the
// OpenAPI document.
type apiClient struct {
	tb     testing.TB
	base   string
	client *http.Client
}

func newAPIClient(tb testing.TB, s *clitest.Server) *apiClient {
	tr := &http.Transport{DisableCompression: true}
	tb.Cleanup(tr.CloseIdleConnections)
	return &apiClient{tb: tb, base: s.URL, client: &http.Client{Transport: &webtest.Transport{V: webtest.NewValidator(tb), TB: tb, Base: tr}}}
}

func (a *apiClient) do(method, path, token string, body any, header ...string) (int, http.Header, map[string]any) {
	a.tb.Helper()
	req := clitest.Request(a.tb, method, a.base+path, token, body)
	if body == nil {
		req.Header.Del("Content-Type")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, raw := clitest.Send(a.tb, a.client, req)
	clitest.AssertNoLeak(a.tb, method+" "+path, raw)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			a.tb.Fatalf("%s %s: invalid JSON %.200q", method, path, raw)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// TestServe_ContentAPI runs the content delivery API end to end on the real
// program: the demo's drafts never show, Chinese search, ETag and 304, a
// publish changing the ETag, API keys over their limit and revoked.
func TestServe_ContentAPI(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn)
		a := newAPIClient(t, s)
		code, _, login := a.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": s.Password})
		if code != http.StatusOK {
			t.Fatalf("login: %d %v", code, login)
		}
		token := login["token"].(string)

		// The demo campaign imports two drafts; they never show.
		drafts := []string{"520-yuyue-zhinan", "shijian-yinhang-yizhounian"}
		for _, slug := range drafts {
			if code, _, _ := a.do("GET", "/api/v1/content/stories/"+slug, "", nil); code != http.StatusNotFound {
				t.Errorf("draft %s: %d, want 404", slug, code)
			}
		}
		seen := map[string]bool{}
		next := ""
		for range 10 {
			u := "/api/v1/content/stories?per_page=20&fields=slug,title"
			if next != "" {
				u += "&cursor=" + url.QueryEscape(next)
			}
			code, _, page := a.do("GET", u, "", nil)
			if code != http.StatusOK {
				t.Fatalf("%s: %d", u, code)
			}
			for _, it := range page["items"].([]any) {
				seen[it.(map[string]any)["slug"].(string)] = true
			}
			n, _ := page["next_cursor"].(string)
			if n == "" {
				break
			}
			next = n
		}
		if len(seen) < 30 {
			t.Errorf("cursor paging saw %d stories, want the demo's ≥ 30", len(seen))
		}
		for _, q := range []string{"养老", "婚姻", "志愿"} {
			code, _, res := a.do("GET", "/api/v1/content/stories?per_page=100&fields=slug&q="+url.QueryEscape(q), "", nil)
			if code != http.StatusOK || len(res["items"].([]any)) == 0 {
				t.Errorf("q=%s: %d %v, want demo stories", q, code, res["total"])
			}
			for _, it := range res["items"].([]any) {
				seen[it.(map[string]any)["slug"].(string)] = true
			}
		}
		for _, d := range drafts {
			if seen[d] {
				t.Errorf("draft %s appeared in a list or search", d)
			}
		}

		// ETag and 304; a publish changes the answer and its tag.
		list := "/api/v1/content/stories?per_page=20"
		code, h, _ := a.do("GET", list, "", nil)
		etag := h.Get("ETag")
		if code != http.StatusOK || etag == "" {
			t.Fatalf("list: %d etag %q", code, etag)
		}
		if code, _, _ := a.do("GET", list, "", nil, "If-None-Match", etag); code != http.StatusNotModified {
			t.Errorf("If-None-Match: %d, want 304", code)
		}
		if _, h, _ := a.do("GET", "/api/v1/content/site", "", nil, "Origin", "https://mp.example.cn"); h.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("CORS by default: %q", h.Get("Access-Control-Allow-Origin"))
		}
		_, _, p := a.do("POST", "/api/v1/projects", token, map[string]any{"name": "助老食堂", "slug": "zhulao", "kind": "benefit", "area": "elderly"})
		_, _, st := a.do("POST", "/api/v1/stories", token, map[string]any{"title": "助老食堂开张：社区养老再添新去处",
			"body": "<p>老人在家门口吃上热饭。</p>", "project_id": p["id"]})
		if code, _, pub := a.do("POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), token, nil); code != http.StatusOK {
			t.Fatalf("publish: %d %v", code, pub)
		}
		code, h, after := a.do("GET", list, "", nil, "If-None-Match", etag)
		if code != http.StatusOK || h.Get("ETag") == etag {
			t.Errorf("after publish: %d etag %q (was %q)", code, h.Get("ETag"), etag)
		}
		if first := after["items"].([]any)[0].(map[string]any); !strings.Contains(first["title"].(string), "助老食堂") {
			t.Errorf("newest story is %v, want the one just published", first["title"])
		}
		if code, _, res := a.do("GET", "/api/v1/content/stories?fields=slug&q="+url.QueryEscape("助老食堂"), "", nil); code != http.StatusOK || clitest.Num(res["total"]) != 1 {
			t.Errorf("search for the new story: %d %v", code, res)
		}

		// API keys: over the limit → 429 with Retry-After; revoked → 401.
		code, _, key := a.do("POST", "/api/v1/apikeys", token, map[string]any{"name": "市政务服务网", "rate_limit": 2})
		if code != http.StatusCreated {
			t.Fatalf("create key: %d %v", code, key)
		}
		secret := key["key"].(string)
		for i := range 3 {
			code, h, _ := a.do("GET", "/api/v1/content/site", "", nil, "X-API-Key", secret)
			switch {
			case i < 2 && code != http.StatusOK:
				t.Errorf("keyed read %d: %d", i, code)
			case i == 2 && (code != http.StatusTooManyRequests || h.Get("Retry-After") == ""):
				t.Errorf("keyed read over the limit: %d Retry-After %q", code, h.Get("Retry-After"))
			}
		}
		if code, _, _ := a.do("DELETE", fmt.Sprintf("/api/v1/apikeys/%v", key["id"]), token, nil); code != http.StatusNoContent {
			t.Errorf("revoke: %d", code)
		}
		if code, _, _ := a.do("GET", "/api/v1/content/site", "", nil, "X-API-Key", secret); code != http.StatusUnauthorized {
			t.Errorf("revoked key: %d, want 401", code)
		}
	})
}
