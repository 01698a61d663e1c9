package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/store/storetest"
)

// testServer is a running `huimin serve` started through run().
type testServer struct {
	URL      string
	Password string
	Data     string
	DSN      string
	out      *lockedBuffer
	cancel   context.CancelFunc
	done     chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	listenLine   = regexp.MustCompile(`Huimin 已启动：(http://[^/\s]+)/`)
	passwordLine = regexp.MustCompile(`密码：(\S+)`)
)

// MustRunServe starts `huimin serve` on a free port with a fresh data
// directory and waits until /healthz answers 200.
func MustRunServe(tb testing.TB, dsn string, extra ...string) *testServer {
	tb.Helper()
	data := tb.TempDir()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--db", dsn}, extra...)
	return mustRun(tb, data, dsn, args)
}

func mustRun(tb testing.TB, data, dsn string, args []string) *testServer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &testServer{Data: data, DSN: dsn, out: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	stderr := &lockedBuffer{}
	go func() {
		err := run(ctx, args, func(string) string { return "" }, strings.NewReader(""), pw, stderr)
		pw.CloseWithError(err)
		s.done <- err
	}()
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			s.out.Write([]byte(line + "\n"))
			if m := passwordLine.FindStringSubmatch(line); m != nil && s.Password == "" {
				s.Password = m[1]
			}
			if m := listenLine.FindStringSubmatch(line); m != nil && !signalled {
				s.URL = m[1]
				signalled = true
				close(found)
			}
		}
	}()
	select {
	case <-found:
	case err := <-s.done:
		tb.Fatalf("huimin serve exited: %v\nstdout:\n%s\nstderr:\n%s", err, s.out, stderr)
	case <-time.After(3 * time.Minute):
		tb.Fatalf("huimin serve did not start\nstdout:\n%s\nstderr:\n%s", s.out, stderr)
	}
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-s.done:
			if err != nil {
				tb.Errorf("serve returned %v\nstderr:\n%s", err, stderr)
			}
		case <-time.After(time.Minute):
			tb.Errorf("serve did not stop within a minute")
		}
	})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("/healthz never became ready\nstderr:\n%s", stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// call makes a JSON request and decodes the JSON answer into a map.
func (s *testServer) call(tb testing.TB, method, path, token string, body any) (int, map[string]any) {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	assertNoLeak(tb, method+" "+path, raw)
	out := map[string]any{}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			tb.Fatalf("%s %s: invalid JSON %q", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

// assertNoLeak fails if a response carries database text or a stack trace.
func assertNoLeak(tb testing.TB, what string, body []byte) {
	tb.Helper()
	low := strings.ToLower(string(body))
	for _, bad := range []string{"sqlite", "mysql", "gorm", "sql:", "syntax error", "goroutine ", "panic", "insert into", "select "} {
		if strings.Contains(low, bad) {
			tb.Errorf("%s: response leaks %q: %.300s", what, bad, body)
		}
	}
}

func (s *testServer) get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *testServer) login(tb testing.TB, user, password string) string {
	tb.Helper()
	code, out := s.call(tb, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password})
	if code != http.StatusOK || out["token"] == "" {
		tb.Fatalf("login %s: %d %v", user, code, out)
	}
	return out["token"].(string)
}

// waitBuild polls a build record until it is done and returns it.
func (s *testServer) waitBuild(tb testing.TB, token string, id any) map[string]any {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		code, b := s.call(tb, "GET", fmt.Sprintf("/api/v1/builds/%v", id), token, nil)
		if code != http.StatusOK {
			tb.Fatalf("build %v: %d %v", id, code, b)
		}
		if b["status"] == "succeeded" || b["status"] == "failed" {
			return b
		}
		if time.Now().After(deadline) {
			tb.Fatalf("build %v not done: %v", id, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func num(v any) int { f, _ := v.(float64); return int(f) }

func fields(out map[string]any) map[string]any {
	e, _ := out["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

// TestServe_Demo is acceptance 1 of the foundation: a new data directory
// gets an admin whose printed password works, the demo campaign, and a site.
func TestServe_Demo(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := MustRunServe(t, dsn)
		if s.Password == "" {
			t.Fatalf("no admin password printed:\n%s", s.out)
		}
		token := s.login(t, "admin", s.Password)
		if code, _ := s.call(t, "GET", "/api/v1/auth/me", token, nil); code != http.StatusOK {
			t.Fatalf("/auth/me: %d", code)
		}
		code, stories := s.call(t, "GET", "/api/v1/content/stories?per_page=5", "", nil)
		if code != http.StatusOK || num(stories["total"]) < 30 {
			t.Fatalf("content stories: %d total=%v, want ≥ 30", code, stories["total"])
		}
		code, projects := s.call(t, "GET", "/api/v1/content/projects", "", nil)
		if code != http.StatusOK || num(projects["total"]) < 8 {
			t.Fatalf("content projects: %d total=%v, want ≥ 8", code, projects["total"])
		}
		code, home := s.get(t, "/")
		if code != http.StatusOK || !strings.Contains(home, "青溪区") {
			t.Fatalf("home page: %d, does not show the demo campaign: %.500s", code, home)
		}
		item := stories["items"].([]any)[0].(map[string]any)
		if code, page := s.get(t, item["url"].(string)); code != http.StatusOK || !strings.Contains(page, item["title"].(string)) {
			t.Fatalf("demo story page %v: %d", item["url"], code)
		}
	})
}

// TestServe_PublishFlow covers acceptance 2, 3 and 5: write, publish,
// sanitise, unpublish, and optimistic concurrency.
func TestServe_PublishFlow(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := MustRunServe(t, dsn, "--demo=false")
		token := s.login(t, "admin", s.Password)

		code, p := s.call(t, "POST", "/api/v1/projects", token, map[string]any{
			"name": "银龄互助", "slug": "yinling", "kind": "volunteer", "area": "elderly", "summary": "低龄老人帮高龄老人",
		})
		if code != http.StatusCreated {
			t.Fatalf("create project: %d %v", code, p)
		}
		body := `<p>社区志愿者上门陪伴独居老人。</p><script>alert('x')</script>` +
			`<img src="/x.jpg" alt="合影" onerror="alert(1)"><a href="javascript:alert(2)">链接</a>`
		code, st := s.call(t, "POST", "/api/v1/stories", token, map[string]any{
			"title": "重阳节银龄志愿者走访独居老人", "summary": "九九重阳，温情相伴", "body": body, "project_id": p["id"],
		})
		if code != http.StatusCreated {
			t.Fatalf("create story: %d %v", code, st)
		}
		for _, k := range []string{"id", "slug", "status", "version", "url"} {
			if _, ok := st[k]; !ok {
				t.Errorf("story JSON lacks %q: %v", k, st)
			}
		}
		if st["status"] != "draft" || !strings.HasPrefix(st["url"].(string), "/stories/") {
			t.Errorf("new story: status %v url %v", st["status"], st["url"])
		}
		id := num(st["id"])

		// Acceptance 5: two PATCHes with the same version, at once.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		outs := make([]map[string]any, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], outs[i] = s.call(t, "PATCH", fmt.Sprintf("/api/v1/stories/%d", id), token,
					map[string]any{"version": st["version"], "summary": fmt.Sprintf("第%d位编辑的摘要", i+1)})
			}()
		}
		wg.Wait()
		ok, conflict := 0, 0
		for i, c := range codes {
			switch c {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				conflict++
				e := outs[i]["error"].(map[string]any)
				if num(e["current_version"]) != 2 {
					t.Errorf("409 without the current version: %v", e)
				}
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("concurrent PATCH: codes %v, want one 200 and one 409", codes)
		}

		code, pub := s.call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", id), token, nil)
		if code != http.StatusOK || pub["status"] != "published" || pub["build_id"] == nil {
			t.Fatalf("publish: %d %v", code, pub)
		}
		if b := s.waitBuild(t, token, pub["build_id"]); b["status"] != "succeeded" {
			t.Fatalf("build after publish: %v", b)
		}
		url := pub["url"].(string)
		code, page := s.get(t, url)
		if code != http.StatusOK || !strings.Contains(page, "重阳节银龄志愿者走访独居老人") {
			t.Fatalf("published page %s: %d %.300s", url, code, page)
		}
		// Acceptance 3: nothing executable reaches the public page.
		for _, bad := range []string{"<script>alert", "onerror", "javascript:alert"} {
			if strings.Contains(page, bad) {
				t.Errorf("public page contains %q", bad)
			}
		}
		if !strings.Contains(page, "社区志愿者上门陪伴独居老人") {
			t.Errorf("public page lost the body text")
		}
		if code, short := s.get(t, fmt.Sprintf("/s/%d/", id)); code != http.StatusOK || !strings.Contains(short, url) {
			t.Errorf("short link /s/%d/: %d, does not point at %s", id, code, url)
		}
		if code, c := s.call(t, "GET", "/api/v1/content/stories/"+pub["slug"].(string), "", nil); code != http.StatusOK || c["title"] != pub["title"] {
			t.Fatalf("content API by slug: %d %v", code, c)
		}

		code, un := s.call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/unpublish", id), token, nil)
		if code != http.StatusOK {
			t.Fatalf("unpublish: %d %v", code, un)
		}
		s.waitBuild(t, token, un["build_id"])
		if code, _ := s.get(t, url); code != http.StatusNotFound {
			t.Errorf("unpublished page %s: %d, want 404", url, code)
		}
		if code, _ := s.call(t, "GET", "/api/v1/content/stories/"+pub["slug"].(string), "", nil); code != http.StatusNotFound {
			t.Errorf("content API after unpublish: %d, want 404", code)
		}
	})
}

// TestServe_BadInput is acceptance 4: bad input gets a 4xx naming the field,
// never a 500 or internal detail.
func TestServe_BadInput(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := MustRunServe(t, dsn, "--demo=false")
		token := s.login(t, "admin", s.Password)
		_, p := s.call(t, "POST", "/api/v1/projects", token, map[string]any{"name": "幸福起航", "kind": "window", "area": "marriage"})
		big := strings.Repeat("<p>很长的正文。</p>", 10<<20/len("<p>很长的正文。</p>"))
		tests := []struct {
			name  string
			body  any
			code  int
			field string
		}{
			{"empty title", map[string]any{"title": "", "project_id": p["id"]}, 422, "title"},
			{"unknown project", map[string]any{"title": "标题", "project_id": 999999}, 422, "project_id"},
			{"wrong type", map[string]any{"title": 42, "project_id": p["id"]}, 422, "title"},
			{"unknown field", map[string]any{"title": "标题", "project_id": p["id"], "titel": "x"}, 422, "titel"},
			{"malformed JSON", `{"title": "标题",`, 400, ""},
			{"not JSON", `标题`, 400, ""},
			{"10 MB body", map[string]any{"title": "标题", "project_id": p["id"], "body": big}, 422, "body"},
			{"summary too long", map[string]any{"title": "标题", "project_id": p["id"], "summary": strings.Repeat("字", 129)}, 422, "summary"},
			{"share title too long", map[string]any{"title": "标题", "project_id": p["id"], "share_title": strings.Repeat("字", 33)}, 422, "share_title"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, out := s.call(t, "POST", "/api/v1/stories", token, tt.body)
				if code != tt.code {
					t.Fatalf("got %d %v, want %d", code, out, tt.code)
				}
				if e, _ := out["error"].(map[string]any); e == nil || e["message"] == "" {
					t.Fatalf("no error message: %v", out)
				}
				if tt.field != "" && fields(out)[tt.field] == nil {
					t.Errorf("fields %v do not name %q", fields(out), tt.field)
				}
			})
		}
		if code, _ := s.call(t, "POST", "/api/v1/stories", "", map[string]any{"title": "x"}); code != http.StatusUnauthorized {
			t.Errorf("no token: %d, want 401", code)
		}
		if code, _ := s.call(t, "GET", "/api/v1/stories/abc", token, nil); code != http.StatusNotFound {
			t.Errorf("bad id: %d, want 404", code)
		}
		if code, out := s.call(t, "PATCH", "/api/v1/stories/1", token, map[string]any{"title": "没有版本号"}); code != 422 || fields(out)["version"] == nil {
			t.Errorf("PATCH without version: %d %v", code, out)
		}
	})
}

// TestServe_TemplateError is acceptance 7: a broken template fails the build
// with file and line, the old site stays up, and fixing it recovers.
func TestServe_TemplateError(t *testing.T) {
	siteDir := t.TempDir()
	copyTree(t, ".", siteDir, "config.toml", "themes")
	s := MustRunServe(t, "", "--demo=false", "--site", siteDir)
	token := s.login(t, "admin", s.Password)
	code, before := s.get(t, "/")
	if code != http.StatusOK {
		t.Fatalf("home before: %d", code)
	}
	baseof := filepath.Join(siteDir, "themes", "huimin", "layouts", "baseof.html")
	if _, err := os.Stat(baseof); err != nil {
		baseof = filepath.Join(siteDir, "themes", "huimin", "layouts", "_default", "baseof.html")
	}
	good, err := os.ReadFile(baseof)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(baseof, append([]byte("{{ if }}\n"), good...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, b := s.call(t, "POST", "/api/v1/builds", token, nil)
	failed := s.waitBuild(t, token, b["id"])
	if failed["status"] != "failed" || failed["error_file"] == nil || num(failed["error_line"]) != 1 {
		t.Fatalf("broken template: build %v, want failed with file and line 1", failed)
	}
	if !strings.Contains(failed["error_file"].(string), "baseof.html") {
		t.Errorf("error_file %v does not name baseof.html", failed["error_file"])
	}
	if code, after := s.get(t, "/"); code != http.StatusOK || after != before {
		t.Errorf("site changed after a failed build: %d", code)
	}
	if err := os.WriteFile(baseof, good, 0o644); err != nil {
		t.Fatal(err)
	}
	_, b = s.call(t, "POST", "/api/v1/builds", token, nil)
	if fixed := s.waitBuild(t, token, b["id"]); fixed["status"] != "succeeded" {
		t.Fatalf("fixed template: build %v", fixed)
	}
}

func copyTree(tb testing.TB, from, to string, names ...string) {
	tb.Helper()
	for _, name := range names {
		err := filepath.Walk(filepath.Join(from, name), func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(from, p)
			dst := filepath.Join(to, rel)
			if info.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, b, 0o644)
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// TestImport is acceptance 8 at test size: progress and rows/s are printed,
// a malformed line is reported with its number and skipped.
func TestImport(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		n := 2000
		if testing.Short() {
			n = 200
		}
		file := filepath.Join(t.TempDir(), "stories.jsonl")
		writeImportFile(t, file, n, map[int]string{
			7:  `{"title": "坏行", `,
			11: `{"title": "", "summary": "没有标题", "project": "p1", "status": "published"}`,
			13: `{"title": "日期错误", "project": "p1", "published_at": "昨天", "status": "published"}`,
		})
		data := t.TempDir()
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"import", "--data", data, "--db", dsn, "--build=false", file},
			func(string) string { return "" }, nil, &stdout, &stderr)
		if err != nil {
			t.Fatalf("import: %v\n%s", err, stderr.String())
		}
		t.Logf("%s", strings.TrimSpace(stdout.String()))
		want := fmt.Sprintf("成功 %d 条，失败 3 条", n-3)
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary %q does not say %q", stdout.String(), want)
		}
		for _, line := range []string{"第 7 行", "第 11 行", "第 13 行"} {
			if !strings.Contains(stderr.String(), line) {
				t.Errorf("stderr does not report %s:\n%.2000s", line, stderr.String())
			}
		}
		if !strings.Contains(stderr.String(), "title") || !strings.Contains(stderr.String(), "published_at") {
			t.Errorf("per-line errors do not name the fields:\n%.2000s", stderr.String())
		}
	})
}

// writeImportFile writes n lines, replacing the 1-based line numbers in bad.
func writeImportFile(tb testing.TB, path string, n int, bad map[int]string) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for i := 1; i <= n; i++ {
		if line, ok := bad[i]; ok {
			fmt.Fprintln(w, line)
			continue
		}
		line, _ := json.Marshal(map[string]any{
			"title":        fmt.Sprintf("第%d期银龄互助志愿服务活动", i),
			"summary":      "社区志愿者为高龄老人提供陪伴和帮助。",
			"body":         fmt.Sprintf("<p>本期活动共有%d名志愿者参加，走访了辖区内的独居老人。</p><p>养老服务中心提供了场地支持。</p>", i%50+3),
			"project":      fmt.Sprintf("p%d", i%12+1),
			"tags":         []string{"养老", fmt.Sprintf("第%d批", i%7)},
			"author":       "宣传科",
			"published_at": base.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
			"status":       "published",
		})
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// TestServe_Auth: tokens can be revoked, and password guessing is slowed.
func TestServe_Auth(t *testing.T) {
	s := MustRunServe(t, "", "--demo=false")
	token := s.login(t, "admin", s.Password)
	if code, _ := s.call(t, "POST", "/api/v1/auth/logout", token, nil); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := s.call(t, "GET", "/api/v1/auth/me", token, nil); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
	limited := false
	for i := range 15 {
		code, out := s.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": fmt.Sprintf("wrong-%d", i)})
		if code == http.StatusTooManyRequests {
			limited = true
			break
		}
		if code != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d %v", code, out)
		}
	}
	if !limited {
		t.Errorf("15 wrong passwords in a row were never rate limited")
	}
}

// TestServe_Reslug: WeChat articles link to story pages, so a changed slug
// must leave the old URL (and the permanent short link) working.
func TestServe_Reslug(t *testing.T) {
	s := MustRunServe(t, "", "--demo=false")
	token := s.login(t, "admin", s.Password)
	_, p := s.call(t, "POST", "/api/v1/projects", token, map[string]any{"name": "一米亲情", "kind": "window", "area": "funeral"})
	_, st := s.call(t, "POST", "/api/v1/stories", token, map[string]any{"title": "清明集中祭扫服务", "project_id": p["id"], "body": "<p>正文</p>"})
	if st["slug"] != "qing-ming-ji-zhong-ji-sao-fu-wu" {
		t.Errorf("pinyin slug: %v", st["slug"])
	}
	id := num(st["id"])
	_, pub := s.call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", id), token, nil)
	s.waitBuild(t, token, pub["build_id"])
	oldURL := pub["url"].(string)

	code, upd := s.call(t, "PATCH", fmt.Sprintf("/api/v1/stories/%d", id), token, map[string]any{"version": pub["version"], "slug": "qingming-2026"})
	if code != http.StatusOK {
		t.Fatalf("re-slug: %d %v", code, upd)
	}
	if code, _ := s.get(t, oldURL); code != http.StatusOK {
		t.Errorf("live page changed before the edit was published: %d", code)
	}
	_, pub = s.call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", id), token, nil)
	s.waitBuild(t, token, pub["build_id"])
	if code, page := s.get(t, "/stories/qingming-2026/"); code != http.StatusOK || !strings.Contains(page, "清明集中祭扫服务") {
		t.Fatalf("new URL: %d", code)
	}
	for _, u := range []string{oldURL, fmt.Sprintf("/s/%d/", id)} {
		if code, page := s.get(t, u); code != http.StatusOK || !strings.Contains(page, "/stories/qingming-2026/") {
			t.Errorf("%s does not redirect to the new URL: %d %.200s", u, code, page)
		}
	}
}
