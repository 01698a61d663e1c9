package store

import (
	"context"
	"strings"

	"github.com/huimin/huimin/cms"
)

var _ cms.SitePageService = (*DB)(nil)

// sitePageSections are the list pages every build has (config.toml, the
// theme's home outputs).
var sitePageSections = []cms.SitePage{
	{Path: "/", Title: "首页"}, {Path: "/stories/", Title: "全部稿件"}, {Path: "/projects/", Title: "品牌项目"},
	{Path: "/tags/", Title: "专题"}, {Path: "/archive/", Title: "归档"}, {Path: "/search/", Title: "搜索"},
	{Path: "/ranking/", Title: "排行"},
}

// FindSitePages lists the pages of the published site the reach statistics
// count: the section lists, live stories, projects, the tags of live
// stories and standing pages. Four narrow queries, one per kind.
func (db *DB) FindSitePages(ctx context.Context) (pages []cms.SitePage, err error) {
	defer cms.Wrap(&err, "FindSitePages")
	r := db.read(ctx)
	pages = append(pages, sitePageSections...)
	var stories []struct {
		StoryID   int64
		Slug      string
		ProjectID int64
		Title     string
	}
	if err := r.Table("story_live AS l").Select("l.story_id, l.slug, l.project_id, v.title").
		Joins("JOIN story_revisions v ON v.id = l.revision_id").Scan(&stories).Error; err != nil {
		return nil, err
	}
	for _, s := range stories {
		pages = append(pages, cms.SitePage{Path: cms.StoryURL(s.Slug), Title: s.Title, StoryID: s.StoryID, ProjectID: s.ProjectID})
	}
	var projects []projectRow
	if err := r.Select("id, slug, name").Find(&projects).Error; err != nil {
		return nil, err
	}
	for _, p := range projects {
		pages = append(pages, cms.SitePage{Path: cms.ProjectURL(p.Slug), Title: p.Name, ProjectID: p.ID})
	}
	var tags []string
	if err := r.Model(&tagRow{}).Distinct("tag").Pluck("tag", &tags).Error; err != nil {
		return nil, err
	}
	for _, t := range tags {
		pages = append(pages, cms.SitePage{Path: "/tags/" + urlizeTag(t) + "/", Title: t})
	}
	var standing []pageRow
	if err := r.Select("slug, title").Find(&standing).Error; err != nil {
		return nil, err
	}
	for _, p := range standing {
		pages = append(pages, cms.SitePage{Path: cms.PageURL(p.Slug), Title: p.Title})
	}
	return pages, nil
}

// urlizeTag approximates Hugo's urlize for a term's path: lower case,
// spaces as hyphens.
func urlizeTag(t string) string {
	return strings.ToLower(strings.Join(strings.Fields(t), "-"))
}
