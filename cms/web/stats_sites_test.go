package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/web"
)

// TestStats_TwoSites: two sites of one platform, told apart by host name,
// each publish a story at the same path. Beacons count for the site their
// Host names, among its pages only; each site's public numbers, ranking,
// report, export and settings are its own, also while the other's answers
// are in the server's memory.
func TestStats_TwoSites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db := openStore(t, "", dir)
	jy := &cms.Site{Slug: "jiangyin", Name: "江阴市民政局", Hosts: []string{"jy.example.gov.cn"}}
	if err := db.CreateSite(ctx, jy); err != nil {
		t.Fatal(err)
	}
	s := newStatsServerOn(t, db, dir, func(c *web.Config) { c.Sites = db })
	_, only1 := s.published(map[string]any{"title": "本站独有稿件", "summary": "只在一号站点", "body": "<p>正文</p>", "project_id": s.pid})

	// Site 2's admin publishes a story of its own at site 1's story's path.
	in2 := cms.NewContextWithSite(ctx, jy.ID)
	if err := db.CreateUser(in2, &cms.User{Username: "jyadmin", Name: "江阴管理员", Role: cms.RoleAdmin}, "jyadmin-password"); err != nil {
		t.Fatal(err)
	}
	on2 := map[string]string{"Host": "jy.example.gov.cn"}
	admin2 := s.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "jyadmin", "password": "jyadmin-password"}, on2).
		want(http.StatusOK).json()["token"].(string)
	pid2 := int64(s.do("POST", "/api/v1/projects", admin2, map[string]any{"name": "江阴颁证", "slug": "jy-banzheng",
		"kind": cms.KindWindow, "area": "marriage"}, on2).want(http.StatusCreated).json()["id"].(float64))
	slug := strings.TrimSuffix(strings.TrimPrefix(s.story, "/stories/"), "/")
	st2 := s.do("POST", "/api/v1/stories", admin2, map[string]any{"title": "江阴颁证仪式", "slug": slug, "summary": "江阴",
		"body": "<p>江阴正文</p>", "project_id": pid2}, on2).want(http.StatusCreated).json()
	s.do("POST", "/api/v1/stories/"+jsonID(st2["id"])+"/actions/publish", admin2, nil, on2).want(http.StatusOK)
	if st2["url"] != s.story {
		t.Fatalf("site 2's story is at %v, want site 1's path %s", st2["url"], s.story)
	}

	beacon := func(host, ip, path string) reply {
		t.Helper()
		h := map[string]string{"User-Agent": wechatUA, "X-Forwarded-For": ip}
		if host != "" {
			h["Host"] = host
		}
		return s.do("POST", "/api/v1/beacon", "", map[string]any{"path": path}, h)
	}
	// Site 1 (the default host): its story three times from three readers.
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		beacon("", ip, s.story).want(http.StatusNoContent)
	}
	// Site 2: the story at the same path once, from a reader of site 1,
	// and its home page; site 1's other story is no page of site 2.
	beacon("jy.example.gov.cn", "192.0.2.1", s.story).want(http.StatusNoContent)
	beacon("jy.example.gov.cn", "192.0.2.9", "/").want(http.StatusNoContent)
	beacon("jy.example.gov.cn", "192.0.2.9", only1).want(http.StatusUnprocessableEntity)
	s.flush()

	if n, _ := s.stats.CountHits(ctx); n != 3 {
		t.Errorf("site 1 has %d raw hits, want 3", n)
	}
	if n, _ := s.stats.CountHits(in2); n != 2 {
		t.Errorf("site 2 has %d raw hits, want 2", n)
	}

	// Public numbers: site 1's answer is in memory when site 2 asks.
	pub1 := s.get("/api/v1/content/stats?path=" + s.story).want(http.StatusOK).json()
	pub2 := s.do("GET", "/api/v1/content/stats?path="+s.story, "", nil, on2).want(http.StatusOK).json()
	if pub1["views"] != 3.0 || pub1["site_views"] != 3.0 || pub2["views"] != 1.0 || pub2["site_views"] != 2.0 {
		t.Fatalf("public stats: site 1 %v, site 2 %v; want 3/3 and 1/2", pub1, pub2)
	}
	rank := func(header map[string]string) []any {
		t.Helper()
		return s.do("GET", "/api/v1/content/ranking?period=week", "", nil, header).want(http.StatusOK).json()["items"].([]any)
	}
	if r := rank(nil); len(r) != 1 || r[0].(map[string]any)["title"] != "集体颁证仪式" || r[0].(map[string]any)["views"] != 3.0 {
		t.Errorf("site 1 ranking %v, want 集体颁证仪式 3", r)
	}
	if r := rank(on2); len(r) != 1 || r[0].(map[string]any)["title"] != "江阴颁证仪式" || r[0].(map[string]any)["views"] != 1.0 {
		t.Errorf("site 2 ranking %v, want 江阴颁证仪式 1", r)
	}

	// Reports and exports, for each site's staff.
	rep1 := s.do("GET", "/api/v1/stats/report", s.admin, nil, nil).want(http.StatusOK).json()
	rep2 := s.do("GET", "/api/v1/stats/report", admin2, nil, on2).want(http.StatusOK).json()
	if rep1["views"] != 3.0 || rep1["visitors"] != 3.0 || rep2["views"] != 2.0 || rep2["visitors"] != 2.0 {
		t.Fatalf("reports: site 1 %v views %v visitors, site 2 %v and %v; want 3/3 and 2/2",
			rep1["views"], rep1["visitors"], rep2["views"], rep2["visitors"])
	}
	if p := labelViews(rep1, "pages"); len(p) != 1 || p["集体颁证仪式"] != 3 {
		t.Errorf("site 1 pages %v", p)
	}
	if p := labelViews(rep2, "pages"); len(p) != 2 || p["江阴颁证仪式"] != 1 {
		t.Errorf("site 2 pages %v, want 江阴颁证仪式 1 and its home", p)
	}
	if p := labelViews(rep2, "projects"); len(p) != 1 || p["江阴颁证"] != 1 {
		t.Errorf("site 2 projects %v, want 江阴颁证 1", p)
	}
	csv1 := string(s.do("GET", "/api/v1/stats/export?format=csv", s.admin, nil, nil).want(http.StatusOK).body)
	csv2 := string(s.do("GET", "/api/v1/stats/export?format=csv", admin2, nil, on2).want(http.StatusOK).body)
	if !strings.Contains(csv1, "集体颁证仪式,"+s.story+",3,") || strings.Contains(csv1, "江阴") {
		t.Errorf("site 1 CSV: %.600s", csv1)
	}
	if !strings.Contains(csv2, "江阴颁证仪式,"+s.story+",1,") || strings.Contains(csv2, "集体颁证仪式") {
		t.Errorf("site 2 CSV: %.600s", csv2)
	}
	// Site 1's admin has no role in site 2: not its figures either.
	s.do("GET", "/api/v1/stats/report", s.admin, nil, on2).want(http.StatusForbidden)

	// Settings: site 2 hides its footer 访问量; site 1's stays.
	set2 := s.do("GET", "/api/v1/stats/settings", admin2, nil, on2).want(http.StatusOK).json()
	s.do("PATCH", "/api/v1/stats/settings", admin2, map[string]any{"version": set2["version"], "show_site_visits": false}, on2).
		want(http.StatusOK)
	pub2 = s.do("GET", "/api/v1/content/stats?path="+s.story, "", nil, on2).want(http.StatusOK).json()
	if _, ok := pub2["site_views"]; ok || pub2["views"] != 1.0 {
		t.Errorf("site 2 public stats with 访问量 off: %v", pub2)
	}
	if set1 := s.do("GET", "/api/v1/stats/settings", s.admin, nil, nil).want(http.StatusOK).json(); set1["show_site_visits"] != true {
		t.Errorf("site 1 settings after site 2's change: %v", set1)
	}
	if pub1 = s.get("/api/v1/content/stats?path=" + s.story).want(http.StatusOK).json(); pub1["site_views"] != 3.0 {
		t.Errorf("site 1 public stats after site 2's change: %v", pub1)
	}
}

// jsonID formats a JSON number id for a path.
func jsonID(v any) string { return strconv.FormatInt(int64(v.(float64)), 10) }
