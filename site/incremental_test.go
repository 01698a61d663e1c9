package site

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// bigFixture is the test fixture with n more stories, spread over the two
// top projects and a handful of tags, so lists have archive pages.
func bigFixture(n int) *fixture {
	f := newFixture()
	for i := range n {
		id := int64(100 + i)
		p := f.projects[i%2]
		ls := &cms.LiveStory{ID: id, Slug: fmt.Sprintf("story-%d", id), Title: fmt.Sprintf("第%d篇服务故事", id),
			Body: fmt.Sprintf("<p>社区志愿者第%d次上门看望独居老人。</p>", id), Project: ref(p),
			Tags: []string{fmt.Sprintf("专题%d", i%3), "志愿服务"}, Author: "通讯员",
			PublishedAt: day0.Add(time.Duration(i) * time.Hour), UpdatedAt: day0.Add(time.Duration(i) * time.Hour)}
		if i%4 == 0 {
			ls.Summary = fmt.Sprintf("摘要%d", id)
		}
		if i%5 == 0 {
			ls.Cover = &cms.Media{ID: id, Width: 1200, Height: 800, Alt: "配图", Variants: []cms.MediaVariant{
				{Name: "w640", Width: 640, Height: 427, URL: fmt.Sprintf("/media/%d/w640.jpg", id)},
				{Name: "thumb", Width: 300, Height: 300, URL: fmt.Sprintf("/media/%d/thumb.jpg", id)},
			}}
		}
		f.add(ls)
	}
	return f
}

// story returns a copy of the fixture's story id, to change and add back.
func (f *fixture) story(id int64) *cms.LiveStory {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *f.stories[id]
	c.Tags = slices.Clone(c.Tags)
	c.OldSlugs = slices.Clone(c.OldSlugs)
	c.Version++
	c.UpdatedAt = c.UpdatedAt.Add(time.Minute)
	return &c
}

// edit changes the fixture's story id with change, as a new version.
func (f *fixture) edit(id int64, change func(*cms.LiveStory)) {
	s := f.story(id)
	change(s)
	f.add(s)
}

// runner runs a Site's build worker for a test.
func runner(t testing.TB, s *Site) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ctx
}

// changeOf is the Change the web layer and the scheduler send with reason:
// "publish story:12 story:13" names stories 12 and 13; other reasons name
// nothing, so the build reads everything.
func changeOf(reason string) cms.Change {
	c := cms.Change{Reason: reason}
	for _, f := range strings.Fields(reason) {
		if id, err := strconv.ParseInt(strings.TrimPrefix(f, "story:"), 10, 64); err == nil && strings.HasPrefix(f, "story:") {
			c.Stories = append(c.Stories, id)
		}
	}
	return c
}

// finish asks for a build of c and waits for it to end, however it ends.
func finish(t testing.TB, ctx context.Context, s *Site, c cms.Change) *cms.Build {
	t.Helper()
	b, err := s.Enqueue(ctx, c)
	if err != nil {
		t.Fatalf("Enqueue(%q): %v", c.Reason, err)
	}
	id := b.ID
	if b, err = s.Wait(ctx, id); err != nil {
		t.Fatalf("waiting for build %d (%s): %v", id, c.Reason, err)
	}
	return b
}

// enqueue asks for a build with reason and waits for it to succeed.
func enqueue(t testing.TB, ctx context.Context, s *Site, reason string) *cms.Build {
	t.Helper()
	b := finish(t, ctx, s, changeOf(reason))
	if b.Status != cms.BuildSucceeded {
		t.Fatalf("build %d (%s) failed: %s (%s:%d)", b.ID, reason, b.Error, b.ErrorFile, b.ErrorLine)
	}
	return b
}

// tree reads every file below dir.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, name)
		b, err := os.ReadFile(name)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// treeDiffs says how trees a and b differ, a line a file, sorted: onlyA or
// onlyB and the name for a file one of them lacks, "differs: " and the name
// for a file whose content differs; the first 20 lines are joined in head.
func treeDiffs(a, b map[string][]byte, onlyA, onlyB string) (diffs []string, head string) {
	for name, x := range a {
		if y, ok := b[name]; !ok {
			diffs = append(diffs, onlyA+name)
		} else if !bytes.Equal(x, y) {
			diffs = append(diffs, "differs: "+name)
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			diffs = append(diffs, onlyB+name)
		}
	}
	slices.Sort(diffs)
	return diffs, strings.Join(diffs[:min(20, len(diffs))], "\n")
}

// sameTree fails unless the live builds of a and b hold the same files.
func sameTree(t testing.TB, step string, a, b *Site) {
	t.Helper()
	ta, tb := readTree(t, a.current().dir), readTree(t, b.current().dir)
	if diffs, head := treeDiffs(ta, tb, "only incremental: ", "only full: "); len(diffs) > 0 {
		t.Fatalf("%s: the incremental build differs from a full build in %d files:\n%s", step, len(diffs), head)
	}
	// Nothing left over, such as empty directories.
	filepath.WalkDir(a.current().dir, func(name string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if entries, _ := os.ReadDir(name); len(entries) == 0 {
				t.Errorf("%s: empty directory %s", step, name)
			}
		}
		return nil
	})
	t.Logf("%s: %d files identical", step, len(ta))
}

// Edits, publishes, unpublishes, re-slugs and deletes, each built
// incrementally, give the same files as a clean full build of the same
// content.
func TestSite_IncrementalEqualsFull(t *testing.T) {
	t.Parallel()
	f := bigFixture(34)
	inc := newSite(t, f)
	full := newSite(t, f)
	ctx := runner(t, inc)
	buildNow(t, inc)

	step := func(name, reason string, change func(), wantFull bool) {
		t.Helper()
		change()
		enqueue(t, ctx, inc, reason)
		if inc.last.full != wantFull {
			t.Errorf("%s: full build %v, want %v", name, inc.last.full, wantFull)
		}
		buildNow(t, full)
		sameTree(t, name, inc, full)
	}

	id := int64(1000)
	publish := func(title string, project *cms.Project, tags []string, at time.Time) int64 {
		id++
		f.add(&cms.LiveStory{ID: id, Slug: fmt.Sprintf("new-%d", id), Title: title, Body: "<p>" + title + "</p>",
			Project: ref(project), Tags: tags, Author: "记者", PublishedAt: at, UpdatedAt: at, Version: 1})
		return id
	}
	now := day0.Add(200 * time.Hour)

	step("publish", "publish story:1001", func() { publish("新发布的稿件", f.projects[0], []string{"专题1", "新专题"}, now) }, false)
	step("publish with awkward tags", "publish story:1002", func() {
		publish("标签古怪的稿件", f.projects[1], []string{"WeChat 公众号", "A&B·活动", "v2.0", "wechat 公众号", " "}, now.Add(time.Minute))
	}, false)
	// The story's tag links lead to the tags' pages.
	body := page(t, inc, "/stories/new-1002/")
	links := regexp.MustCompile(`href="(/tags/[^"]+/)"`).FindAllStringSubmatch(body, -1)
	if len(links) != 3 {
		t.Errorf("story with awkward tags links %d tags, want 3: %q", len(links), links)
	}
	for _, l := range links {
		contains(t, l[1], page(t, inc, l[1]), "标签古怪的稿件")
	}
	step("edit title", "publish story:120", func() { f.edit(120, func(s *cms.LiveStory) { s.Title = "改过标题的稿件" }) }, false)
	step("edit body", "publish story:121", func() { f.edit(121, func(s *cms.LiveStory) { s.Body = "<p>改过的正文</p>" }) }, false)
	step("re-slug", "publish story:122", func() {
		s := f.story(122)
		s.OldSlugs = append(s.OldSlugs, s.Slug)
		s.Slug = "renamed-122"
		f.add(s)
	}, false)
	step("re-slug to a slug another story had", "publish story:123", func() {
		s := f.story(123)
		s.OldSlugs = append(s.OldSlugs, s.Slug)
		s.Slug = "story-122"
		f.add(s)
	}, false)
	step("unpublish", "unpublish story:2", func() { f.remove(2) }, false)
	step("unpublish the last story of a tag", "unpublish story:1001", func() { f.remove(1001) }, false)
	step("publish into the past", "publish story:1003", func() {
		publish("补发的旧稿", f.projects[1], []string{"专题2"}, day0.Add(5*time.Hour+30*time.Minute))
	}, false)
	step("burst", "schedule story:1004 story:1005 story:1006 story:1007 story:1008 story:1009 story:1010 story:1011 story:1012 story:1013 story:1014 story:1015", func() {
		for i := range 12 {
			publish(fmt.Sprintf("连发%d", i), f.projects[i%2], []string{"连发"}, now.Add(time.Duration(i)*time.Minute))
		}
	}, false)
	step("delete a story with a cover", "unpublish story:100", func() { f.remove(100) }, false)
	step("move to another project and tag", "publish story:130", func() {
		f.edit(130, func(s *cms.LiveStory) { s.Project, s.Tags = ref(f.projects[1]), []string{"另一个专题"} })
	}, false)
	step("unnamed change", "media.update media:9", func() { f.edit(1, func(s *cms.LiveStory) { s.Cover.Alt = "改过的替代文字" }) }, false)
	step("settings", "settings.update", func() {
		f.mu.Lock()
		f.settings.Organizer = "测试区民政局（新）"
		f.mu.Unlock()
	}, true)
	step("after a full build", "publish story:1016", func() { publish("再发一篇", f.projects[0], nil, now.Add(time.Hour)) }, false)
	step("a publish nobody named", "publish story:1017", func() {
		publish("有名字的发布", f.projects[0], nil, now.Add(2*time.Hour))
		publish("没有通知的发布", f.projects[1], []string{"专题1"}, now.Add(3*time.Hour)) // as by another process
	}, false)
	step("unpublish many", "unpublish story:101 story:102 story:103 story:104 story:105", func() {
		for id := int64(101); id <= 105; id++ {
			f.remove(id)
		}
	}, false)
}

// TestSite_Scale times a full build and publishes on a large site; set
// HUIMIN_SCALE to the number of stories (say 10000) to run it, and
// HUIMIN_PROFILE to a directory to write CPU profiles of both.
func TestSite_Scale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HUIMIN_SCALE"))
	if n == 0 {
		t.Skip("set HUIMIN_SCALE to the number of stories")
	}
	f := bigFixture(n)
	s := newSite(t, f, func(c *Config) { c.Logger = testLog(t, slog.LevelInfo) })
	prof := os.Getenv("HUIMIN_PROFILE")
	profile := func(name string, fn func()) {
		if prof == "" {
			fn()
			return
		}
		pf, err := os.Create(filepath.Join(prof, name))
		if err != nil {
			t.Fatal(err)
		}
		pprof.StartCPUProfile(pf)
		fn()
		pprof.StopCPUProfile()
		pf.Close()
	}
	start := time.Now()
	buildNow(t, s)
	t.Logf("first full build: %s", time.Since(start))
	start = time.Now()
	profile("full.pprof", func() { buildNow(t, s) })
	full := time.Since(start)
	t.Logf("full build: %s", full)
	ctx := runner(t, s)
	var times []time.Duration
	profile("publish.pprof", func() {
		for i := range 10 {
			id := int64(900000 + i)
			f.add(&cms.LiveStory{ID: id, Slug: fmt.Sprintf("scale-%d", i), Title: fmt.Sprintf("规模测试%d", i), Body: "<p>新稿件</p>",
				Project: ref(f.projects[0]), Tags: []string{"专题1"}, PublishedAt: day0.Add(time.Duration(n+i) * time.Hour), UpdatedAt: day0.Add(time.Duration(n+i) * time.Hour)})
			start := time.Now()
			enqueue(t, ctx, s, fmt.Sprintf("publish story:%d", id))
			times = append(times, time.Since(start))
			if s.last.full {
				t.Errorf("publish %d was a full build", i)
			}
		}
	})
	slices.Sort(times)
	t.Logf("publish: median %s (%.1f%% of a full build), min %s, max %s", times[len(times)/2],
		100*float64(times[len(times)/2])/float64(full), times[0], times[len(times)-1])
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM") || strings.HasPrefix(line, "VmRSS") {
				t.Log(line)
			}
		}
	}
	if prof != "" {
		runtime.GC()
		pf, _ := os.Create(filepath.Join(prof, "heap.pprof"))
		pprof.WriteHeapProfile(pf)
		pf.Close()
	}
}

// Readers fetching pages during 100 publishes (and a full rebuild among
// them) never get a missing or partial page for a page that exists before
// and after.
func TestSite_AtomicPublish(t *testing.T) {
	f := bigFixture(30)
	s := newSite(t, f)
	buildNow(t, s)
	ctx := runner(t, s)
	const builds = 100
	full, fetched, bad := publishWhileReading(t, ctx, s, f, builds, 3, func(p string) string {
		time.Sleep(200 * time.Microsecond) // leave the builder some CPU
		code, _, body := get(t, s, p)
		return pageProblem(p, code, body)
	})
	t.Logf("%d fetches during %d builds (%d full), %d bad", fetched, builds, full, bad)
	if full > 1 {
		t.Errorf("%d of the builds were full; want only the rebuild", full)
	}
	contains(t, "story page", page(t, s, "/stories/story-110/"), fmt.Sprintf("第%d次修改", builds-1))
}

// atomicPaths are pages of bigFixture(30) that exist before and after every
// build of publishWhileReading, the stylesheet among them.
func atomicPaths(t *testing.T, s *Site) []string {
	t.Helper()
	css := regexp.MustCompile(`href="(/css/main\.min\.[0-9a-f]+\.css)"`).FindStringSubmatch(page(t, s, "/"))
	if css == nil {
		t.Fatal("no stylesheet")
	}
	return []string{"/", "/stories/", "/stories/story-110/", "/s/110/", "/projects/xingfu/", "/tags/", "/tags/志愿服务/",
		"/stories/archive/1/", "/index.xml", "/sitemap.xml", "/sitemap-stories-0.xml", "/search/i/meta.json", css[1]}
}

// pageProblem says what is wrong with an answer for path: not 200, or not
// all of the page; "" when nothing is.
func pageProblem(path string, code int, body string) string {
	if code != http.StatusOK {
		return fmt.Sprintf("GET %s: status %d", path, code)
	}
	b := strings.TrimSpace(body)
	var whole bool
	switch {
	case strings.HasSuffix(path, ".css"):
		whole = len(b) > 1000
	case strings.HasSuffix(path, ".json"):
		whole = strings.HasSuffix(b, "}")
	case strings.HasSuffix(path, ".xml"):
		whole = strings.HasSuffix(b, "</rss>") || strings.HasSuffix(b, "</urlset>") || strings.HasSuffix(b, "</sitemapindex>")
	default:
		whole = strings.HasSuffix(b, "</html>")
	}
	if !whole {
		return fmt.Sprintf("GET %s: partial: %s", path, body[max(0, len(body)-80):])
	}
	return ""
}

// publishWhileReading runs builds publishes on s (story 110 edited each
// time, a new story every tenth, a full rebuild halfway) while readers
// goroutines call read on the atomicPaths in turn; every problem read
// returns fails the test. It returns how many builds were full, how many
// reads ran and how many were bad.
func publishWhileReading(t *testing.T, ctx context.Context, s *Site, f *fixture, builds, readers int, read func(path string) string) (full int, fetched int64, bad int) {
	t.Helper()
	paths := atomicPaths(t, s)
	stop := make(chan struct{})
	fails := make(chan string, 100)
	var reads atomic.Int64
	var wg sync.WaitGroup
	for r := range readers {
		wg.Go(func() {
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				msg := read(paths[i%len(paths)])
				reads.Add(1)
				if msg != "" {
					select {
					case fails <- msg:
					default:
					}
				}
			}
		})
	}
	for i := range builds {
		if i == builds/2 {
			b, err := s.Rebuild(ctx, "a full build among the publishes")
			if err != nil {
				t.Fatal(err)
			}
			if b, _ = s.Wait(ctx, b.ID); b.Status != cms.BuildSucceeded {
				t.Fatalf("rebuild: %+v", b)
			}
			full++
			continue
		}
		f.edit(110, func(s *cms.LiveStory) { s.Title = fmt.Sprintf("第110篇服务故事（第%d次修改）", i) })
		reason := "publish story:110"
		if i%10 == 0 {
			id := int64(5000 + i)
			f.add(&cms.LiveStory{ID: id, Slug: fmt.Sprintf("atomic-%d", i), Title: fmt.Sprintf("原子发布%d", i), Body: "<p>x</p>",
				Project: ref(f.projects[0]), Tags: []string{"志愿服务"}, PublishedAt: day0.Add(time.Duration(1000+i) * time.Hour), UpdatedAt: day0})
			reason += fmt.Sprintf(" story:%d", id)
		}
		enqueue(t, ctx, s, reason)
		if s.last.full {
			full++
		}
	}
	close(stop)
	wg.Wait()
	close(fails)
	for msg := range fails {
		t.Error(msg)
		bad++
	}
	return full, reads.Load(), bad
}

// A template change makes the next build a full one. A page that fails to
// render in an incremental build fails the build with the template's
// message and keeps the last good site; the next build, a full one,
// recovers once the cause is gone.
func TestSite_IncrementalFailure(t *testing.T) {
	t.Parallel()
	src := projectCopy(t)
	f := bigFixture(12)
	s := newSite(t, f, func(c *Config) { c.Source, c.SourceDir = nil, src })
	buildNow(t, s)
	ctx := runner(t, s)

	// A template change: the next publish builds everything.
	tpl := filepath.Join(src, "themes", "huimin", "layouts", "stories", "page.html")
	orig, err := os.ReadFile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(orig), "</article>",
		"</article>{{ if eq .Params.id 4242 }}{{ errorf \"story %d is broken\" .Params.id }}{{ end }}<p class=\"changed\"></p>", 1)
	if err := os.WriteFile(tpl, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	f.edit(105, func(s *cms.LiveStory) { s.Title = "模板改后发布" })
	enqueue(t, ctx, s, "publish story:105")
	if !s.last.full {
		t.Error("the build after a template change was not a full one")
	}
	contains(t, "an unchanged story", page(t, s, "/stories/story-110/"), `<p class="changed"></p>`)

	// A failing page.
	f.add(&cms.LiveStory{ID: 4242, Slug: "broken", Title: "渲染失败的稿件", Body: "<p>x</p>", Project: ref(f.projects[0]),
		PublishedAt: day0.Add(500 * time.Hour), UpdatedAt: day0.Add(500 * time.Hour)})
	before := page(t, s, "/")
	b := finish(t, ctx, s, cms.StoriesChanged("publish story:4242", 4242))
	if b.Status != cms.BuildFailed || !strings.Contains(b.Error, "story 4242 is broken") {
		t.Fatalf("build of a failing page: %s %q", b.Status, b.Error)
	}
	if s.last.full {
		t.Error("the failing build was a full one; want incremental")
	}
	if code, _, _ := get(t, s, "/stories/broken/"); code != http.StatusNotFound {
		t.Errorf("the failing page is served: %d", code)
	}
	if after := page(t, s, "/"); after != before {
		t.Error("the home page changed in a failed build")
	}

	// Fixed: the next build is full and recovers.
	f.remove(4242)
	enqueue(t, ctx, s, "unpublish story:4242")
	if !s.last.full {
		t.Error("the build after a failed one was not full")
	}
	enqueue(t, ctx, s, "publish story:105")
	if s.last.full {
		t.Error("builds did not go back to incremental")
	}
}
