package web_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // the "sqlite" database/sql driver, to read the files back
	"github.com/xuri/excelize/v2"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/web"
)

const wechatUA = "Mozilla/5.0 (Linux; Android 13; V2219A Build/TP1A.220624.014; wv) AppleWebKit/537.36 " +
	"(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 " +
	"MMWEBID/2585 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"

// statsServer is an API server with a statistics store, both SQLite files
// in dir.
type statsServer struct {
	*apiServer
	stats *store.StatsDB
	dir   string
	story string // path of a published story
	pid   int64
}

func newStatsServer(t *testing.T, mod func(*web.Config)) *statsServer {
	t.Helper()
	dir := t.TempDir()
	return newStatsServerOn(t, openStore(t, "", dir), dir, mod)
}

// newStatsServerOn is newStatsServer on db, whose files are in dir.
func newStatsServerOn(t *testing.T, db *store.DB, dir string, mod func(*web.Config)) *statsServer {
	t.Helper()
	ctx := context.Background()
	stats, err := store.OpenStats(ctx, "", dir, nil, store.StatsOptions{FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stats.Close() })
	s := newAPIServer(t, db, func(c *web.Config) {
		c.Stats, c.SitePages = stats, db
		c.TrustedProxies = []string{"127.0.0.1", "::1"}
		if mod != nil {
			mod(c)
		}
	})
	pid := s.project("幸福起航", "xingfu", cms.KindWindow, "marriage")
	_, slug := s.published(map[string]any{"title": "集体颁证仪式", "summary": "七夕", "body": "<p>正文</p>", "project_id": pid})
	return &statsServer{apiServer: s, stats: stats, dir: dir, story: cms.StoryURL(slug), pid: pid}
}

func (s *statsServer) beacon(body map[string]any, header map[string]string) reply {
	s.t.Helper()
	h := map[string]string{"User-Agent": wechatUA}
	maps.Copy(h, header)
	return s.do("POST", "/api/v1/beacon", "", body, h)
}

func (s *statsServer) flush() {
	s.t.Helper()
	s.do("POST", "/api/v1/stats/flush", s.admin, nil, nil).want(http.StatusNoContent)
}

// labelViews maps the labels of a report's list (pages, sources...) to
// their views.
func labelViews(rep map[string]any, list string) map[string]float64 {
	m := map[string]float64{}
	for _, r := range rep[list].([]any) {
		row := r.(map[string]any)
		m[row["label"].(string)] = row["views"].(float64)
	}
	return m
}

// TestBeacon_WechatReader: three story views from one WeChat reader, one
// through a link shared to 朋友圈, make 3 views, 1 visitor and the source
// 微信/朋友圈; no cookie is set, and no table holds the reader's address.
func TestBeacon_WechatReader(t *testing.T) {
	t.Parallel()
	s := newStatsServer(t, nil)
	const ip = "203.0.113.77"
	xff := map[string]string{"X-Forwarded-For": ip}
	for i, from := range []string{"timeline", "", ""} {
		r := s.beacon(map[string]any{"path": s.story, "from": from, "viewport": "phone", "mode": "large",
			"referrer": map[bool]string{true: "", false: "http://" + strings.TrimPrefix(s.url, "http://") + "/"}[i == 0]}, xff).
			want(http.StatusNoContent)
		if c := r.header.Values("Set-Cookie"); len(c) > 0 {
			t.Fatalf("beacon set a cookie: %v", c)
		}
	}
	s.flush()
	st := s.get("/api/v1/content/stats?path=" + s.story).want(http.StatusOK).json()
	if st["views"] != 3.0 || st["site_views"] != 3.0 {
		t.Fatalf("public stats %v, want 3 views", st)
	}
	rep := s.do("GET", "/api/v1/stats/report", s.admin, nil, nil).want(http.StatusOK).json()
	if rep["views"] != 3.0 || rep["visitors"] != 1.0 {
		t.Fatalf("report: %v views %v visitors, want 3 and 1", rep["views"], rep["visitors"])
	}
	sources := labelViews(rep, "sources")
	if sources["微信/朋友圈"] != 1 || sources["站内"] != 2 {
		t.Errorf("sources %v, want 微信/朋友圈 1 and 站内 2", sources)
	}
	pages := rep["pages"].([]any)
	if p := pages[0].(map[string]any); p["label"] != "集体颁证仪式" || p["views"] != 3.0 {
		t.Errorf("top page %v", p)
	}
	if p := rep["projects"].([]any)[0].(map[string]any); p["label"] != "幸福起航" {
		t.Errorf("top project %v", p)
	}
	// Both databases, every table, every column: the address is nowhere.
	for _, file := range []string{"huimin.db", "stats.db"} {
		if where := grepDB(t, s.dir+"/"+file, ip); where != "" {
			t.Errorf("%s holds the reader's IP address in %s", file, where)
		}
	}
}

// grepDB returns the first table.column of an SQLite file holding needle.
func grepDB(t *testing.T, path, needle string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(tables) == 0 {
		t.Fatalf("%s has no tables", path)
	}
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if s := fmt.Sprint(v); strings.Contains(s, needle) || bytes.Contains([]byte(fmt.Sprintf("%s", v)), []byte(needle)) {
					rows.Close()
					return table + "." + cols[i]
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("reading %s: %v", table, err)
		}
		rows.Close()
	}
	return ""
}

// TestBeacon_Filters: bots, prefetches and previews are not counted; bad
// input is a 422 naming the field; a client posting too fast is limited.
func TestBeacon_Filters(t *testing.T) {
	t.Parallel()
	s := newStatsServer(t, func(c *web.Config) { c.BeaconRate, c.BeaconBurst = 1, 5 })
	ok := map[string]any{"path": s.story}
	for name, h := range map[string]map[string]string{
		"baidu spider":  {"User-Agent": "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"},
		"googlebot":     {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
		"curl":          {"User-Agent": "curl/8.5.0"},
		"headless":      {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"},
		"no user agent": {"User-Agent": ""},
		"prefetch":      {"Sec-Purpose": "prefetch"},
		"purpose":       {"Purpose": "prefetch"},
		"admin preview": {"Referer": s.url + "/preview/abc/"},
		"admin UI":      {"Referer": s.url + "/admin/stories/1"},
	} {
		if r := s.beacon(ok, h); r.status != http.StatusNoContent {
			t.Errorf("%s: status %d, want 204", name, r.status)
		}
	}
	s.beacon(map[string]any{"path": "/preview/tok/"}, nil).want(http.StatusNoContent)
	for field, body := range map[string]map[string]any{
		"path":     {"path": "/stories/no-such-story/"},
		"referrer": {"path": s.story, "referrer": "http://x/" + strings.Repeat("a", 1100)},
		"mode":     {"path": s.story, "mode": "huge"},
		"viewport": {"path": s.story, "viewport": "watch"},
		"from":     {"path": s.story, "from": "Timeline!"},
	} {
		r := s.beacon(body, nil).want(http.StatusUnprocessableEntity)
		if errFields(r)[field] == nil {
			t.Errorf("422 for %s does not name it: %s", field, r.body)
		}
	}
	big := s.do("POST", "/api/v1/beacon", "", map[string]any{"path": s.story, "referrer": strings.Repeat("x", 3000)},
		map[string]string{"User-Agent": wechatUA})
	if big.status != http.StatusRequestEntityTooLarge {
		t.Errorf("3 KB beacon: status %d, want 413", big.status)
	}
	s.flush()
	if n, _ := s.stats.CountHits(context.Background()); n != 0 {
		t.Fatalf("%d views counted from bots, prefetches, previews and bad input, want 0", n)
	}
	// Rate: a burst of 5, then 429 for this client, while another goes on.
	limited := 0
	for range 8 {
		r := s.beacon(ok, map[string]string{"X-Forwarded-For": "198.51.100.9"})
		if r.status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited < 2 {
		t.Errorf("%d of 8 quick beacons limited, want at least 2", limited)
	}
	s.beacon(ok, map[string]string{"X-Forwarded-For": "198.51.100.10"}).want(http.StatusNoContent)
	// The noscript image counts too.
	r := s.do("GET", "/api/v1/beacon.gif?path="+s.story, "", nil, map[string]string{"User-Agent": "Mozilla/5.0 (iPhone) Mobile"})
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/gif" {
		t.Errorf("beacon.gif: %d %s", r.status, r.header.Get("Content-Type"))
	}
	// The limited client's image gets the 429 alone, not the 429 with the picture after it.
	r = s.do("GET", "/api/v1/beacon.gif?path="+s.story, "", nil,
		map[string]string{"User-Agent": "Mozilla/5.0 (iPhone) Mobile", "X-Forwarded-For": "198.51.100.9"})
	if r.status != http.StatusTooManyRequests || strings.Contains(string(r.body), "GIF89a") || r.json()["error"] == nil {
		t.Errorf("beacon.gif from a limited client: %d %q, want a 429 with the error only", r.status, r.body)
	}
}

// TestBeacon_HeldWhileBuilding: while a build runs, beacons pass at the
// pace set for builds (here 2 a second) and are all counted; without a
// build they are not held back.
func TestBeacon_HeldWhileBuilding(t *testing.T) {
	var building atomic.Bool
	s := newStatsServer(t, func(c *web.Config) {
		c.Building, c.BeaconsWhileBuilding = building.Load, 2
	})
	ok := map[string]any{"path": s.story}
	building.Store(true)
	start := time.Now()
	for range 3 { // the first passes at once, the next two wait ½ s each
		s.beacon(ok, nil).want(http.StatusNoContent)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("3 beacons during a build took %v, want about 1s at 2 a second", d)
	}
	building.Store(false)
	start = time.Now()
	for range 5 { // held back, they would take 2s or more
		s.beacon(ok, nil).want(http.StatusNoContent)
	}
	if d := time.Since(start); d >= 2*time.Second {
		t.Errorf("5 beacons with no build running took %v: held back", d)
	}
	s.flush()
	if n, _ := s.stats.CountHits(context.Background()); n != 8 {
		t.Errorf("%d views counted, want all 8", n)
	}
}

// TestStats_Settings: the switches hide the public numbers at once, and a
// bad retention is a 422 naming retention_days.
func TestStats_Settings(t *testing.T) {
	t.Parallel()
	s := newStatsServer(t, nil)
	s.beacon(map[string]any{"path": s.story}, nil).want(http.StatusNoContent)
	s.flush()
	rank := s.get("/api/v1/content/ranking?period=week").want(http.StatusOK).json()
	if items := rank["items"].([]any); len(items) != 1 || items[0].(map[string]any)["title"] != "集体颁证仪式" {
		t.Fatalf("ranking %v", rank)
	}
	s.get("/api/v1/content/ranking?period=year").want(http.StatusUnprocessableEntity)
	r := s.do("PATCH", "/api/v1/stats/settings", s.admin, map[string]any{"version": 1, "retention_days": 1}, nil).
		want(http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.body), "retention_days") {
		t.Errorf("422 does not name retention_days: %s", r.body)
	}
	s.do("PATCH", "/api/v1/stats/settings", s.admin,
		map[string]any{"version": 1, "show_story_views": false, "show_ranking": false}, nil).want(http.StatusOK)
	st := s.get("/api/v1/content/stats?path=" + s.story).want(http.StatusOK).json()
	if _, ok := st["views"]; ok || st["ranking"] != false || st["site_views"] != 1.0 {
		t.Errorf("stats with story views and ranking off: %v", st)
	}
	s.get("/api/v1/content/ranking").want(http.StatusNotFound)
}

// TestStats_ExportExcel reads the exported workbook back: its numbers are
// the report's.
func TestStats_ExportExcel(t *testing.T) {
	t.Parallel()
	s := newStatsServer(t, nil)
	for i, from := range []string{"timeline", "groupmessage", "", ""} {
		s.beacon(map[string]any{"path": s.story, "from": from}, map[string]string{"X-Forwarded-For": "192.0.2." + strconv.Itoa(i+1)}).
			want(http.StatusNoContent)
	}
	s.beacon(map[string]any{"path": "/"}, nil).want(http.StatusNoContent)
	s.flush()
	rep := s.do("GET", "/api/v1/stats/report", s.admin, nil, nil).want(http.StatusOK).json()
	r := s.do("GET", "/api/v1/stats/export?format=xlsx", s.admin, nil, nil).want(http.StatusOK)
	if !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("Content-Disposition %q", r.header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, _ := f.GetRows("概览")
	if len(sum) < 6 || sum[4][0] != "阅读量" || sum[4][1] != fmt.Sprint(rep["views"]) || sum[5][1] != fmt.Sprint(rep["visitors"]) {
		t.Fatalf("概览 %v, report views %v visitors %v", sum, rep["views"], rep["visitors"])
	}
	if sum[4][1] != "5" || sum[5][1] != "5" {
		t.Errorf("概览 says %s views %s visitors, want 5 and 5", sum[4][1], sum[5][1])
	}
	pages, _ := f.GetRows("稿件排行")
	if len(pages) < 3 || pages[1][0] != "集体颁证仪式" || pages[1][2] != "4" {
		t.Errorf("稿件排行 %v", pages)
	}
	src, _ := f.GetRows("来源")
	got := map[string]string{}
	for _, row := range src[1:] {
		got[row[0]] = row[1]
	}
	if got["微信/朋友圈"] != "1" || got["微信/群聊"] != "1" {
		t.Errorf("来源 %v", got)
	}
	days, _ := f.GetRows("每日")
	if len(days) != 31 {
		t.Errorf("每日 has %d rows, want a header and 30 days", len(days))
	}
	csv := s.do("GET", "/api/v1/stats/export?format=csv", s.admin, nil, nil).want(http.StatusOK)
	if !bytes.HasPrefix(csv.body, []byte("\ufeff概览")) || !strings.Contains(string(csv.body), "集体颁证仪式,"+s.story+",4,") {
		t.Errorf("CSV: %.400s", csv.body)
	}
	s.do("GET", "/api/v1/stats/export?format=pdf", s.admin, nil, nil).want(http.StatusUnprocessableEntity)
	s.do("GET", "/api/v1/stats/report?from=2026-13-01", s.admin, nil, nil).want(http.StatusUnprocessableEntity)
}
