package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

var _ cms.OverviewService = (*DB)(nil)

// The city overview (cms/overview.go). The highlights belong to the
// overview site and are scoped to it like any site-owned rows. What they
// point at — the other sites, their settings and their published stories —
// is read with cms.NewContextAllSites, on purpose and only in crossRead:
// the overview shows what the other sites publish, which is public, and
// nothing else of theirs.

type highlightRow struct {
	ID          int64
	SiteID      int64 // the overview site (sitescope.go)
	StorySiteID int64
	StoryID     int64
	Position    int
	CreatedBy   int64
	CreatedAt   time.Time
}

func (highlightRow) TableName() string { return "highlights" }

func (r *highlightRow) toCMS() *cms.Highlight {
	return &cms.Highlight{ID: r.ID, StorySiteID: r.StorySiteID, StoryID: r.StoryID, Position: r.Position, CreatedAt: r.CreatedAt}
}

// crossRead is the one handle that reads across sites: for the sites'
// directory, their live stories, and which overview sites highlight a
// story.
func (db *DB) crossRead(ctx context.Context) *gorm.DB {
	return db.read(cms.NewContextAllSites(ctx))
}

// requireOverview returns cms.ErrNoOverview unless the site ctx acts in
// has Overview on.
func requireOverview(ctx context.Context, tx *gorm.DB) error {
	var row siteRow
	if err := tx.Select("id, overview").Take(&row, siteCtx(ctx)).Error; err != nil {
		return notFound(err, "站点不存在")
	}
	if !row.Overview {
		return cms.ErrNoOverview()
	}
	return nil
}

// siteEntry is a site as the overview knows it.
type siteEntry struct {
	name, organizer, base string
}

// siteDirectory returns every site with its 主办单位 and where its pages are.
func (db *DB) siteDirectory(ctx context.Context) ([]int64, map[int64]siteEntry, error) {
	all := db.crossRead(ctx)
	var sites []siteRow
	if err := all.Order("id").Find(&sites).Error; err != nil {
		return nil, nil, err
	}
	var sets []settingsRow
	if err := all.Select("site_id, organizer, base_url").Find(&sets).Error; err != nil {
		return nil, nil, err
	}
	bySite := map[int64]settingsRow{}
	for _, s := range sets {
		bySite[s.SiteID] = s
	}
	ids := make([]int64, 0, len(sites))
	dir := make(map[int64]siteEntry, len(sites))
	for i := range sites {
		cs := sites[i].toCMS()
		set := bySite[cs.ID]
		ids = append(ids, cs.ID)
		dir[cs.ID] = siteEntry{name: cs.Name, organizer: strings.TrimSpace(set.Organizer), base: cms.SiteBase(set.BaseURL, cs.Hosts)}
	}
	return ids, dir, nil
}

// siteStoryJoin is one live story of some site, as the overview needs it.
type siteStoryJoin struct {
	SiteID       int64
	StoryID      int64
	Slug         string
	PublishedAt  time.Time
	Title        string
	Summary      string
	CoverMediaID *int64
	ProjectName  string
}

// siteStories selects live stories of any site: story_live and the
// revision it points to, never the working copy.
func siteStories(all *gorm.DB) *gorm.DB {
	return all.Table("story_live AS l").
		Joins("JOIN story_revisions r ON r.id = l.revision_id AND r.site_id = l.site_id").
		Joins("JOIN projects p ON p.id = l.project_id AND p.site_id = l.site_id")
}

const siteStoryColumns = "l.site_id, l.story_id, l.slug, l.published_at, r.title, r.summary, r.cover_media_id, p.name AS project_name"

// assembleSiteStories makes SiteStories of rows, with absolute links and
// cover URLs on each story's own site.
func (db *DB) assembleSiteStories(ctx context.Context, rows []siteStoryJoin, dir map[int64]siteEntry) ([]*cms.SiteStory, error) {
	var coverIDs []int64
	for _, r := range rows {
		if r.CoverMediaID != nil {
			coverIDs = append(coverIDs, *r.CoverMediaID)
		}
	}
	covers := map[int64]mediaRow{}
	if len(coverIDs) > 0 {
		var media []mediaRow
		if err := db.crossRead(ctx).Where("id IN ?", coverIDs).Find(&media).Error; err != nil {
			return nil, err
		}
		for _, m := range media {
			covers[m.ID] = m
		}
	}
	out := make([]*cms.SiteStory, len(rows))
	for i, r := range rows {
		site := dir[r.SiteID]
		st := &cms.SiteStory{SiteID: r.SiteID, SiteName: site.name, ID: r.StoryID, Slug: r.Slug, Title: r.Title,
			Summary: strings.TrimSpace(r.Summary), Project: r.ProjectName, PublishedAt: r.PublishedAt,
			URL: site.base + cms.StoryURL(r.Slug)}
		if r.CoverMediaID != nil {
			if m, ok := covers[*r.CoverMediaID]; ok && m.SiteID == r.SiteID {
				st.Cover = m.toCMS()
				for j := range st.Cover.Variants {
					if v := &st.Cover.Variants[j]; strings.HasPrefix(v.URL, "/") && !strings.HasPrefix(v.URL, "//") {
						v.URL = site.base + v.URL
					}
				}
			}
		}
		out[i] = st
	}
	return out, nil
}

// FindOverview returns the other sites and the live highlights of the
// overview site ctx acts in; nil for a site with Overview off.
func (db *DB) FindOverview(ctx context.Context) (o *cms.Overview, err error) {
	defer cms.Wrap(&err, "FindOverview")
	if err := requireOverview(ctx, db.read(ctx)); err != nil {
		if cms.ErrorCode(err) == cms.ECONFLICT {
			return nil, nil
		}
		return nil, err
	}
	ids, dir, err := db.siteDirectory(ctx)
	if err != nil {
		return nil, err
	}
	o = &cms.Overview{Sites: []*cms.OverviewSite{}, Highlights: []*cms.SiteStory{}}
	for _, id := range ids {
		if id == siteCtx(ctx) {
			continue
		}
		e := dir[id]
		s := &cms.OverviewSite{ID: id, Name: e.name, Organizer: e.organizer}
		if e.base != "" { // a site with neither base URL nor host name has no address to link to
			s.URL = e.base + "/"
		}
		o.Sites = append(o.Sites, s)
	}
	hs, err := db.findHighlights(ctx, dir)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if h.Story != nil {
			o.Highlights = append(o.Highlights, h.Story)
		}
	}
	return o, nil
}

// FindHighlightCandidates returns the other sites' published stories,
// newest first, those whose title contains f.Q.
func (db *DB) FindHighlightCandidates(ctx context.Context, f cms.HighlightFilter) (stories []*cms.SiteStory, total int, err error) {
	defer cms.Wrap(&err, "FindHighlightCandidates")
	if err := requireOverview(ctx, db.read(ctx)); err != nil {
		return nil, 0, err
	}
	_, dir, err := db.siteDirectory(ctx)
	if err != nil {
		return nil, 0, err
	}
	where := func(q *gorm.DB) *gorm.DB {
		q = q.Where("l.site_id <> ? AND l.site_id IN (SELECT id FROM sites)", siteCtx(ctx))
		if f.SiteID != 0 {
			q = q.Where("l.site_id = ?", f.SiteID)
		}
		if t := strings.TrimSpace(f.Q); t != "" {
			q = q.Where("r.title LIKE ? ESCAPE '!'", "%"+likeEscape(t)+"%")
		}
		return q
	}
	var n int64
	if err := where(siteStories(db.crossRead(ctx))).Count(&n).Error; err != nil {
		return nil, 0, err
	}
	p := f.Page.Normalize()
	var rows []siteStoryJoin
	if n > 0 {
		if err := where(siteStories(db.crossRead(ctx))).Select(siteStoryColumns).
			Order("l.published_at DESC, l.story_id DESC").Offset(p.Offset()).Limit(p.PerPage).Scan(&rows).Error; err != nil {
			return nil, 0, err
		}
	}
	stories, err = db.assembleSiteStories(ctx, rows, dir)
	return stories, int(n), err
}

// FindHighlights returns the highlights of the site ctx acts in.
func (db *DB) FindHighlights(ctx context.Context) (hs []*cms.Highlight, err error) {
	defer cms.Wrap(&err, "FindHighlights")
	if err := requireOverview(ctx, db.read(ctx)); err != nil {
		return nil, err
	}
	return db.highlights(ctx)
}

// highlights is findHighlights with the site directory read first.
func (db *DB) highlights(ctx context.Context) ([]*cms.Highlight, error) {
	_, dir, err := db.siteDirectory(ctx)
	if err != nil {
		return nil, err
	}
	return db.findHighlights(ctx, dir)
}

func (db *DB) findHighlights(ctx context.Context, dir map[int64]siteEntry) ([]*cms.Highlight, error) {
	var rows []highlightRow
	if err := db.read(ctx).Order("position, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	hs := make([]*cms.Highlight, len(rows))
	if len(rows) == 0 {
		return hs, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.StoryID
		hs[i] = r.toCMS()
	}
	var live []siteStoryJoin
	if err := siteStories(db.crossRead(ctx)).Select(siteStoryColumns).Where("l.story_id IN ?", ids).Scan(&live).Error; err != nil {
		return nil, err
	}
	stories, err := db.assembleSiteStories(ctx, live, dir)
	if err != nil {
		return nil, err
	}
	type key struct{ site, story int64 }
	by := map[key]*cms.SiteStory{}
	for _, st := range stories {
		by[key{st.SiteID, st.ID}] = st
	}
	for _, h := range hs {
		if h.StorySiteID != siteCtx(ctx) {
			h.Story = by[key{h.StorySiteID, h.StoryID}]
		}
	}
	return hs, nil
}

// AddHighlight appends story storyID of site siteID to the highlights.
func (db *DB) AddHighlight(ctx context.Context, siteID, storyID int64) (h *cms.Highlight, err error) {
	defer cms.Wrap(&err, "AddHighlight(%d, %d)", siteID, storyID)
	a := actorOf(ctx)
	var row highlightRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := requireOverview(ctx, tx); err != nil {
			return err
		}
		if siteID == siteCtx(ctx) {
			return cms.Invalid(map[string]string{"site_id": "全市服务品牌只能选用其他站点（各区县）的稿件"})
		}
		if live, err := anyRow(tx.WithContext(cms.NewContextAllSites(ctx)).Table("story_live").
			Where("site_id = ? AND story_id = ?", siteID, storyID)); err != nil {
			return err
		} else if !live {
			return cms.Invalid(map[string]string{"story_id": "该稿件不存在或未在所选站点发布"})
		}
		var last struct{ N *int }
		if err := tx.Model(&highlightRow{}).Select("MAX(position) AS n").Scan(&last).Error; err != nil {
			return err
		}
		row = highlightRow{StorySiteID: siteID, StoryID: storyID, Position: 1, CreatedBy: a.id, CreatedAt: db.now()}
		if last.N != nil {
			row.Position = *last.N + 1
		}
		if err := tx.Create(&row).Error; err != nil {
			if _, dup := uniqueViolation(err); dup {
				return cms.Invalid(map[string]string{"story_id": "该稿件已在全市服务品牌中"})
			}
			return err
		}
		return db.audit(tx, a, event{action: "highlight.add", object: object("highlight", row.ID), after: row.toCMS(),
			detail: "站点 " + strconv.FormatInt(siteID, 10) + " 稿件 " + strconv.FormatInt(storyID, 10)})
	})
	if err != nil {
		return nil, err
	}
	hs, err := db.highlights(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range hs {
		if x.ID == row.ID {
			return x, nil
		}
	}
	return row.toCMS(), nil
}

// FindHighlightingSites returns the overview sites highlighting story
// storyID of the site ctx acts in.
func (db *DB) FindHighlightingSites(ctx context.Context, storyID int64) (ids []int64, err error) {
	defer cms.Wrap(&err, "FindHighlightingSites(%d)", storyID)
	ids = []int64{}
	err = db.crossRead(ctx).Model(&highlightRow{}).Where("story_site_id = ? AND story_id = ?", siteCtx(ctx), storyID).
		Distinct().Order("site_id").Pluck("site_id", &ids).Error
	return ids, err
}

// RemoveHighlight takes highlight id off the page.
func (db *DB) RemoveHighlight(ctx context.Context, id int64) (err error) {
	defer cms.Wrap(&err, "RemoveHighlight(%d)", id)
	a := actorOf(ctx)
	return db.tx(ctx, func(tx *gorm.DB) error {
		var row highlightRow
		if err := tx.Take(&row, id).Error; err != nil {
			return notFound(err, "全市服务品牌中没有这篇稿件")
		}
		if err := tx.Delete(&highlightRow{}, row.ID).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "highlight.remove", object: object("highlight", row.ID), before: row.toCMS(),
			detail: "站点 " + strconv.FormatInt(row.StorySiteID, 10) + " 稿件 " + strconv.FormatInt(row.StoryID, 10)})
	})
}

// ReorderHighlights puts the highlights in the order of ids.
func (db *DB) ReorderHighlights(ctx context.Context, ids []int64) (hs []*cms.Highlight, err error) {
	defer cms.Wrap(&err, "ReorderHighlights")
	a := actorOf(ctx)
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := requireOverview(ctx, tx); err != nil {
			return err
		}
		var rows []highlightRow
		if err := tx.Order("position, id").Find(&rows).Error; err != nil {
			return err
		}
		pos := make(map[int64]int, len(ids))
		for i, id := range ids {
			if _, dup := pos[id]; dup {
				return cms.Invalid(map[string]string{"ids": "排序中有重复的条目"})
			}
			pos[id] = i + 1
		}
		if len(ids) != len(rows) {
			return cms.Invalid(map[string]string{"ids": "排序须包含全市服务品牌中的每一条，且只列一次；请刷新后再排"})
		}
		before := make([]int64, len(rows))
		for i, r := range rows {
			before[i] = r.ID
			if _, ok := pos[r.ID]; !ok {
				return cms.Invalid(map[string]string{"ids": "排序须包含全市服务品牌中的每一条，且只列一次；请刷新后再排"})
			}
		}
		for _, r := range rows {
			if r.Position == pos[r.ID] {
				continue
			}
			if err := tx.Model(&highlightRow{}).Where("id = ?", r.ID).Update("position", pos[r.ID]).Error; err != nil {
				return err
			}
		}
		return db.audit(tx, a, event{action: "highlight.reorder", object: "highlights", before: before, after: ids,
			detail: "调整全市服务品牌顺序"})
	})
	if err != nil {
		return nil, err
	}
	return db.highlights(ctx)
}
