package site

import (
	"context"

	"github.com/huimin/huimin/cms"
)

// The services a Site reads are wrapped by New so that every call carries
// the Site's site (cms.NewContextWithSite): the scope is structural, not a
// matter of each caller remembering it (STYLE.md, habit 18). The Site's
// entry points scope their contexts too, for what they pass on elsewhere
// (the media check, the replica queue).

type scopedContent struct {
	id   int64
	next cms.ContentService
}

func (c scopedContent) FindLiveStories(ctx context.Context, f cms.ContentFilter) ([]*cms.LiveStory, int, error) {
	return c.next.FindLiveStories(cms.NewContextWithSite(ctx, c.id), f)
}
func (c scopedContent) FindLiveStoryBySlug(ctx context.Context, slug string) (*cms.LiveStory, error) {
	return c.next.FindLiveStoryBySlug(cms.NewContextWithSite(ctx, c.id), slug)
}
func (c scopedContent) EachLiveStory(ctx context.Context, fn func(*cms.LiveStory) error) error {
	return c.next.EachLiveStory(cms.NewContextWithSite(ctx, c.id), fn)
}
func (c scopedContent) FindTags(ctx context.Context) ([]*cms.TagCount, error) {
	return c.next.FindTags(cms.NewContextWithSite(ctx, c.id))
}

type scopedProjects struct {
	id   int64
	next cms.ProjectService
}

func (p scopedProjects) FindProjectByID(ctx context.Context, id int64) (*cms.Project, error) {
	return p.next.FindProjectByID(cms.NewContextWithSite(ctx, p.id), id)
}
func (p scopedProjects) FindProjectBySlug(ctx context.Context, slug string) (*cms.Project, error) {
	return p.next.FindProjectBySlug(cms.NewContextWithSite(ctx, p.id), slug)
}
func (p scopedProjects) FindProjects(ctx context.Context, f cms.ProjectFilter) ([]*cms.Project, int, error) {
	return p.next.FindProjects(cms.NewContextWithSite(ctx, p.id), f)
}
func (p scopedProjects) CreateProject(ctx context.Context, pr *cms.Project) error {
	return p.next.CreateProject(cms.NewContextWithSite(ctx, p.id), pr)
}
func (p scopedProjects) UpdateProject(ctx context.Context, id int64, u cms.ProjectUpdate) (*cms.Project, error) {
	return p.next.UpdateProject(cms.NewContextWithSite(ctx, p.id), id, u)
}
func (p scopedProjects) DeleteProject(ctx context.Context, id int64) error {
	return p.next.DeleteProject(cms.NewContextWithSite(ctx, p.id), id)
}
func (p scopedProjects) FindBrands(ctx context.Context) ([]*cms.Brand, error) {
	return p.next.FindBrands(cms.NewContextWithSite(ctx, p.id))
}
func (p scopedProjects) CreateBrand(ctx context.Context, b *cms.Brand) error {
	return p.next.CreateBrand(cms.NewContextWithSite(ctx, p.id), b)
}
func (p scopedProjects) UpdateBrand(ctx context.Context, b *cms.Brand) error {
	return p.next.UpdateBrand(cms.NewContextWithSite(ctx, p.id), b)
}

type scopedPages struct {
	id   int64
	next cms.PageService
}

func (p scopedPages) FindPages(ctx context.Context) ([]*cms.StandingPage, error) {
	return p.next.FindPages(cms.NewContextWithSite(ctx, p.id))
}
func (p scopedPages) SavePage(ctx context.Context, sp *cms.StandingPage) error {
	return p.next.SavePage(cms.NewContextWithSite(ctx, p.id), sp)
}
func (p scopedPages) DeletePage(ctx context.Context, id int64) error {
	return p.next.DeletePage(cms.NewContextWithSite(ctx, p.id), id)
}

type scopedSettings struct {
	id   int64
	next cms.SettingsService
}

func (s scopedSettings) FindSettings(ctx context.Context) (*cms.Settings, error) {
	return s.next.FindSettings(cms.NewContextWithSite(ctx, s.id))
}
func (s scopedSettings) UpdateSettings(ctx context.Context, u cms.SettingsUpdate) (*cms.Settings, error) {
	return s.next.UpdateSettings(cms.NewContextWithSite(ctx, s.id), u)
}

type scopedBuilds struct {
	id   int64
	next cms.BuildService
}

func (b scopedBuilds) CreateBuild(ctx context.Context, bd *cms.Build) error {
	return b.next.CreateBuild(cms.NewContextWithSite(ctx, b.id), bd)
}
func (b scopedBuilds) UpdateBuild(ctx context.Context, bd *cms.Build) error {
	return b.next.UpdateBuild(cms.NewContextWithSite(ctx, b.id), bd)
}
func (b scopedBuilds) FindBuildByID(ctx context.Context, id int64) (*cms.Build, error) {
	return b.next.FindBuildByID(cms.NewContextWithSite(ctx, b.id), id)
}
func (b scopedBuilds) FindBuilds(ctx context.Context, p cms.Page) ([]*cms.Build, int, error) {
	return b.next.FindBuilds(cms.NewContextWithSite(ctx, b.id), p)
}

// scopedOverview passes the Site's site on; the store reads the other
// sites' published stories from there on purpose (cms.OverviewService).
type scopedOverview struct {
	id   int64
	next cms.OverviewService
}

func (o scopedOverview) FindOverview(ctx context.Context) (*cms.Overview, error) {
	return o.next.FindOverview(cms.NewContextWithSite(ctx, o.id))
}
func (o scopedOverview) FindHighlightCandidates(ctx context.Context, f cms.HighlightFilter) ([]*cms.SiteStory, int, error) {
	return o.next.FindHighlightCandidates(cms.NewContextWithSite(ctx, o.id), f)
}
func (o scopedOverview) FindHighlights(ctx context.Context) ([]*cms.Highlight, error) {
	return o.next.FindHighlights(cms.NewContextWithSite(ctx, o.id))
}
func (o scopedOverview) AddHighlight(ctx context.Context, siteID, storyID int64) (*cms.Highlight, error) {
	return o.next.AddHighlight(cms.NewContextWithSite(ctx, o.id), siteID, storyID)
}
func (o scopedOverview) FindHighlightingSites(ctx context.Context, storyID int64) ([]int64, error) {
	return o.next.FindHighlightingSites(cms.NewContextWithSite(ctx, o.id), storyID)
}
func (o scopedOverview) RemoveHighlight(ctx context.Context, id int64) error {
	return o.next.RemoveHighlight(cms.NewContextWithSite(ctx, o.id), id)
}
func (o scopedOverview) ReorderHighlights(ctx context.Context, ids []int64) ([]*cms.Highlight, error) {
	return o.next.ReorderHighlights(cms.NewContextWithSite(ctx, o.id), ids)
}

// scopeServices wraps cfg's services for site id. The wrappers implement
// each interface in full rather than embed it, so a method added to one
// does not compile until it is scoped here too.
func scopeServices(cfg *Config, id int64) {
	cfg.Content = scopedContent{id, cfg.Content}
	cfg.Projects = scopedProjects{id, cfg.Projects}
	cfg.Pages = scopedPages{id, cfg.Pages}
	cfg.Settings = scopedSettings{id, cfg.Settings}
	cfg.Builds = scopedBuilds{id, cfg.Builds}
	if cfg.Overview != nil {
		cfg.Overview = scopedOverview{id, cfg.Overview}
	}
}
