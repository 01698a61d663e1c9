package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms/admin"
	"github.com/huimin/huimin/cms/markup"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web"
)

// errFields returns the fields of an error answer.
func errFields(r reply) map[string]any {
	r.t.Helper()
	f, _ := r.json()["error"].(map[string]any)["fields"].(map[string]any)
	return f
}

// TestLimits_PageNumbers is issue 12 item 7: a page number too large for
// an offset is a 422 naming page on every paged list, never a wrap-around.
func TestLimits_PageNumbers(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := editorialServer(t, db)
		for _, path := range []string{
			"/api/v1/stories", "/api/v1/projects", "/api/v1/media", "/api/v1/builds",
			"/api/v1/audit", "/api/v1/review/inbox", "/api/v1/content/stories",
		} {
			for _, page := range []string{"9223372036854775807", "9223372036854775808", "1000001"} {
				r := s.do("GET", path+"?page="+page, s.admin, nil, nil).want(http.StatusUnprocessableEntity)
				if _, ok := errFields(r)["page"]; !ok {
					t.Errorf("%s?page=%s: no page field: %s", path, page, r.body)
				}
			}
			r := s.do("GET", path+"?per_page=9223372036854775807", s.admin, nil, nil).want(http.StatusUnprocessableEntity)
			if _, ok := errFields(r)["per_page"]; !ok {
				t.Errorf("%s per_page: %s", path, r.body)
			}
			s.do("GET", path+"?page=1000000&per_page=100", s.admin, nil, nil).want(http.StatusOK)
		}
	})
}

// TestLimits_SearchQuery is issue 12 item 8: an overlong search is a 422
// naming q, on the management list and the content API alike.
func TestLimits_SearchQuery(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newAPIServer(t, db, nil)
		long := url.QueryEscape(strings.Repeat("养老", 25_000)) // 50,000 runes
		for _, path := range []string{"/api/v1/stories", "/api/v1/content/stories"} {
			r := s.do("GET", path+"?q="+long, s.admin, nil, nil).want(http.StatusUnprocessableEntity)
			if _, ok := errFields(r)["q"]; !ok {
				t.Errorf("%s: no q field: %s", path, r.body)
			}
			s.do("GET", path+"?q="+url.QueryEscape(strings.Repeat("养", 100)), s.admin, nil, nil).want(http.StatusOK)
		}
	})
}

// TestLimits_PreviewExpiry is issue 12 item 14: an expires_in that would
// overflow a duration is refused, naming the field.
func TestLimits_PreviewExpiry(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := editorialServer(t, db)
		pid := s.project("银龄互助", "yinling", "volunteer", "elderly")
		id, _ := s.story(map[string]any{"title": "预览", "summary": "摘要", "body": "<p>正文</p>", "project_id": pid})
		path := fmt.Sprintf("/api/v1/stories/%d/preview", id)
		for _, v := range []int64{9223372036854775807, 9223372036, 604801, -1} {
			r := s.do("POST", path, s.admin, map[string]any{"expires_in": v}, nil).want(http.StatusUnprocessableEntity)
			if _, ok := errFields(r)["expires_in"]; !ok {
				t.Errorf("expires_in %d: %s", v, r.body)
			}
		}
		s.do("POST", path, s.admin, map[string]any{"expires_in": 604800}, nil).want(http.StatusCreated)
	})
}

// TestSecurityHeaders is issue 12 item 5: the admin UI and the API carry a
// strict policy and cannot be framed; the public site gets one that keeps
// other origins out without breaking WeChat; the built admin UI has no
// inline script for its policy to block.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<!doctype html><title>x</title>")
		})
		adminUI := admin.Handler()
		s := newAPIServer(t, db, func(c *web.Config) { c.Site, c.Admin = page, adminUI })
		for _, tt := range []struct {
			path, csp string
			framing   bool
		}{
			{"/admin/", "script-src 'self';", false},
			{"/admin/stories/1", "frame-ancestors 'none'", false},
			{"/api/v1/content/site", "default-src 'none'", false},
			{"/api/v1/auth/me", "default-src 'none'", false},
			{"/healthz", "default-src 'none'", false},
			{"/stories/x/", "default-src 'self'", true},
			{"/", "object-src 'none'", true},
		} {
			// A plain client: the admin UI and the site are not in the API document.
			resp, err := http.Get(s.url + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			h := resp.Header
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "strict-origin-when-cross-origin" {
				t.Errorf("%s: nosniff %q, referrer %q", tt.path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, tt.csp) || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP %q lacks %q", tt.path, csp, tt.csp)
			}
			if framed := h.Get("X-Frame-Options") == "" && !strings.Contains(csp, "frame-ancestors 'none'"); framed != tt.framing {
				t.Errorf("%s: may be framed %v, want %v (CSP %q, XFO %q)", tt.path, framed, tt.framing, csp, h.Get("X-Frame-Options"))
			}
			if strings.HasPrefix(tt.path, "/admin") && (h.Get("X-Frame-Options") != "DENY" || strings.Contains(csp, "script-src 'self' 'unsafe-inline'")) {
				t.Errorf("%s: XFO %q CSP %q", tt.path, h.Get("X-Frame-Options"), csp)
			}
			if strings.HasPrefix(tt.path, "/admin") {
				for _, tag := range markup.Tags(string(body), "script") {
					if !tag.Has("src") {
						t.Errorf("%s has an inline script, which the admin CSP blocks: %s", tt.path, tag.Raw)
					}
				}
			}
		}
	})
}
