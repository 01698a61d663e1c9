package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// liveFiles reads every file of the build a site's current symlink names.
func liveFiles(t *testing.T, siteDir string) (string, map[string][]byte) {
	t.Helper()
	target, err := os.Readlink(filepath.Join(siteDir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(siteDir, target)
	files := map[string][]byte{}
	err = filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(name)
		files[strings.TrimPrefix(name, dir)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return target, files
}

// waitSiteBuild polls a build of c's site until it is done.
func waitSiteBuild(c siteClient, id any) (b map[string]any) {
	c.t.Helper()
	clitest.Poll(c.t, 2*time.Minute, func() (bool, string) {
		b = c.obj(200, "GET", fmt.Sprintf("/api/v1/builds/%v", id), nil)
		return b["status"] == "succeeded" || b["status"] == "failed", fmt.Sprintf("build %v not done: %v", id, b)
	})
	return b
}

// TestSites_BuildPerSite: a site created while the server runs is built
// into a directory of its own and served by its host name; publishing on
// it rebuilds it alone: the default site (the demo) keeps its build and
// files, and never shows the new site's story.
func TestSites_BuildPerSite(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn)
		runCLI(t, s, "", "site", "create", "--name", "乙区民政局", "--slug", "yiqu", "--host", "yiqu.example.test")
		token := s.Login(t, "admin", s.Password) // the platform admin
		b := siteClient{t: t, s: s, token: token, site: "yiqu"}
		defaultDir := filepath.Join(s.Data, "site")
		liveA, filesA := liveFiles(t, defaultDir)

		// The web layer learns of a site created on the command line within
		// moments (a request naming an unknown site re-reads the sites at
		// most every 250ms).
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if code, _ := b.do("GET", "/api/v1/settings", nil); code == 200 || time.Now().After(deadline) {
				break
			}
		}
		settings := b.obj(200, "GET", "/api/v1/settings", nil)
		b.obj(200, "PATCH", "/api/v1/settings", map[string]any{"version": settings["version"], "review_stages": 1, "site_name": "乙区暖心服务"})
		project := b.obj(201, "POST", "/api/v1/projects", map[string]any{"name": "乙区颁证", "slug": "yiqu-bz",
			"kind": "window", "area": "marriage", "summary": "乙区的颁证服务"})
		story := b.obj(201, "POST", "/api/v1/stories", map[string]any{"title": "乙区首场集体颁证", "summary": "十对新人",
			"body": "<p>乙区婚姻登记处举行集体颁证。</p>", "project_id": project["id"]})
		sid := clitest.Num(story["id"])
		pub := b.publish(sid)
		if bd := waitSiteBuild(b, pub["build_id"]); bd["status"] != "succeeded" {
			t.Fatalf("site B's publish: %v", bd)
		}
		url, _ := pub["url"].(string)
		if url == "" {
			t.Fatalf("published story without a URL: %v", pub)
		}

		publicB := siteClient{t: t, s: s, host: "yiqu.example.test"}
		publicA := siteClient{t: t, s: s}
		code, home := publicB.do("GET", "/", nil)
		if code != 200 || !bytes.Contains(home, []byte("乙区暖心服务")) || !bytes.Contains(home, []byte("乙区首场集体颁证")) {
			t.Fatalf("site B's home by its host: %d %.300s", code, home)
		}
		if code, page := publicB.do("GET", url, nil); code != 200 || !bytes.Contains(page, []byte("乙区婚姻登记处举行集体颁证")) {
			t.Fatalf("site B's story %s: %d", url, code)
		}
		if code, _ := publicA.do("GET", url, nil); code != 404 {
			t.Errorf("the default site serves site B's story %s: %d", url, code)
		}
		if _, home := publicA.do("GET", "/", nil); bytes.Contains(home, []byte("乙区首场集体颁证")) {
			t.Error("the default site's home shows site B's story")
		}
		if _, err := os.Stat(filepath.Join(s.Data, "sites", "yiqu", "site", "current", "index.html")); err != nil {
			t.Errorf("site B's build is not in its own directory: %v", err)
		}
		// huimin build --in-site builds that site alone.
		if out := runCLI(t, s, "", "build", "--in-site", "yiqu"); !strings.Contains(out, "网站生成完成") || strings.Count(out, "网站生成完成") != 1 {
			t.Errorf("huimin build --in-site yiqu: %q", out)
		}
		// huimin check --in-site inspects that site: its pages, its build.
		var out, errb bytes.Buffer
		err := cli.Run(context.Background(), []string{"check", "--in-site", "yiqu", "--external=false", "--format", "json",
			"--data", s.Data, "--db", s.DSN}, func(string) string { return "" }, strings.NewReader(""), &out, &errb, clitest.Project(t))
		var rep map[string]any
		if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
			t.Fatalf("huimin check --in-site yiqu: %v %v\n%s", err, jerr, errb.String())
		}
		if !bytes.Contains(out.Bytes(), []byte("乙区首场集体颁证")) && !bytes.Contains(out.Bytes(), []byte("乙区暖心服务")) {
			t.Errorf("the check of site B names neither its site nor its story: %.500s", out.String())
		}
		if bytes.Contains(out.Bytes(), []byte("青溪区")) {
			t.Errorf("the check of site B reports the default site's content: %.500s", out.String())
		}
		liveA2, filesA2 := liveFiles(t, defaultDir)
		if liveA2 != liveA || !maps.EqualFunc(filesA, filesA2, bytes.Equal) {
			t.Errorf("building site B changed the default site's build (%s → %s)", liveA, liveA2)
		}
	})
}
