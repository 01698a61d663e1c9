package store

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// eachBatch is how many live stories EachLiveStory holds in memory at once.
const eachBatch = 500

// liveJoin is one live story as read from story_live joined with its
// revision and project.
type liveJoin struct {
	StoryID      int64
	Version      int
	Slug         string
	PublishedAt  time.Time
	LiveAt       time.Time
	Title        string
	ShareTitle   string
	Summary      string
	Body         string
	CoverMediaID *int64
	Tags         string
	Author       string
	Source       string
	ProjectID    int64
	ProjectSlug  string
	ProjectName  string
	ProjectKind  string
	ProjectArea  string
}

const liveColumns = "l.story_id, l.version, l.slug, l.published_at, l.live_at, " +
	"r.title, r.share_title, r.summary, r.body, r.cover_media_id, r.tags, r.author, r.source, " +
	"p.id AS project_id, p.slug AS project_slug, p.name AS project_name, p.kind AS project_kind, p.area AS project_area"

// liveQuery selects live stories. Everything public comes from story_live
// and the revision it points to, never from the working copy, so drafts
// and pending edits cannot leak.
func liveQuery(tx *gorm.DB) *gorm.DB {
	return tx.Table("story_live AS l").Select(liveColumns).
		Joins("JOIN story_revisions r ON r.id = l.revision_id").
		Joins("JOIN projects p ON p.id = l.project_id")
}

// livePage selects the ids of live stories matching f, with the order
// columns to sort them newest first. It reads only narrow, indexed tables:
// story_live, or for a tag story_tags, whose (tag, published_at, story_id)
// index yields a tag's page in order without sorting. Other filters are
// subqueries, so counting needs no joins.
func livePage(tx *gorm.DB, f cms.ContentFilter) (q *gorm.DB, order string) {
	at := "l.published_at"
	if f.Tag != "" {
		q = tx.Table("story_tags AS t").Joins("JOIN story_live l ON l.story_id = t.story_id").Where("t.tag = ?", f.Tag)
		at, order = "t.published_at", "t.published_at DESC, t.story_id DESC"
	} else {
		q = tx.Table("story_live AS l")
		order = "l.published_at DESC, l.story_id DESC"
	}
	if f.Project != "" {
		q = q.Where("l.project_id IN (SELECT id FROM projects WHERE site_id = ? AND slug = ?)", siteOf(tx), f.Project)
	}
	if f.Kind != "" {
		q = q.Where("l.project_id IN (SELECT id FROM projects WHERE site_id = ? AND kind = ?)", siteOf(tx), string(f.Kind))
	}
	if f.Area != "" {
		q = q.Where("l.project_id IN (SELECT id FROM projects WHERE site_id = ? AND area = ?)", siteOf(tx), string(f.Area))
	}
	if f.Q != "" {
		cond, args := searchClause(tx, f.Q)
		q = q.Where(cond, args...)
	}
	if f.Since != nil {
		q = q.Where(at+" >= ?", utc(*f.Since))
	}
	if f.Until != nil {
		q = q.Where(at+" < ?", utc(*f.Until))
	}
	return q, order
}

// FindLiveStories returns a page of live stories, newest publication first.
func (db *DB) FindLiveStories(ctx context.Context, f cms.ContentFilter) (stories []*cms.LiveStory, total int, err error) {
	defer cms.Wrap(&err, "FindLiveStories")
	tx := db.read(ctx)
	var n int64
	q, order := livePage(tx, f)
	if err := q.Count(&n).Error; err != nil {
		return nil, 0, err
	}
	p := f.Page.Normalize()
	offset := p.Offset()
	if f.After != nil {
		offset = 0
	}
	if n == 0 || offset >= int(n) {
		return []*cms.LiveStory{}, int(n), nil
	}
	// Pick the page from the narrow story_live table first, then join the
	// revisions (with their bodies) for those rows only: sorting thousands
	// of joined rows would drag every body through the sorter.
	var ids []int64
	q, _ = livePage(tx, f)
	if f.After != nil {
		q = afterCursor(q, f)
	}
	if err := q.Order(order).Offset(offset).Limit(p.PerPage).Pluck("l.story_id", &ids).Error; err != nil {
		return nil, 0, err
	}
	if len(ids) == 0 {
		return []*cms.LiveStory{}, int(n), nil
	}
	var rows []liveJoin
	if err := liveQuery(tx).Where("l.story_id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(rows, func(a, b liveJoin) int { return pos[a.StoryID] - pos[b.StoryID] })
	stories, err = assembleLive(tx, rows)
	return stories, int(n), err
}

// FindLiveStoryBySlug returns the live story with that slug. A slug the
// story was published under before also finds it; the returned Slug is then
// the current one, so callers can redirect.
func (db *DB) FindLiveStoryBySlug(ctx context.Context, slug string) (s *cms.LiveStory, err error) {
	defer cms.Wrap(&err, "FindLiveStoryBySlug(%q)", slug)
	tx := db.read(ctx)
	var rows []liveJoin
	if err := liveQuery(tx).Where("l.slug = ?", slug).Limit(1).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		if err := liveQuery(tx).Where("l.story_id IN (SELECT story_id FROM story_slugs WHERE site_id = ? AND slug = ?)", siteOf(tx), slug).
			Limit(1).Scan(&rows).Error; err != nil {
			return nil, err
		}
	}
	if len(rows) == 0 {
		return nil, cms.Errorf(cms.ENOTFOUND, "稿件不存在或未发布")
	}
	out, err := assembleLive(tx, rows)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// EachLiveStory calls fn for every live story in id order, reading batches
// by keyset so a large site never sits in memory at once.
func (db *DB) EachLiveStory(ctx context.Context, fn func(*cms.LiveStory) error) (err error) {
	defer cms.Wrap(&err, "EachLiveStory")
	tx := db.read(ctx)
	var after int64
	for {
		var rows []liveJoin
		if err := liveQuery(tx).Where("l.story_id > ?", after).Order("l.story_id").
			Limit(eachBatch).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		stories, err := assembleLive(tx, rows)
		if err != nil {
			return err
		}
		for _, s := range stories {
			if err := fn(s); err != nil {
				return err
			}
		}
		if len(rows) < eachBatch {
			return nil
		}
		after = rows[len(rows)-1].StoryID
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// FindTags returns every tag of a live story with its count, most used first.
func (db *DB) FindTags(ctx context.Context) (tags []*cms.TagCount, err error) {
	defer cms.Wrap(&err, "FindTags")
	var rows []struct {
		Tag string
		N   int
	}
	if err := db.read(ctx).Table("story_tags").Select("tag, COUNT(*) AS n").Group("tag").
		Order("n DESC, tag").Scan(&rows).Error; err != nil {
		return nil, err
	}
	tags = make([]*cms.TagCount, len(rows))
	for i, r := range rows {
		tags[i] = &cms.TagCount{Name: r.Tag, Count: r.N}
	}
	return tags, nil
}

// assembleLive turns joined rows into LiveStories, loading covers and old
// slugs for the whole batch in one query each.
func assembleLive(tx *gorm.DB, rows []liveJoin) ([]*cms.LiveStory, error) {
	ids := make([]int64, len(rows))
	var coverIDs []int64
	images := make([][]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.StoryID
		if r.CoverMediaID != nil {
			coverIDs = append(coverIDs, *r.CoverMediaID)
		}
		images[i] = bodyMediaIDs(r.Body)
		coverIDs = append(coverIDs, images[i]...)
	}
	covers := map[int64]*cms.Media{}
	if len(coverIDs) > 0 {
		var media []mediaRow
		if err := tx.Where("id IN ?", coverIDs).Find(&media).Error; err != nil {
			return nil, err
		}
		for i := range media {
			covers[media[i].ID] = media[i].toCMS()
		}
	}
	var slugs []slugRow
	if err := tx.Where("story_id IN ?", ids).Order("id").Find(&slugs).Error; err != nil {
		return nil, err
	}
	old := map[int64][]string{}
	for _, s := range slugs {
		old[s.StoryID] = append(old[s.StoryID], s.Slug)
	}
	out := make([]*cms.LiveStory, len(rows))
	for i, r := range rows {
		s := &cms.LiveStory{
			ID: r.StoryID, Slug: r.Slug, Title: r.Title, ShareTitle: r.ShareTitle, Summary: r.Summary,
			Body: r.Body, Tags: decodeTags(r.Tags), Author: r.Author, Source: r.Source, Version: r.Version,
			PublishedAt: r.PublishedAt, UpdatedAt: r.LiveAt, URL: cms.StoryURL(r.Slug), ShortURL: cms.ShortURL(r.StoryID),
			Project: cms.ProjectRef{ID: r.ProjectID, Slug: r.ProjectSlug, Name: r.ProjectName,
				Kind: cms.ProjectKind(r.ProjectKind), Area: cms.Area(r.ProjectArea), URL: cms.ProjectURL(r.ProjectSlug)},
			OldSlugs: []string{},
		}
		if r.CoverMediaID != nil {
			s.Cover = covers[*r.CoverMediaID]
		}
		s.Images = make([]*cms.Media, 0, len(images[i]))
		for _, id := range images[i] {
			if m := covers[id]; m != nil {
				s.Images = append(s.Images, m)
			}
		}
		for _, o := range old[r.StoryID] {
			if o != r.Slug {
				s.OldSlugs = append(s.OldSlugs, o)
			}
		}
		out[i] = s
	}
	return out, nil
}

// afterCursor narrows a livePage query to the rows after f.After in its order.
func afterCursor(q *gorm.DB, f cms.ContentFilter) *gorm.DB {
	at, id := "l.published_at", "l.story_id"
	if f.Tag != "" {
		at, id = "t.published_at", "t.story_id"
	}
	t := utc(f.After.PublishedAt)
	return q.Where("("+at+" < ? OR ("+at+" = ? AND "+id+" < ?))", t, t, f.After.ID)
}

// bodyMediaIDs returns the distinct media ids in body, in order; at most
// 200, which bounds the media one page of stories loads.
func bodyMediaIDs(body string) []int64 {
	ids := markup.MediaIDs(body)
	return ids[:min(len(ids), 200)]
}
