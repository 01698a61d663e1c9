package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// checkItem is an item of `huimin check --format json`.
type checkItem struct {
	Level     string `json:"level"`
	Indicator string `json:"indicator"`
	Found     string `json:"found"`
	Where     string `json:"where"`
	Fix       string `json:"fix"`
}

type checkReport struct {
	Items            []checkItem `json:"items"`
	Veto             int         `json:"veto"`
	OtherBrokenLinks int         `json:"other_broken_links"`
	BlankColumns     int         `json:"blank_columns"`
	Checked          []string    `json:"checked"`
}

// Issue 20, acceptance 1: on the demo with planted faults — a story
// linking to a story taken off the site, a body image whose file left the
// library, an external link to a server answering 404, a project with no
// story for 15 days, an empty standing page, a body with 「堅(jiān)持」, a
// published HTML file changed on disk — `huimin check` lists each with its
// place and exits non-zero; after the fixes (the one-click conversion to
// 规范汉字 among them) it exits 0.
func TestCheck_DemoFaults(t *testing.T) {
	t.Parallel()
	bin := clitest.BuildBinary(t, t.TempDir())
	data := t.TempDir()
	s := clitest.RunBinary(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--data", data, "--demo=true")
	token := s.Login(t, "admin", s.Password)

	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			return
		}
		http.NotFound(w, r)
	}))
	defer gone.Close()

	// A picture of the library, for a story body.
	code, m, _ := s.Upload(t, token, "photo.jpg", clitest.TestPhoto(t, 40))
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("upload: %d %v", code, m)
	}
	mediaID := clitest.Num(m["id"])
	imgURL := ""
	for _, v := range m["variants"].([]any) {
		if vv := v.(map[string]any); vv["name"] == "w960" {
			imgURL = vv["url"].(string)
		}
	}
	if imgURL == "" {
		t.Fatalf("no w960 variant: %v", m)
	}

	// Every project has a story of yesterday but xingfu-qihang, whose last
	// is 15 days old; three stories carry the other faults.
	var projects []struct {
		Slug string `json:"slug"`
	}
	raw, err := os.ReadFile(filepath.Join(clitest.RepoRoot(t), "cms", "demo", "projects.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &projects); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var lines []string
	story := func(slug, project, title, body string, at time.Time) {
		b, _ := json.Marshal(map[string]any{"slug": slug, "project": project, "title": title, "summary": "体检测试",
			"body": body, "author": "体检", "status": "published", "published_at": at.UTC().Format(time.RFC3339)})
		lines = append(lines, string(b))
	}
	for _, p := range projects {
		at := now.Add(-24 * time.Hour)
		if p.Slug == "xingfu-qihang" {
			at = now.AddDate(0, 0, -15)
		}
		story("fresh-"+p.Slug, p.Slug, "近期服务动态："+p.Slug, "<p>本周服务情况。</p>", at)
	}
	story("check-target", "yiqilai", "被链接的稿件", "<p>一篇会被撤下的稿件。</p>", now.Add(-2*time.Hour))
	story("check-links", "yiqilai", "带链接的稿件", fmt.Sprintf(`<p>详见<a href="/stories/check-target/">上一篇</a>和<a href="%s/gone">外部通知</a>，另见<a href="%s/ok">可用的外部链接</a>。</p>`, gone.URL, gone.URL), now.Add(-time.Hour))
	story("check-hanzi", "yiqilai", "规范汉字", fmt.Sprintf(`<p>我们要堅(jiān)持为群众服务。</p><p><img src="%s" data-media-id="%d" alt="服务现场"></p>`, imgURL, mediaID), now.Add(-time.Hour))
	importFile := filepath.Join(t.TempDir(), "faults.jsonl")
	if err := os.WriteFile(importFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, bin, "import", "--data", data, importFile)
	settle(t, s)

	id := func(slug string) int {
		t.Helper()
		code, st := s.Call(t, "GET", "/api/v1/content/stories/"+slug, "", nil)
		if code != http.StatusOK {
			t.Fatalf("story %s: %d %v", slug, code, st)
		}
		return clitest.Num(st["id"])
	}
	target, links, hanzi := id("check-target"), id("check-links"), id("check-hanzi")

	// The linked story is taken off the site.
	un := s.Act(t, token, target, "unpublish", nil, http.StatusOK)
	s.WaitBuild(t, token, un["build_id"])
	if code, st := s.Call(t, "GET", "/api/v1/content/stories/check-target", "", nil); code != http.StatusNotFound {
		t.Fatalf("unpublished story still live: %d %v; action answered %v", code, st, un)
	}
	// An empty standing page.
	code, page := s.Call(t, "POST", "/api/v1/pages", token, map[string]any{"slug": "kong-lanmu", "title": "空栏目", "body": ""})
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("page: %d %v", code, page)
	}
	_, b := s.Call(t, "POST", "/api/v1/builds", token, nil)
	s.WaitBuild(t, token, b["id"])
	// The picture's files leave the library.
	hash := strings.Split(strings.TrimPrefix(imgURL, "/media/"), "/")[0]
	if err := os.RemoveAll(filepath.Join(data, "media", hash)); err != nil {
		t.Fatal(err)
	}
	// A published page is changed behind Huimin's back.
	tampered := filepath.Join(data, "site", "current", "stories", "fresh-yiqilai", "index.html")
	html, err := os.ReadFile(tampered)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tampered, append(html, []byte(`<script src="http://evil.example/x.js"></script>`)...), 0o644); err != nil {
		t.Fatal(err)
	}

	rep, text, err := check(t, bin, data)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("check with faults: %v, want a non-zero exit\n%s", err, text)
	}
	for _, want := range []struct {
		what, indicator, found, where string
	}{
		{"link to a story off the site", "其他页面不可用链接", "/stories/check-target/", "/stories/check-links/"},
		{"image gone from the library", "其他页面不可用链接", "/media/" + hash + "/", "/stories/check-hanzi/"},
		{"external link answering 404", "其他页面不可用链接（外部链接）", gone.URL + "/gone", "/stories/check-links/"},
		{"project without a story for 15 days", "动态类栏目超过14天未更新", "已 15 天未更新", "/projects/xingfu-qihang/"},
		{"empty standing page", "空白栏目", "常设页面没有内容", "/kong-lanmu/"},
		{"traditional character with pinyin", "使用不规范汉字", "堅(jiān)", "/stories/check-hanzi/"},
		{"page changed on disk", "网站被篡改（挂马、篡改未及时处置）", "被修改", "stories/fresh-yiqilai/index.html"},
	} {
		found := false
		for _, it := range rep.Items {
			if it.Indicator == want.indicator && strings.Contains(it.Found, want.found) && strings.Contains(it.Where, want.where) && it.Fix != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no item %q with %q at %q", want.what, want.indicator, want.found, want.where)
		}
		if !strings.Contains(text, want.where) {
			t.Errorf("%s: the text report does not name %q", want.what, want.where)
		}
	}
	if t.Failed() {
		t.Fatalf("report:\n%s", text)
	}
	for _, it := range rep.Items {
		if strings.Contains(it.Found, gone.URL+"/ok") {
			t.Errorf("a working external link is reported: %+v", it)
		}
	}

	// The Excel 自查台账 of the same findings reads back.
	resp, xlsx := clitest.Send(t, nil, clitest.Request(t, "GET", s.URL+"/api/v1/inspection/export", token, nil))
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatalf("export (%d): %v", resp.StatusCode, err)
	}
	rows, _ := f.GetRows("自查台账")
	if !strings.Contains(fmt.Sprint(rows), "/stories/check-links/") || !strings.Contains(fmt.Sprint(rows), "/projects/xingfu-qihang/") {
		t.Errorf("the Excel export lacks the findings: %q", rows)
	}

	// The fixes.
	s.WaitBuild(t, token, s.Act(t, token, target, "publish", nil, http.StatusOK)["build_id"])
	edit := func(id int, body string) {
		t.Helper()
		_, st := s.Call(t, "GET", clitest.StoryPath(id, ""), token, nil)
		code, out := s.Call(t, "PATCH", clitest.StoryPath(id, ""), token, map[string]any{"version": st["version"], "body": body})
		if code != http.StatusOK {
			t.Fatalf("edit story %d: %d %v", id, code, out)
		}
	}
	edit(links, `<p>详见<a href="/stories/check-target/">上一篇</a>。</p>`)
	s.WaitBuild(t, token, s.Act(t, token, links, "publish", nil, http.StatusOK)["build_id"])
	edit(hanzi, `<p>我们要堅(jiān)持为群众服务。</p>`)
	_, st := s.Call(t, "GET", clitest.StoryPath(hanzi, ""), token, nil)
	code, conv := s.Call(t, "POST", clitest.StoryPath(hanzi, "/simplify"), token, map[string]any{"version": st["version"]})
	if code != http.StatusOK || conv["body"] != "<p>我们要坚持为群众服务。</p>" {
		t.Fatalf("one-click conversion: %d %v", code, conv)
	}
	s.WaitBuild(t, token, s.Act(t, token, hanzi, "publish", nil, http.StatusOK)["build_id"])
	code, page = s.Call(t, "PUT", fmt.Sprintf("/api/v1/pages/%d", clitest.Num(page["id"])), token,
		map[string]any{"slug": "kong-lanmu", "title": "空栏目", "body": "<p>本栏目介绍便民服务事项。</p>", "version": page["version"]})
	if code != http.StatusOK {
		t.Fatalf("page: %d %v", code, page)
	}
	fresh := filepath.Join(t.TempDir(), "fresh.jsonl")
	b2, _ := json.Marshal(map[string]any{"slug": "fresh-xingfu-today", "project": "xingfu-qihang", "title": "今天的颁证仪式",
		"summary": "体检测试", "body": "<p>今天又有新人领证。</p>", "status": "published", "published_at": now.UTC().Format(time.RFC3339)})
	os.WriteFile(fresh, append(b2, '\n'), 0o600)
	run(t, bin, "import", "--data", data, fresh)
	settle(t, s)
	code, restored := s.Call(t, "POST", "/api/v1/inspection/restore", token, nil)
	if code != http.StatusOK || restored["status"] != "succeeded" {
		t.Fatalf("restore: %d %v", code, restored)
	}

	rep, text, err = check(t, bin, data)
	if err != nil {
		t.Fatalf("check after the fixes: %v\n%s", err, text)
	}
	if rep.Veto != 0 || rep.OtherBrokenLinks != 0 || rep.BlankColumns != 0 {
		t.Errorf("after the fixes: %+v\n%s", rep, text)
	}
	for _, it := range rep.Items {
		if it.Indicator == "使用不规范汉字" {
			t.Errorf("after the conversion: %+v", it)
		}
	}
	// The 年度报表 draft counts this year's stories (the demo's and ours).
	code, annual := s.Call(t, "GET", fmt.Sprintf("/api/v1/inspection/annual?year=%d", now.Year()), token, nil)
	if code != http.StatusOK || clitest.Num(annual["stories"]) < len(projects)+4 || !strings.Contains(fmt.Sprint(annual["title"]), "年度报表") ||
		!strings.Contains(fmt.Sprint(annual["body"]), "信息发布总数") || clitest.Num(annual["received"]) < 0 {
		t.Errorf("annual report: %d %v", code, annual)
	}
	for _, part := range []string{"links", "external", "freshness", "wording", "tamper", "interact"} {
		if !strings.Contains(strings.Join(rep.Checked, ","), part) {
			t.Errorf("%s was not checked: %v", part, rep.Checked)
		}
	}
}

// settle lets the server take up the build another process made: it
// looks at the current symlink again at most once a second, when it
// serves a page, and builds on its own last build until then.
func settle(t *testing.T, s *clitest.Server) {
	t.Helper()
	time.Sleep(1100 * time.Millisecond)
	if code, _ := s.Get(t, "/"); code != http.StatusOK {
		t.Fatalf("home page: %d", code)
	}
}

// run runs the binary and fails the test unless it exits 0.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("huimin %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// check runs `huimin check` twice, as JSON and as text, and returns the
// report, the text and the exit error of the text run.
func check(t *testing.T, bin, data string) (*checkReport, string, error) {
	t.Helper()
	env := []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8"}
	cmd := exec.Command(bin, "check", "--data", data, "--format", "json")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, jsonErr := cmd.Output()
	rep := &checkReport{}
	if err := json.Unmarshal(out, rep); err != nil {
		t.Fatalf("check --format json: %v (%v)\n%s\n%s", err, jsonErr, out, stderr.String())
	}
	cmd = exec.Command(bin, "check", "--data", data, "--external=false")
	cmd.Env = env
	text, err := cmd.Output()
	if (err == nil) != (jsonErr == nil) {
		t.Fatalf("check exits differently as JSON (%v) and text (%v)", jsonErr, err)
	}
	return rep, string(text), err
}
