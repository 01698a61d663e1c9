package site

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// overviewData is an OverviewService holding what the store would give the
// overview site (the store's own test reads it from a database).
type overviewData struct {
	mu sync.Mutex
	o  *cms.Overview
}

func (d *overviewData) set(o *cms.Overview) { d.mu.Lock(); d.o = o; d.mu.Unlock() }

func (d *overviewData) FindOverview(context.Context) (*cms.Overview, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.o, nil
}
func (d *overviewData) FindHighlightCandidates(context.Context, cms.HighlightFilter) ([]*cms.SiteStory, int, error) {
	return nil, 0, errUnused
}
func (d *overviewData) FindHighlights(context.Context) ([]*cms.Highlight, error) {
	return nil, errUnused
}
func (d *overviewData) AddHighlight(context.Context, int64, int64) (*cms.Highlight, error) {
	return nil, errUnused
}
func (d *overviewData) FindHighlightingSites(context.Context, int64) ([]int64, error) {
	return nil, errUnused
}
func (d *overviewData) RemoveHighlight(context.Context, int64) error { return errUnused }
func (d *overviewData) ReorderHighlights(context.Context, []int64) ([]*cms.Highlight, error) {
	return nil, errUnused
}

func cityOverview() *cms.Overview {
	return &cms.Overview{
		Sites: []*cms.OverviewSite{
			{ID: 2, Name: "江阴市民政局", Organizer: "江阴市民政局办公室", URL: "https://jy.example.gov.cn/"},
			{ID: 3, Name: "宜兴市民政局", URL: "//yx.example.gov.cn/"},
			{ID: 4, Name: "某县民政局"}, // no base URL, no host name: nothing to link to
		},
		Highlights: []*cms.SiteStory{
			{SiteID: 3, SiteName: "宜兴市民政局", ID: 31, Title: "宜兴殡葬一米亲情服务", Summary: "一米之内，温情相送",
				Project: "一米亲情", URL: "//yx.example.gov.cn/stories/yimi/", PublishedAt: day0},
			{SiteID: 2, SiteName: "江阴市民政局", ID: 21, Title: "江阴银龄结对帮扶", Project: "银龄互助",
				URL: "https://jy.example.gov.cn/stories/jiedui/", PublishedAt: day0.Add(time.Hour),
				Cover: &cms.Media{ID: 5, Variants: []cms.MediaVariant{{Name: "thumb", Width: 300, Height: 300,
					URL: "https://jy.example.gov.cn/media/ab/thumb.jpg"}}}},
			{SiteID: 3, SiteName: "宜兴市民政局", ID: 32, Title: "宜兴婚姻登记颁证", URL: "//yx.example.gov.cn/stories/banzheng/",
				PublishedAt: day0},
		},
	}
}

// TestSite_Overview: the overview site's home lists the other sites and
// links the 全市服务品牌 page, which groups the highlights by site and links
// each to its own site; a highlight gone from the overview leaves the page
// at the next build, an incremental one. A site without overview shows
// neither.
func TestSite_Overview(t *testing.T) {
	t.Parallel()
	f := newFixture()
	od := &overviewData{o: cityOverview()}
	s := newSite(t, f, func(c *Config) { c.Overview = od })
	buildNow(t, s)

	home := page(t, s, "/")
	contains(t, "home", home, "各区（县）民政局", `href="https://jy.example.gov.cn/"`, "江阴市民政局",
		"主办单位：江阴市民政局办公室", `href="//yx.example.gov.cn/"`, "全市服务品牌（3篇）", `href="/highlights/"`,
		`<span class="card-link">某县民政局</span>`)
	hl := page(t, s, "/highlights/")
	contains(t, "highlights", hl, "<h1>全市服务品牌</h1>", `href="//yx.example.gov.cn/stories/yimi/"`, "一米之内，温情相送",
		`href="https://jy.example.gov.cn/stories/jiedui/"`, `src="https://jy.example.gov.cn/media/ab/thumb.jpg"`, "银龄互助",
		"2026年3月1日")
	// Grouped by site, in the order the editors gave: 宜兴's two, then 江阴's.
	yx, jy, bz := strings.Index(hl, "宜兴殡葬"), strings.Index(hl, "江阴银龄"), strings.Index(hl, "宜兴婚姻登记")
	if !(yx < bz && bz < jy) || strings.Count(hl, ">宜兴市民政局</a></h2>") != 1 {
		t.Errorf("highlights not grouped by site in order: 殡葬 %d, 颁证 %d, 银龄 %d", yx, bz, jy)
	}
	contains(t, "sitemap", page(t, s, "/sitemap.xml")+page(t, s, "/sitemap-pages.xml"), "/highlights/")

	ctx := runner(t, s)
	o := cityOverview()
	o.Highlights = o.Highlights[1:] // 殡葬 unpublished on its site
	od.set(o)
	enqueue(t, ctx, s, "highlight.remove")
	if s.last.full {
		t.Error("a change of the highlights made a full build; want incremental")
	}
	lacks(t, "highlights after removal", page(t, s, "/highlights/"), "宜兴殡葬一米亲情服务")
	contains(t, "home after removal", page(t, s, "/"), "全市服务品牌（2篇）")

	// A site without overview: as before.
	plain := newSite(t, newFixture(), func(c *Config) { c.Overview = &overviewData{} })
	buildNow(t, plain)
	lacks(t, "home of a district", page(t, plain, "/"), "各区（县）民政局", "全市服务品牌")
	if code, _, _ := get(t, plain, "/highlights/"); code != http.StatusNotFound {
		t.Errorf("/highlights/ on a district: %d, want 404", code)
	}
}
