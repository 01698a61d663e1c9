package site

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; run with -update to accept):\n%s", name, diff)
	}
}

// The exported content and config overlay: other packages and later issues
// rely on this layout and these front matter fields.
func TestExport_Golden(t *testing.T) {
	t.Parallel()
	s := newSite(t, newFixture())
	st, err := s.export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.stories != 3 {
		t.Errorf("exported %d stories, want 3", st.stories)
	}
	var names []string
	root := s.path("content")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		names = append(names, filepath.ToSlash(rel))
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		golden(t, "export/content/"+filepath.ToSlash(rel), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "export/files.txt", strings.Join(names, "\n")+"\n")
	ov, err := os.ReadFile(s.path(overlayName))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "export/site.toml", strings.ReplaceAll(string(ov), s.dir, "$DATA/site"))

	// A second export with nothing changed writes nothing.
	st, err = s.export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.changed != 0 {
		t.Errorf("unchanged export rewrote %d files", st.changed)
	}
	// An unpublish changes the story's file and the pages that showed it,
	// nothing else.
	f := s.cfg.Content.(scopedContent).next.(*fixture) // New scopes the services to the site
	f.remove(2)
	ch, err := s.exportContent(context.Background(), &hints{ids: map[int64]bool{2: true}})
	if err != nil {
		t.Fatal(err)
	}
	if ch.scanned {
		t.Error("the export read every story for a hinted unpublish")
	}
	written := []string{"_index.html", "projects/yinling/_index.html", "stories/_index.html", "tags/_index.html"}
	removed := []string{"stories/2.html", "tags/养老服务/_index.html"}
	slices.Sort(ch.written)
	if !slices.Equal(ch.written, written) || !slices.Equal(ch.removed, removed) {
		t.Errorf("export after one unpublish wrote %q and removed %q, want %q and %q", ch.written, ch.removed, written, removed)
	}
	if !slices.Contains(ch.extraWritten, "sitemap-stories-0.xml") || !slices.Contains(ch.extraWritten, "search/i/meta.json") {
		t.Errorf("extra files written: %q", ch.extraWritten)
	}
}

// The rendered pages of the theme, with the stylesheet's hash masked.
func TestRender_Golden(t *testing.T) {
	t.Parallel()
	s := newSite(t, newFixture())
	buildNow(t, s)
	css := regexp.MustCompile(`main\.min\.[0-9a-f]{64}\.css`)
	for name, path := range map[string]string{
		"story.html":   "/stories/first-wedding/",
		"project.html": "/projects/yinling/",
		"home.html":    "/",
		"alias.html":   "/s/1/",
		"404.html":     "/no/such/page/",
		"rss.xml":      "/index.xml",
	} {
		_, _, body := get(t, s, path)
		golden(t, "render/"+name, css.ReplaceAllString(body, "main.min.HASH.css"))
	}
}

// The repository root is a Hugo project on its own: theme developers run
// `hugo server` there against the sample content. Building it must work and
// must not write into the repository.
func TestSampleSite(t *testing.T) {
	t.Parallel()
	out, tmp := t.TempDir(), t.TempDir()
	pages, err := runHugo(hugoRun{
		proj:        repoRoot,
		configFiles: []string{filepath.Join(repoRoot, "config.toml")},
		outDir:      out,
		resourceDir: filepath.Join(tmp, "resources"),
		cacheDir:    filepath.Join(tmp, "cache"),
		log:         newSite(t, newFixture()).log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sample site: %d pages", pages)
	for file, want := range map[string]string{
		"index.html":                          "把每一件小事，做成群众心里的暖事",
		"stories/chunfen-banzheng/index.html": "十二对新人在亲友的注视下",
		"s/1/index.html":                      "/stories/chunfen-banzheng/",
		"stories/hunyin-fudao/index.html":     "/stories/fudaoshi-recha/",
		"projects/yinling-huzhu/index.html":   "七十岁的“小老人”照顾九十岁的“老老人”",
		"tags/婚姻登记/index.html":                "辅导室里的一杯热茶",
		"about/index.html":                    "示例站点的“关于我们”页面",
		"index.xml":                           "春分这天",
		"sitemap.xml":                         "/stories/xiaolaoren-laolaoren/",
	} {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(file)))
		if err != nil {
			t.Error(err)
			continue
		}
		contains(t, file, string(b), want)
	}
	for _, name := range []string{"resources", "public", ".hugo_build.lock", "hugo_stats.json"} {
		if _, err := os.Stat(filepath.Join(repoRoot, name)); err == nil {
			t.Errorf("building the sample site created %s in the repository", name)
		}
	}
}
