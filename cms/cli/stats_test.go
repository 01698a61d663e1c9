package cli_test

import (
	"bytes"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql" // to read the MySQL tables back

	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

const wechatAndroidUA = "Mozilla/5.0 (Linux; Android 13; V2219A Build/TP1A.220624.014; wv) AppleWebKit/537.36 " +
	"(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 " +
	"MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"

// TestServe_ReachStats: a WeChat reader opens three stories, one through a
// link shared to 朋友圈 (from=timeline). The statistics say 3 views, 1
// visitor, one of them from 微信/朋友圈; the public numbers move without a
// build; no cookie is set; the reader's address is in no file of the data
// directory; a clean stop loses no queued view.
func TestServe_ReachStats(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn, "--trusted-proxies", "127.0.0.1")
		a := newAPIClient(t, s)
		token := s.Login(t, "admin", s.Password)
		_, _, list := a.do("GET", "/api/v1/content/stories?per_page=3&fields=slug,url", "", nil)
		items := list["items"].([]any)
		if len(items) < 3 {
			t.Fatalf("demo has %d live stories", len(items))
		}
		var paths []string
		for _, it := range items {
			paths = append(paths, "/stories/"+it.(map[string]any)["slug"].(string)+"/")
		}
		builds := countBuilds(t, a, token)

		const ip = "198.51.100.23"
		for i, p := range paths {
			from := ""
			if i == 0 {
				from = "timeline"
			}
			code, h, _ := a.do("POST", "/api/v1/beacon", "", map[string]any{"path": p, "from": from, "viewport": "phone"},
				"User-Agent", wechatAndroidUA, "X-Forwarded-For", ip)
			if code != http.StatusNoContent {
				t.Fatalf("beacon %s: %d", p, code)
			}
			if c := h.Values("Set-Cookie"); len(c) > 0 {
				t.Fatalf("beacon set a cookie: %v", c)
			}
		}
		if code, _, _ := a.do("POST", "/api/v1/stats/flush", token, nil); code != http.StatusNoContent {
			t.Fatalf("flush: %d", code)
		}
		_, _, rep := a.do("GET", "/api/v1/stats/report", token, nil)
		if rep["views"] != 3.0 || rep["visitors"] != 1.0 {
			t.Fatalf("report: %v views, %v visitors; want 3 and 1", rep["views"], rep["visitors"])
		}
		sources := map[string]float64{}
		for _, r := range rep["sources"].([]any) {
			row := r.(map[string]any)
			sources[row["label"].(string)] = row["views"].(float64)
		}
		if sources["微信/朋友圈"] != 1 || sources["微信/其他"] != 2 {
			t.Errorf("sources %v, want 微信/朋友圈 1 and 微信/其他 2", sources)
		}
		// The public numbers, with no build in between.
		_, h, st := a.do("GET", "/api/v1/content/stats?path="+paths[0], "", nil)
		if st["views"] != 1.0 || st["site_views"] != 3.0 {
			t.Errorf("public stats of %s: %v", paths[0], st)
		}
		if len(h.Values("Set-Cookie")) > 0 {
			t.Errorf("stats set a cookie")
		}
		_, _, rank := a.do("GET", "/api/v1/content/ranking?period=week", "", nil)
		if n := len(rank["items"].([]any)); n != 3 {
			t.Errorf("ranking has %d stories, want 3", n)
		}
		if n := countBuilds(t, a, token); n != builds {
			t.Errorf("counting started %.0f builds", n-builds)
		}
		if code, body := s.Get(t, "/ranking/"); code != http.StatusOK || !bytes.Contains([]byte(body), []byte(`id="ranking-list"`)) {
			t.Errorf("/ranking/: %d", code)
		}

		// Queued views are written at a clean stop.
		for range 5 {
			a.do("POST", "/api/v1/beacon", "", map[string]any{"path": paths[1]}, "User-Agent", wechatAndroidUA, "X-Forwarded-For", ip)
		}
		s.Stop(t)
		if dsn != "" {
			// MySQL: every row of every table, as text.
			db, err := sql.Open("mysql", strings.TrimPrefix(dsn, "mysql://"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if where := grepMySQL(t, db, ip); where != "" {
				t.Errorf("the database holds the reader's address in %s", where)
			}
			return
		}
		found := false
		filepath.Walk(s.Data, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(ip)) {
				t.Errorf("%s holds the reader's address", p)
			}
			if filepath.Base(p) == "stats.db" {
				found = true
			}
			return nil
		})
		if !found {
			t.Fatal("no stats.db in the data directory")
		}
		s2 := clitest.MustRun(t, s.Data, dsn, []string{"serve", "--addr", "127.0.0.1:0", "--data", s.Data, "--db", dsn, "--demo=false"})
		token = s2.Login(t, "admin", s.Password)
		code, rep2 := s2.Call(t, "GET", "/api/v1/stats/report", token, nil)
		if code != http.StatusOK || rep2["views"] != 8.0 {
			t.Errorf("after a restart: %d, %v views, want 8 (5 queued at the stop)", code, rep2["views"])
		}
	})
}

func countBuilds(t *testing.T, a *apiClient, token string) float64 {
	t.Helper()
	_, _, b := a.do("GET", "/api/v1/builds?per_page=1", token, nil)
	n, _ := b["total"].(float64)
	return n
}

// grepMySQL returns the first table.column of the database holding needle.
func grepMySQL(t *testing.T, db *sql.DB, needle string) string {
	t.Helper()
	rows, err := db.Query("SHOW TABLES")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM `" + table + "`")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if bytes.Contains(v, []byte(needle)) {
					rows.Close()
					return table + "." + cols[i]
				}
			}
		}
		rows.Close()
	}
	return ""
}
