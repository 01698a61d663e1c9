package site

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// The link check reports the internal links and images of the built pages
// that resolve to nothing in the build, with the page and, for a story
// page, the story; a publish that fixes them clears them.
func TestSite_LinkCheck(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.add(&cms.LiveStory{ID: 4, Slug: "links", Title: "链接", Project: ref(f.projects[0]),
		Body: `<p><a href="/stories/first-wedding/">好链接</a> <a href="/stories/deleted-story/">坏链接</a>
<a href="../silver-helpers/">相对链接</a> <a href="https://huimin.example.cn/projects/nope/">本站绝对地址</a>
<a href="https://example.org/elsewhere">外站</a> <a href="mailto:a@b.cn">信</a>
<img src="/media/abc/w640.jpg" alt="有"><img src="/media/gone/w640.jpg" alt="无"></p>`,
		PublishedAt: day0.Add(96 * time.Hour), UpdatedAt: day0.Add(96 * time.Hour)})
	stored := map[string]bool{"abc/w640.jpg": true, "9/w640.jpg": true, "9/w1280.jpg": true, "9/w2048.jpg": true, "9/share.jpg": true}
	s := newSite(t, f, func(c *Config) {
		c.MediaExists = func(_ context.Context, key string) (bool, error) { return stored[key], nil }
	})
	ctx := runner(t, s)
	enqueue(t, ctx, s, "first")
	rep, err := s.LinkReport()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range rep.Broken {
		got = append(got, b.Page+" "+b.Kind+" "+b.Target+" "+b.Story)
	}
	want := []string{
		"/stories/links/ image /media/gone/w640.jpg links",
		"/stories/links/ link /projects/nope/ links",
		"/stories/links/ link /stories/deleted-story/ links",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("broken links:\n got %q\nwant %q", got, want)
	}
	if rep.Pages < 10 || rep.Links < 50 || rep.Read != rep.Pages {
		t.Errorf("report: %d pages, %d links, %d read", rep.Pages, rep.Links, rep.Read)
	}

	// A publish reads only the pages it rendered again.
	f.edit(4, func(s *cms.LiveStory) { s.Body = `<p><a href="/stories/first-wedding/">好链接</a></p>` })
	enqueue(t, ctx, s, "publish story:4")
	if s.last.full {
		t.Fatal("the publish was a full build")
	}
	rep, _ = s.LinkReport()
	if len(rep.Broken) != 0 || rep.Read == 0 || rep.Read >= rep.Pages {
		t.Errorf("after the fix: %d broken (%+v), %d of %d pages read", len(rep.Broken), rep.Broken, rep.Read, rep.Pages)
	}

	// Unpublishing a story breaks the links other pages have to it.
	f.add(&cms.LiveStory{ID: 5, Slug: "points-to-2", Title: "指向", Project: ref(f.projects[1]),
		Body: `<p><a href="/stories/silver-helpers/">银龄</a></p>`, PublishedAt: day0.Add(120 * time.Hour), UpdatedAt: day0.Add(120 * time.Hour)})
	enqueue(t, ctx, s, "publish story:5")
	f.remove(2)
	enqueue(t, ctx, s, "unpublish story:2")
	rep, _ = s.LinkReport()
	if !slices.ContainsFunc(rep.Broken, func(b BrokenLink) bool {
		return b.Page == "/stories/points-to-2/" && b.Target == "/stories/silver-helpers/"
	}) {
		t.Errorf("link to the unpublished story not reported: %+v", rep.Broken)
	}
}

// Every build writes a manifest; CheckTamper reports files changed, added
// and removed behind Huimin's back, a publish does not take them in as
// published, and RestoreTampered puts the published site back.
func TestSite_Tamper(t *testing.T) {
	t.Parallel()
	f := newFixture()
	s := newSite(t, f)
	ctx := runner(t, s)
	enqueue(t, ctx, s, "first")
	rep, err := s.CheckTamper(context.Background())
	if err != nil || len(rep.Findings) != 0 || rep.Files < 10 {
		t.Fatalf("clean site: %+v, %v", rep, err)
	}
	dir := s.live.Load().dir
	tampered := filepath.Join(dir, "stories", "first-wedding", "index.html")
	b, _ := os.ReadFile(tampered)
	// Same size, same modification time: only the hash tells.
	fi, _ := os.Stat(tampered)
	copy(b[len(b)-20:], []byte("<script>evil</script"))
	os.WriteFile(tampered, b, 0o644)
	os.Chtimes(tampered, fi.ModTime(), fi.ModTime())
	os.WriteFile(filepath.Join(dir, "shell.php"), []byte("<?php"), 0o644)
	os.Remove(filepath.Join(dir, "stories", "wedding-counselling", "index.html"))

	want := []TamperFinding{
		{Path: "shell.php", Change: TamperAdded, Where: "site"},
		{Path: "stories/first-wedding/index.html", Change: TamperChanged, Where: "site"},
		{Path: "stories/wedding-counselling/index.html", Change: TamperRemoved, Where: "site"},
	}
	check := func(step string) {
		t.Helper()
		rep, err := s.CheckTamper(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Findings, want) {
			t.Errorf("%s: findings\n got %+v\nwant %+v", step, rep.Findings, want)
		}
	}
	check("tampered")
	// A publish of another story does not make the changed page published.
	f.edit(2, func(s *cms.LiveStory) { s.Title = "银龄志愿者上门理发（更新）" })
	enqueue(t, ctx, s, "publish story:2")
	if s.last.full {
		t.Fatal("the publish was a full build")
	}
	// The publish brings the manifest up to date with the files it wrote
	// and removed, and only those: a page removed by hand is still told.
	check("after a publish")

	if _, err := s.RestoreTampered(context.Background(), "restore"); err != nil {
		t.Fatal(err)
	}
	want = nil
	rep, err = s.CheckTamper(context.Background())
	if err != nil || len(rep.Findings) != 0 {
		t.Fatalf("after restore: %+v, %v", rep, err)
	}
	contains(t, "restored page", page(t, s, "/stories/wedding-counselling/"), "婚姻家庭辅导室开放")
}

// Every page shows a date (issue 20: items without a visible date count as
// not updated): a standing page its last update.
func TestSite_StandingPageDate(t *testing.T) {
	t.Parallel()
	f := newFixture()
	s := newSite(t, f)
	buildNow(t, s)
	contains(t, "standing page", page(t, s, "/about/"), `更新日期：<time datetime="`+day0.In(chinaTime).Format("2006-01-02")+`">`)
}
