package site

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// fixture is in-memory test data behind the small cms interfaces the site
// reads: live stories, projects, brands, standing pages, settings and build
// records. cms/store is the real implementation; this keeps the site's tests
// independent of it while exercising real Hugo builds on real files.
type fixture struct {
	mu       sync.Mutex
	settings cms.Settings
	brands   []*cms.Brand
	projects []*cms.Project
	pages    []*cms.StandingPage
	stories  map[int64]*cms.LiveStory
	builds   []*cms.Build
	started  chan int64 // if set, receives the id of a build each time it is saved running
}

var errNotFound = &cms.Error{Code: cms.ENOTFOUND, Message: "不存在"}

var day0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

func newFixture() *fixture {
	f := &fixture{
		settings: cms.Settings{
			SiteName:     "溪暖万家 · 测试区民政",
			Organizer:    "测试区民政局",
			Contact:      "地址：测试路1号；电话：0000-1234567",
			ICP:          "测ICP备00000001号-1",
			PoliceRecord: "测公网安备 12345678901234号",
			GovSiteCode:  "TS00000001",
			BaseURL:      "https://huimin.example.cn",
			ReviewStages: 1,
		},
		brands: []*cms.Brand{{ID: 1, Name: "溪暖万家", Slogan: "把小事做成暖事", Intro: "<p>品牌介绍：民政服务进万家。</p>"}},
		projects: []*cms.Project{
			{ID: 1, Name: "幸福起航颁证", Slug: "xingfu", Kind: cms.KindWindow, Area: "marriage",
				Summary: "颁证仪式 & 婚姻辅导", Intro: "<p>登记处提供庄重的颁证仪式。</p>", Version: 1, UpdatedAt: day0},
			{ID: 2, Name: "银龄互助", Slug: "yinling", Kind: cms.KindVolunteer, Area: "elderly",
				Summary: "低龄老人帮高龄老人", Intro: "<p>邻里守望。</p>", Version: 1, UpdatedAt: day0},
			{ID: 3, Name: "东街银龄小队", Slug: "dongjie", Kind: cms.KindVolunteer, Area: "elderly", ParentID: ptr(int64(2)),
				Summary: "东街的子项目", Version: 1, UpdatedAt: day0},
		},
		pages: []*cms.StandingPage{
			{ID: 1, Slug: "about", Title: "关于我们", Body: "<p>我们是测试区民政局。</p>", Position: 1, Version: 1, UpdatedAt: day0},
			{ID: 2, Slug: "stories", Title: "占用保留路径的页面", Body: "<p>不应发布</p>", Position: 2, UpdatedAt: day0},
		},
		stories: map[int64]*cms.LiveStory{},
	}
	f.add(&cms.LiveStory{ID: 1, Slug: "first-wedding", Title: "第一场集体颁证仪式", Summary: "十二对新人 <共同> 宣誓",
		Body:    "<p>春日里，十二对新人在颁证厅宣读誓言。</p><p>模板语法 {{< youtube x >}} 不应被执行。</p>",
		Project: ref(f.projects[0]), Tags: []string{"婚姻登记", "颁证"}, Author: "李明", Source: "测试区婚姻登记处",
		PublishedAt: day0, UpdatedAt: day0, OldSlugs: []string{"di-yi-chang"},
		Cover: &cms.Media{ID: 9, Width: 4000, Height: 3000, Alt: "新人宣誓", Caption: "宣誓现场", Credit: "王芳",
			Variants: []cms.MediaVariant{
				{Name: "w640", Width: 640, Height: 480, URL: "/media/9/w640.jpg"},
				{Name: "w1280", Width: 1280, Height: 960, URL: "/media/9/w1280.jpg"},
				{Name: "w2048", Width: 2048, Height: 1536, URL: "/media/9/w2048.jpg"},
				{Name: "share", Width: 900, Height: 383, URL: "/media/9/share.jpg"},
			}}})
	f.add(&cms.LiveStory{ID: 2, Slug: "silver-helpers", Title: "银龄志愿者上门理发", Summary: "",
		Body: "<p>六十岁的志愿者为九十岁的老人理发。</p>", Project: ref(f.projects[1]), Tags: []string{"养老服务"},
		Author: "张华", PublishedAt: day0.Add(24 * time.Hour), UpdatedAt: day0.Add(48 * time.Hour)})
	// Story 3 once had the slug story 1 has now: that old URL must keep
	// showing story 1, not redirect.
	f.add(&cms.LiveStory{ID: 3, Slug: "wedding-counselling", Title: "婚姻家庭辅导室开放", Summary: "免费辅导",
		Body: "<p>辅导室每周三开放。</p>", Project: ref(f.projects[0]), Tags: []string{"婚姻登记"},
		PublishedAt: day0.Add(72 * time.Hour), UpdatedAt: day0.Add(72 * time.Hour), OldSlugs: []string{"first-wedding", "hunyin-fudao"}})
	return f
}

func ptr[T any](v T) *T { return &v }

// pageOf is page p of all, as the store pages its lists.
func pageOf[T any](all []T, p cms.Page) []T {
	p = p.Normalize()
	lo := min(p.Offset(), len(all))
	return all[lo:min(lo+p.PerPage, len(all))]
}

func ref(p *cms.Project) cms.ProjectRef {
	return cms.ProjectRef{ID: p.ID, Slug: p.Slug, Name: p.Name, Kind: p.Kind, Area: p.Area, URL: cms.ProjectURL(p.Slug)}
}

func (f *fixture) add(s *cms.LiveStory) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.URL, s.ShortURL = cms.StoryURL(s.Slug), cms.ShortURL(s.ID)
	f.stories[s.ID] = s
}

func (f *fixture) remove(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.stories, id)
}

// ContentService

// FindLiveStories returns a page of all live stories, newest publication
// first; the site asks it for the stories just published.
func (f *fixture) FindLiveStories(ctx context.Context, flt cms.ContentFilter) ([]*cms.LiveStory, int, error) {
	f.mu.Lock()
	var all []*cms.LiveStory
	for _, s := range f.stories {
		c := *s
		all = append(all, &c)
	}
	f.mu.Unlock()
	sort.Slice(all, func(i, j int) bool {
		if !all[i].PublishedAt.Equal(all[j].PublishedAt) {
			return all[i].PublishedAt.After(all[j].PublishedAt)
		}
		return all[i].ID > all[j].ID
	})
	return pageOf(all, flt.Page), len(all), nil
}

func (f *fixture) FindLiveStoryBySlug(ctx context.Context, slug string) (*cms.LiveStory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.stories {
		if s.Slug == slug {
			c := *s
			return &c, nil
		}
	}
	// Like the store, an old slug finds the story too.
	var found *cms.LiveStory
	for _, s := range f.stories {
		if slices.Contains(s.OldSlugs, slug) && (found == nil || s.ID < found.ID) {
			found = s
		}
	}
	if found != nil {
		c := *found
		return &c, nil
	}
	return nil, errNotFound
}

func (f *fixture) EachLiveStory(ctx context.Context, fn func(*cms.LiveStory) error) error {
	f.mu.Lock()
	var all []*cms.LiveStory
	for _, s := range f.stories {
		c := *s
		all = append(all, &c)
	}
	f.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	for _, s := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

func (f *fixture) FindTags(ctx context.Context) ([]*cms.TagCount, error) { return nil, nil }

// ProjectService

func (f *fixture) FindProjectByID(ctx context.Context, id int64) (*cms.Project, error) {
	return nil, errNotFound
}

func (f *fixture) FindProjectBySlug(ctx context.Context, slug string) (*cms.Project, error) {
	return nil, errNotFound
}

func (f *fixture) FindProjects(ctx context.Context, flt cms.ProjectFilter) ([]*cms.Project, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return pageOf(f.projects, flt.Page), len(f.projects), nil
}

// Writes are not used by the site.

var errUnused = errors.New("fixture: not used by the site")

func (f *fixture) CreateProject(context.Context, *cms.Project) error { return errUnused }
func (f *fixture) UpdateProject(context.Context, int64, cms.ProjectUpdate) (*cms.Project, error) {
	return nil, errUnused
}
func (f *fixture) DeleteProject(context.Context, int64) error        { return errUnused }
func (f *fixture) CreateBrand(context.Context, *cms.Brand) error     { return errUnused }
func (f *fixture) UpdateBrand(context.Context, *cms.Brand) error     { return errUnused }
func (f *fixture) SavePage(context.Context, *cms.StandingPage) error { return errUnused }
func (f *fixture) DeletePage(context.Context, int64) error           { return errUnused }
func (f *fixture) UpdateSettings(context.Context, cms.SettingsUpdate) (*cms.Settings, error) {
	return nil, errUnused
}

func (f *fixture) FindBrands(ctx context.Context) ([]*cms.Brand, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.brands, nil
}

// PageService

func (f *fixture) FindPages(ctx context.Context) ([]*cms.StandingPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*cms.StandingPage(nil), f.pages...), nil
}

// SettingsService

func (f *fixture) FindSettings(ctx context.Context) (*cms.Settings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.settings
	return &c, nil
}

// BuildService

func (f *fixture) CreateBuild(ctx context.Context, b *cms.Build) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b.ID = int64(len(f.builds) + 1)
	c := *b
	f.builds = append(f.builds, &c)
	return nil
}

func (f *fixture) UpdateBuild(ctx context.Context, b *cms.Build) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b.ID < 1 || int(b.ID) > len(f.builds) {
		return errNotFound
	}
	c := *b
	f.builds[b.ID-1] = &c
	if f.started != nil && b.Status == cms.BuildRunning {
		select {
		case f.started <- b.ID:
		default:
		}
	}
	return nil
}

// watchStarts makes f report builds as they start; waitStarted reads the
// reports.
func (f *fixture) watchStarts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = make(chan int64, 1000)
}

// waitStarted waits until build id (or a later one) has started running.
func (f *fixture) waitStarted(t testing.TB, id int64) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case got := <-f.started:
			if got >= id {
				return
			}
		case <-timeout:
			t.Fatalf("build %d never started", id)
		}
	}
}

func (f *fixture) FindBuildByID(ctx context.Context, id int64) (*cms.Build, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id < 1 || int(id) > len(f.builds) {
		return nil, errNotFound
	}
	c := *f.builds[id-1]
	return &c, nil
}

func (f *fixture) FindBuilds(ctx context.Context, p cms.Page) ([]*cms.Build, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*cms.Build
	for i := len(f.builds) - 1; i >= 0; i-- {
		c := *f.builds[i]
		out = append(out, &c)
	}
	return pageOf(out, p), len(f.builds), nil
}
