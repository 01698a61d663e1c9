package web_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/web"
)

// TestSites_ForwardedHost picks the site from X-Forwarded-Host when a
// trusted proxy sends the request, and from Host otherwise.
func TestSites_ForwardedHost(t *testing.T) {
	t.Parallel()
	sites := &memSites{sites: []*cms.Site{
		{ID: 1, Slug: "default", Name: "惠民", Version: 1},
		{ID: 2, Slug: "jiangyin", Name: "江阴", Hosts: []string{"jy.example.test"}, Version: 1},
	}}
	users := &tokenUsers{users: map[string]*cms.User{
		"platform": {ID: 1, Version: 1, Username: "admin", Role: cms.RoleAdmin, PlatformAdmin: true},
	}}
	srv := web.New(web.Config{Users: users, Sites: sites, TrustedProxies: []string{"10.0.0.0/8"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, tc := range []struct {
		name, peer, host, forwarded string
		want                        float64
	}{
		{"trusted proxy, forwarded host", "10.0.0.7:4000", "127.0.0.1:8080", "jy.example.test", 2},
		{"trusted proxy, forwarded host with port, then more", "10.0.0.7:4000", "127.0.0.1:8080", "JY.example.test:443, 10.0.0.7", 2},
		{"trusted proxy, no forwarded host", "10.0.0.7:4000", "jy.example.test", "", 2},
		{"trusted proxy forwards the default site's host", "10.0.0.7:4000", "jy.example.test", "www.example.test", 1},
		{"untrusted client", "203.0.113.8:4000", "127.0.0.1:8080", "jy.example.test", 1},
		{"untrusted client on the site's host", "203.0.113.8:4000", "jy.example.test", "www.example.test", 2},
	} {
		req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
		req.RemoteAddr, req.Host = tc.peer, tc.host
		req.Header.Set("Authorization", "Bearer platform")
		if tc.forwarded != "" {
			req.Header.Set("X-Forwarded-Host", tc.forwarded)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		var me struct {
			SiteID float64 `json:"site_id"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &me); w.Code != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		if me.SiteID != tc.want {
			t.Errorf("%s: acts in site %v, want %v", tc.name, me.SiteID, tc.want)
		}
	}
}
