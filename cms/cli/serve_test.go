package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestServe_Demo is acceptance 1 of the foundation: a new data directory
// gets an admin whose printed password works, the demo campaign, and a site.
func TestServe_Demo(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn)
		if s.Password == "" {
			t.Fatalf("no admin password printed:\n%s", s.Output())
		}
		token := s.Login(t, "admin", s.Password)
		if code, _ := s.Call(t, "GET", "/api/v1/auth/me", token, nil); code != http.StatusOK {
			t.Fatalf("/auth/me: %d", code)
		}
		code, stories := s.Call(t, "GET", "/api/v1/content/stories?per_page=5", "", nil)
		if code != http.StatusOK || clitest.Num(stories["total"]) < 30 {
			t.Fatalf("content stories: %d total=%v, want ≥ 30", code, stories["total"])
		}
		code, projects := s.Call(t, "GET", "/api/v1/content/projects", "", nil)
		if code != http.StatusOK || clitest.Num(projects["total"]) < 8 {
			t.Fatalf("content projects: %d total=%v, want ≥ 8", code, projects["total"])
		}
		code, home := s.Get(t, "/")
		if code != http.StatusOK || !strings.Contains(home, "青溪区") {
			t.Fatalf("home page: %d, does not show the demo campaign: %.500s", code, home)
		}
		item := stories["items"].([]any)[0].(map[string]any)
		if code, page := s.Get(t, item["url"].(string)); code != http.StatusOK || !strings.Contains(page, item["title"].(string)) {
			t.Fatalf("demo story page %v: %d", item["url"], code)
		}
	})
}

// TestServe_PublishFlow covers acceptance 2, 3 and 5: write, publish,
// sanitise, unpublish, and optimistic concurrency.
func TestServe_PublishFlow(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn, "--demo=false")
		token := s.Login(t, "admin", s.Password)

		p := s.Must(t, http.StatusCreated, "POST", "/api/v1/projects", token, map[string]any{
			"name": "银龄互助", "slug": "yinling", "kind": "volunteer", "area": "elderly", "summary": "低龄老人帮高龄老人",
		})
		body := `<p>社区志愿者上门陪伴独居老人。</p><script>alert('x')</script>` +
			`<img src="/x.jpg" alt="合影" onerror="alert(1)"><a href="javascript:alert(2)">链接</a>`
		st := s.Must(t, http.StatusCreated, "POST", "/api/v1/stories", token, map[string]any{
			"title": "重阳节银龄志愿者走访独居老人", "summary": "九九重阳，温情相伴", "body": body, "project_id": p["id"],
		})
		for _, k := range []string{"id", "slug", "status", "version", "url"} {
			if _, ok := st[k]; !ok {
				t.Errorf("story JSON lacks %q: %v", k, st)
			}
		}
		if st["status"] != "draft" || !strings.HasPrefix(st["url"].(string), "/stories/") {
			t.Errorf("new story: status %v url %v", st["status"], st["url"])
		}
		id := clitest.Num(st["id"])

		// Acceptance 5: two PATCHes with the same version, at once.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		outs := make([]map[string]any, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], outs[i] = s.Call(t, "PATCH", fmt.Sprintf("/api/v1/stories/%d", id), token,
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
				if clitest.Num(e["current_version"]) != 2 {
					t.Errorf("409 without the current version: %v", e)
				}
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("concurrent PATCH: codes %v, want one 200 and one 409", codes)
		}

		code, pub := s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", id), token, nil)
		if code != http.StatusOK || pub["status"] != "published" || pub["build_id"] == nil {
			t.Fatalf("publish: %d %v", code, pub)
		}
		s.WaitBuilt(t, token, pub["build_id"])
		url := pub["url"].(string)
		code, page := s.Get(t, url)
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
		if code, short := s.Get(t, fmt.Sprintf("/s/%d/", id)); code != http.StatusOK || !strings.Contains(short, url) {
			t.Errorf("short link /s/%d/: %d, does not point at %s", id, code, url)
		}
		if code, c := s.Call(t, "GET", "/api/v1/content/stories/"+pub["slug"].(string), "", nil); code != http.StatusOK || c["title"] != pub["title"] {
			t.Fatalf("content API by slug: %d %v", code, c)
		}

		un := s.Must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/unpublish", id), token, nil)
		s.WaitBuild(t, token, un["build_id"])
		if code, _ := s.Get(t, url); code != http.StatusNotFound {
			t.Errorf("unpublished page %s: %d, want 404", url, code)
		}
		if code, _ := s.Call(t, "GET", "/api/v1/content/stories/"+pub["slug"].(string), "", nil); code != http.StatusNotFound {
			t.Errorf("content API after unpublish: %d, want 404", code)
		}
	})
}

// TestServe_BadInput is acceptance 4: bad input gets a 4xx naming the field,
// never a 500 or internal detail.
func TestServe_BadInput(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn, "--demo=false")
		token := s.Login(t, "admin", s.Password)
		_, p := s.Call(t, "POST", "/api/v1/projects", token, map[string]any{"name": "幸福起航", "kind": "window", "area": "marriage"})
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
				code, out := s.Call(t, "POST", "/api/v1/stories", token, tt.body)
				if code != tt.code {
					t.Fatalf("got %d %v, want %d", code, out, tt.code)
				}
				if e, _ := out["error"].(map[string]any); e == nil || e["message"] == "" {
					t.Fatalf("no error message: %v", out)
				}
				if tt.field != "" && clitest.Fields(out)[tt.field] == nil {
					t.Errorf("fields %v do not name %q", clitest.Fields(out), tt.field)
				}
			})
		}
		if code, _ := s.Call(t, "POST", "/api/v1/stories", "", map[string]any{"title": "x"}); code != http.StatusUnauthorized {
			t.Errorf("no token: %d, want 401", code)
		}
		if code, _ := s.Call(t, "GET", "/api/v1/stories/abc", token, nil); code != http.StatusNotFound {
			t.Errorf("bad id: %d, want 404", code)
		}
		if code, out := s.Call(t, "PATCH", "/api/v1/stories/1", token, map[string]any{"title": "没有版本号"}); code != 422 || clitest.Fields(out)["version"] == nil {
			t.Errorf("PATCH without version: %d %v", code, out)
		}
	})
}

// TestServe_TemplateError is acceptance 7: a broken template fails the build
// with file and line, the old site stays up, and fixing it recovers.
func TestServe_TemplateError(t *testing.T) {
	t.Parallel()
	siteDir := t.TempDir()
	clitest.CopyTree(t, clitest.RepoRoot(t), siteDir, "config.toml", "themes")
	s := clitest.MustRunServe(t, "", "--demo=false", "--site", siteDir)
	token := s.Login(t, "admin", s.Password)
	code, before := s.Get(t, "/")
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
	_, b := s.Call(t, "POST", "/api/v1/builds", token, nil)
	failed := s.WaitBuild(t, token, b["id"])
	if failed["status"] != "failed" || failed["error_file"] == nil || clitest.Num(failed["error_line"]) != 1 {
		t.Fatalf("broken template: build %v, want failed with file and line 1", failed)
	}
	if !strings.Contains(failed["error_file"].(string), "baseof.html") {
		t.Errorf("error_file %v does not name baseof.html", failed["error_file"])
	}
	if code, after := s.Get(t, "/"); code != http.StatusOK || after != before {
		t.Errorf("site changed after a failed build: %d", code)
	}
	if err := os.WriteFile(baseof, good, 0o644); err != nil {
		t.Fatal(err)
	}
	_, b = s.Call(t, "POST", "/api/v1/builds", token, nil)
	s.WaitBuilt(t, token, b["id"])
}

// TestImport is acceptance 8 at test size: progress and rows/s are printed,
// a malformed line is reported with its number and skipped.
func TestImport(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		n := 2000
		if testing.Short() {
			n = 200
		}
		file := filepath.Join(t.TempDir(), "stories.jsonl")
		clitest.WriteImportFile(t, file, n, map[int]string{
			7:  `{"title": "坏行", `,
			11: `{"title": "", "summary": "没有标题", "project": "p1", "status": "published"}`,
			13: `{"title": "日期错误", "project": "p1", "published_at": "昨天", "status": "published"}`,
		})
		data := t.TempDir()
		var stdout, stderr bytes.Buffer
		err := cli.Run(context.Background(), []string{"import", "--data", data, "--db", dsn, "--build=false", file},
			func(string) string { return "" }, nil, &stdout, &stderr, clitest.Project(t))
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

// TestServe_Auth: tokens can be revoked, and password guessing is slowed.
func TestServe_Auth(t *testing.T) {
	t.Parallel()
	s := clitest.MustRunServe(t, "", "--demo=false")
	token := s.Login(t, "admin", s.Password)
	if code, _ := s.Call(t, "POST", "/api/v1/auth/logout", token, nil); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := s.Call(t, "GET", "/api/v1/auth/me", token, nil); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
	limited := false
	for i := range 15 {
		code, out := s.Call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": fmt.Sprintf("wrong-%d", i)})
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
	t.Parallel()
	s := clitest.MustRunServe(t, "", "--demo=false")
	token := s.Login(t, "admin", s.Password)
	_, p := s.Call(t, "POST", "/api/v1/projects", token, map[string]any{"name": "一米亲情", "kind": "window", "area": "funeral"})
	_, st := s.Call(t, "POST", "/api/v1/stories", token, map[string]any{"title": "清明集中祭扫服务", "project_id": p["id"], "body": "<p>正文</p>"})
	if st["slug"] != "qing-ming-ji-zhong-ji-sao-fu-wu" {
		t.Errorf("pinyin slug: %v", st["slug"])
	}
	id := clitest.Num(st["id"])
	_, pub := s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", id), token, nil)
	s.WaitBuild(t, token, pub["build_id"])
	oldURL := pub["url"].(string)

	s.Must(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/stories/%d", id), token, map[string]any{"version": pub["version"], "slug": "qingming-2026"})
	if code, _ := s.Get(t, oldURL); code != http.StatusOK {
		t.Errorf("live page changed before the edit was published: %d", code)
	}
	_, pub = s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", id), token, nil)
	s.WaitBuild(t, token, pub["build_id"])
	if code, page := s.Get(t, "/stories/qingming-2026/"); code != http.StatusOK || !strings.Contains(page, "清明集中祭扫服务") {
		t.Fatalf("new URL: %d", code)
	}
	for _, u := range []string{oldURL, fmt.Sprintf("/s/%d/", id)} {
		if code, page := s.Get(t, u); code != http.StatusOK || !strings.Contains(page, "/stories/qingming-2026/") {
			t.Errorf("%s does not redirect to the new URL: %d %.200s", u, code, page)
		}
	}
}

// TestRun_Help: a command's -h prints its flags and succeeds; a wrong flag
// is still a usage error.
func TestRun_Help(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"serve", "build", "import", "check"} {
		var out, errs bytes.Buffer
		if err := cli.Run(context.Background(), []string{cmd, "-h"}, func(string) string { return "" }, nil, &out, &errs, clitest.Project(t)); err != nil {
			t.Errorf("%s -h: %v", cmd, err)
		}
		if !strings.Contains(errs.String(), "-data") {
			t.Errorf("%s -h printed no flags: %q", cmd, errs.String())
		}
	}
	var out, errs bytes.Buffer
	if err := cli.Run(context.Background(), []string{"build", "--bogus"}, func(string) string { return "" }, nil, &out, &errs, clitest.Project(t)); err == nil {
		t.Error("build --bogus succeeded")
	}
}
