package inspect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// allProjects pages through every project.
func allProjects(ctx context.Context, ps cms.ProjectService) ([]*cms.Project, error) {
	var out []*cms.Project
	for page := 1; ; page++ {
		got, total, err := ps.FindProjects(ctx, cms.ProjectFilter{Page: cms.Page{Page: page, PerPage: 100}})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(got) == 0 || len(out) >= total {
			return out, nil
		}
	}
}

// Sections returns the freshness of the home page, every project, every
// tag used as 栏目 and every standing page, as of now.
func (in *Inspector) Sections(ctx context.Context, stories []*cms.LiveStory, pages []*cms.StandingPage) ([]Section, error) {
	set, err := in.Store.FindInspectionSettings(ctx)
	if err != nil {
		return nil, err
	}
	projects, err := allProjects(ctx, in.Projects)
	if err != nil {
		return nil, err
	}
	now := in.now()
	type acc struct {
		n    int
		last *cms.LiveStory
	}
	lists := map[string]*acc{}
	note := func(key string, s *cms.LiveStory) {
		a := lists[key]
		if a == nil {
			a = &acc{}
			lists[key] = a
		}
		a.n++
		if a.last == nil || s.PublishedAt.After(a.last.PublishedAt) {
			a.last = s
		}
	}
	// A story of a sub-project shows on its parent's page too.
	byID := map[int64]*cms.Project{}
	for _, p := range projects {
		byID[p.ID] = p
	}
	for _, s := range stories {
		note("home", s)
		seen := map[int64]bool{}
		for p := byID[s.Project.ID]; p != nil && !seen[p.ID]; {
			seen[p.ID] = true
			note("project:"+p.Slug, s)
			if p.ParentID == nil {
				break
			}
			p = byID[*p.ParentID]
		}
		if byID[s.Project.ID] == nil && s.Project.Slug != "" {
			note("project:"+s.Project.Slug, s)
		}
		for _, t := range s.Tags {
			if slices.Contains(set.ColumnTags, t) {
				note("tag:"+t, s)
			}
		}
	}
	isNews := func(key string) bool {
		if slices.Contains(set.NewsLists, key) {
			return true
		}
		if slices.Contains(set.OtherLists, key) {
			return false
		}
		return key == "home" || strings.HasPrefix(key, "project:")
	}
	var out []Section
	add := func(key, name, url string) {
		sec := Section{Key: key, Name: name, URL: url, News: isNews(key)}
		sec.LimitDays = set.OtherDays
		if sec.News {
			sec.LimitDays = set.NewsDays
		}
		a := lists[key]
		if a == nil || a.last == nil {
			sec.State = "blank"
			out = append(out, sec)
			return
		}
		last := a.last.PublishedAt
		due := last.AddDate(0, 0, sec.LimitDays)
		sec.Stories, sec.LastPublished, sec.LastStory, sec.DueAt = a.n, &last, a.last.Title, &due
		sec.AgeDays = int(now.Sub(last).Hours() / 24)
		if by, err := in.Store.LastPublisher(ctx, a.last.ID); err == nil && by != "" {
			sec.LastBy = by
		} else {
			sec.LastBy = a.last.Author
		}
		switch {
		case now.After(due):
			sec.State = "stale"
		case now.After(due.AddDate(0, 0, -set.WarnDays)):
			sec.State = "soon"
		default:
			sec.State = "ok"
		}
		out = append(out, sec)
	}
	add("home", "首页", "/")
	for _, p := range projects {
		key := "project:" + p.Slug
		if lists[key] == nil && strings.TrimSpace(markup.Text(p.Intro)+p.Summary) != "" {
			continue // no stories yet, but a page with content (a sub-team's): not a blank list
		}
		add(key, "项目「"+p.Name+"」", cms.ProjectURL(p.Slug))
	}
	for _, t := range set.ColumnTags {
		add("tag:"+t, "专题「"+t+"」", "")
	}
	for _, p := range pages {
		sec := Section{Key: "page:" + p.Slug, Name: "常设页面「" + p.Title + "」", URL: "/" + p.Slug + "/", State: "ok"}
		if strings.TrimSpace(markup.Text(p.Body)) == "" && !strings.Contains(strings.ToLower(p.Body), "<img") {
			sec.State = "blank"
		}
		out = append(out, sec)
	}
	return out, nil
}

func (in *Inspector) freshness(ctx context.Context, r *Report, stories []*cms.LiveStory, pages []*cms.StandingPage) error {
	secs, err := in.Sections(ctx, stories, pages)
	if err != nil {
		return err
	}
	r.Sections = secs
	r.Checked = append(r.Checked, "freshness")
	for _, s := range secs {
		kind := "其他栏目"
		if s.News {
			kind = "动态类栏目"
		}
		if s.Key == "home" {
			kind = "首页"
		}
		switch s.State {
		case "blank":
			r.BlankColumns++
			it := Item{Category: CatFreshness, Level: LevelDeduct, Indicator: "空白栏目", Where: s.Name + " " + s.URL}
			if strings.HasPrefix(s.Key, "page:") {
				it.Found = "常设页面没有内容"
				it.Fix = "在管理后台“常设页面”中补充内容，或删去该页面"
			} else {
				it.Found = "栏目中没有任何已发布的稿件"
				it.Fix = "发布该栏目的稿件，或撤下该栏目"
			}
			r.Items = append(r.Items, it)
		case "stale":
			r.StaleColumns++
			r.Items = append(r.Items, Item{Category: CatFreshness, Level: LevelVeto,
				Indicator: fmt.Sprintf("%s超过%d天未更新", kind, s.LimitDays),
				Found: fmt.Sprintf("最近一篇稿件《%s》发布于 %s（%s发布），已 %d 天未更新", s.LastStory,
					s.LastPublished.In(cst).Format("2006-01-02"), s.LastBy, s.AgeDays),
				Where: strings.TrimSpace(s.Name + " " + s.URL),
				Fix:   "尽快在该栏目发布新稿件；不再更新的栏目应撤下或归入其他栏目（体检设置中可调整栏目类型）"})
		case "soon":
			r.Items = append(r.Items, Item{Category: CatFreshness, Level: LevelWarning,
				Indicator: fmt.Sprintf("%s即将超过%d天未更新", kind, s.LimitDays),
				Found: fmt.Sprintf("最近一篇稿件《%s》发布于 %s（%s发布），%s 前须有新稿件", s.LastStory,
					s.LastPublished.In(cst).Format("2006-01-02"), s.LastBy, s.DueAt.In(cst).Format("2006-01-02")),
				Where: strings.TrimSpace(s.Name + " " + s.URL),
				Fix:   "在期限前发布该栏目的新稿件"})
		}
	}
	// 空白栏目 beyond five fail the inspection on their own.
	if r.BlankColumns > 5 {
		r.Items = append(r.Items, Item{Category: CatFreshness, Level: LevelVeto, Indicator: "空白栏目数量超过5个",
			Found: fmt.Sprintf("共有 %d 个空白栏目", r.BlankColumns), Where: "全站",
			Fix: "为空白栏目补充内容或撤下这些栏目"})
	}
	return nil
}
