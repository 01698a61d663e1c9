package site

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/benchline"
)

// BenchmarkSite_LinkCheck prints what the build-time link check adds to a
// full build of 10,000 stories (issue 20: at most 10%). Every story links
// to two others and shows a library image; each timed build is a full one
// with the export unchanged, and the ratio is the check's time over the
// rest of the build's.
func BenchmarkSite_LinkCheck(b *testing.B) {
	const n = 10000
	f := newFixture()
	for i := range n {
		p := f.projects[i%2]
		body := strings.Repeat("<p>社区志愿者每周上门看望独居老人，帮他们打扫卫生、测量血压、聊聊家常。</p>", 12) +
			fmt.Sprintf(`<p><a href="/stories/story-%d/">上一篇</a> <a href="/stories/story-%d/">下一篇</a></p><img src="/media/h%d/w640.jpg" alt="现场">`,
				(i+n-1)%n, (i+1)%n, i%50)
		f.add(&cms.LiveStory{ID: int64(1000 + i), Slug: fmt.Sprintf("story-%d", i), Title: fmt.Sprintf("第%d篇服务故事", i),
			Summary: "一段摘要", Body: body, Project: ref(p), Tags: []string{fmt.Sprintf("专题%d", i%40), "志愿服务"},
			Author: "通讯员", PublishedAt: day0.Add(time.Duration(i) * time.Hour), UpdatedAt: day0})
	}
	s := newSite(b, f)
	first := buildNow(b, s)
	b.Logf("first full build of %d stories: %d pages, %d ms", n, first.Pages, first.DurationMS)
	var check, manifest, rest time.Duration
	for b.Loop() {
		buildNow(b, s)
		r := s.last
		check += r.links
		manifest += r.manifest
		rest += r.export + r.hugo - r.links - r.manifest
		b.Logf("full build: export %s, hugo %s, of which link check %s and manifest %s", r.export.Round(time.Millisecond),
			r.hugo.Round(time.Millisecond), r.links.Round(time.Millisecond), r.manifest.Round(time.Millisecond))
	}
	rep, err := s.LinkReport()
	if err != nil {
		b.Fatal(err)
	}
	if rep.Pages < n || rep.Links < 3*n || len(rep.Broken) != 0 {
		b.Fatalf("link report: %d pages, %d links, %d broken (%+v)", rep.Pages, rep.Links, len(rep.Broken), rep.Broken[:min(3, len(rep.Broken))])
	}
	ratio := float64(check) / float64(rest)
	fmt.Printf("link check: %d pages, %d links; %s of a %s full build: overhead %.1f%% (goal ≤ 10%%); the tamper manifest adds %.1f%% more\n",
		rep.Pages, rep.Links, check.Round(time.Millisecond), rest.Round(time.Millisecond), 100*ratio, 100*float64(manifest)/float64(rest))
	b.ReportMetric(100*ratio, "overhead-%")
	benchline.Emit(benchline.Row{ID: "site-linkcheck", Unit: "ms", Ours: benchline.Millis([]time.Duration{check}),
		Peer: "the rest of the full build", Theirs: benchline.Millis([]time.Duration{rest}),
		Note: fmt.Sprintf("%d pages, %d links; the tamper manifest adds %.1f%%", rep.Pages, rep.Links, 100*float64(manifest)/float64(rest))})
	b.ReportMetric(100*float64(manifest)/float64(rest), "manifest-%")

	// A publish: the check reads only the re-rendered pages, but walks the
	// tree, as the manifest does.
	ctx := runner(b, s)
	id := int64(1000 + n/2)
	f.edit(id, func(s *cms.LiveStory) { s.Title += "（更新）" })
	enqueue(b, ctx, s, fmt.Sprintf("publish story:%d", id))
	r := s.last
	rep, _ = s.LinkReport()
	fmt.Printf("a publish (full=%v): export %s, render and apply %s, of which link check %s (%d pages read) and manifest %s\n",
		r.full, r.export.Round(time.Millisecond), r.hugo.Round(time.Millisecond), r.links.Round(time.Millisecond), rep.Read, r.manifest.Round(time.Millisecond))
}
