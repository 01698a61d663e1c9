package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestBrowser_SearchBudget imports 10,000 stories, builds the site with
// `huimin build` and measures what one search transfers in the browser.
// Skipped with -short: the import and the full build take minutes.
//
// This file sorts before the other browser tests, so this test is the first
// of the package to start: the import and the build run in the background
// while the serial browser tests run, and only the browser part waits its
// turn among the parallel tests.
func TestBrowser_SearchBudget(t *testing.T) {
	clitest.ChromiumPath(t)
	if testing.Short() {
		t.Skip("10,000-story import and build: skipped with -short")
	}
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "stories.jsonl")
	clitest.WriteImportFile(t, file, 10000, nil)
	marriage := appendMarriageStories(t, file)
	project := clitest.Project(t)
	built := make(chan error, 1)
	go func() { built <- importAndBuild(t, data, file, project) }()
	t.Parallel()
	if err := <-built; err != nil {
		t.Fatal(err)
	}

	// The built site as a static web server would serve it.
	srv := httptestServer(t, http.FileServer(http.Dir(filepath.Join(data, "site", "current"))))
	b := newBrowser(t, srv)
	b.open(t, "/")
	for _, q := range []string{"养老", "婚姻登记", "志愿服务活动"} {
		b.resetTraffic()
		b.open(t, "/search/?q="+url.QueryEscape(q))
		b.run(t, chromedp.WaitVisible(chromedp.CSS("#search-results li")), chromedp.Sleep(300*time.Millisecond))
		index, files := b.transferred(func(u string) bool { return strings.Contains(u, "/search/i/") })
		all, _ := b.transferred(func(string) bool { return true })
		var status string
		b.eval(t, `document.getElementById("search-status").textContent`, &status)
		t.Logf("search budget %q on 10,003 stories: index %.0f bytes in %d files; page, assets and index %.0f bytes (limit 307200); %s",
			q, index, files, all, status)
		if index > 300<<10 {
			t.Errorf("search %q transferred %.0f bytes of index, over 300 KB", q, index)
		}
	}
	got := searchAll(t, b, "婚姻")
	if len(got) != len(marriage) {
		t.Errorf("婚姻 finds %d stories among 10,003, want the %d marriage stories: %v", len(got), len(marriage), got)
	}
	for u := range marriage {
		if !got[u] {
			t.Errorf("婚姻 does not find %s", u)
		}
	}
	if f := b.foreignRequests(); len(f) > 0 {
		t.Errorf("requests left the machine: %v", f)
	}
}

// appendMarriageStories adds three marriage stories to the 10,000 about
// elderly care in file, and returns their paths.
func appendMarriageStories(t *testing.T, file string) map[string]bool {
	t.Helper()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	marriage := map[string]bool{}
	for i, title := range []string{"七夕婚姻登记处延时服务", "金婚老人担任特邀颁证员", "婚姻家庭辅导室开放预约"} {
		slug := fmt.Sprintf("hunyin-%d", i+1)
		marriage["/stories/"+slug+"/"] = true
		line, _ := json.Marshal(map[string]any{
			"title": title, "slug": slug, "summary": "区婚姻登记处的窗口服务。",
			"body":    "<p>婚姻登记处工作人员为新人办理结婚登记，并提供婚姻家庭辅导。</p>",
			"project": "xingfu", "tags": []string{"婚姻登记"}, "author": "周敏",
			"published_at": "2026-02-14T10:00:00+08:00", "status": "published",
		})
		if _, err := f.Write(append(line, '\n')); err != nil {
			t.Fatal(err)
		}
	}
	return marriage
}

// importAndBuild runs `huimin import --build=false` and `huimin build` on
// data. It runs on a goroutine of its own, so it logs but leaves failing
// the test to the caller.
func importAndBuild(t *testing.T, data, file string, project fs.FS) error {
	var out, errs bytes.Buffer
	start := time.Now()
	if err := cli.Run(context.Background(), []string{"import", "--data", data, "--build=false", file},
		func(string) string { return "" }, nil, &out, &errs, project); err != nil {
		return fmt.Errorf("import: %v\n%s", err, errs.String())
	}
	t.Logf("imported 10,003 stories in %s", time.Since(start).Round(time.Second))
	start = time.Now()
	out.Reset()
	if err := cli.Run(context.Background(), []string{"build", "--data", data},
		func(string) string { return "" }, nil, &out, &errs, project); err != nil {
		return fmt.Errorf("build: %v\n%s", err, errs.String())
	}
	t.Logf("full build in %s: %s", time.Since(start).Round(time.Second), strings.TrimSpace(out.String()))
	return nil
}
