package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// insertBatch bounds rows per INSERT: about twenty columns times this stays
// far below the placeholder limits of SQLite (32766) and MySQL (65535).
const insertBatch = 200

// importItem is one import line that passed validation.
type importItem struct {
	index   int
	story   cms.Story
	project string
	publish bool
	// givenSlug is true when the line named its slug: a taken one is then
	// an error rather than something to suffix.
	givenSlug bool
}

// ImportStories saves a batch in one transaction with bulk inserts. Items
// that fail validation get an error in the returned slice (index for index)
// and are skipped; the rest are saved. Unknown project slugs create a
// project (window kind, community area, the slug as its name) for an admin
// to complete later. Published items go live at once, signed off by the
// acting user or "system".
func (db *DB) ImportStories(ctx context.Context, items []*cms.ImportStory) (errs []error, err error) {
	defer cms.Wrap(&err, "ImportStories(%d items)", len(items))
	errs = make([]error, len(items))
	now := db.now()
	var valid []*importItem
	for i, it := range items {
		p, err := prepareImport(it, now)
		if err != nil {
			errs[i] = err
			continue
		}
		p.index = i
		valid = append(valid, p)
	}
	if len(valid) == 0 {
		return errs, nil
	}
	a := actorOf(ctx)
	late := make([]error, len(items)) // failures found inside the transaction
	err = db.txSlug(ctx, true, func(tx *gorm.DB) error {
		clear(late)
		projects, err := db.importProjects(tx, a, valid)
		if err != nil {
			return err
		}
		keep, err := assignImportSlugs(tx, valid, late)
		if err != nil {
			return err
		}
		if len(keep) == 0 {
			return nil
		}
		for _, it := range keep {
			it.story.ProjectID = projects[it.project]
		}
		return db.insertImported(tx, a, keep, now)
	})
	if err != nil {
		return errs, err
	}
	for i, e := range late {
		if e != nil {
			errs[i] = e
		}
	}
	return errs, nil
}

// prepareImport normalises and validates one line without touching the
// database, so the write lock is not held for sanitising bodies.
func prepareImport(it *cms.ImportStory, now time.Time) (*importItem, error) {
	if it == nil {
		return nil, cms.Invalid(map[string]string{"title": "空记录"})
	}
	s := cms.Story{Title: it.Title, Slug: it.Slug, Summary: it.Summary, Body: it.Body, Tags: it.Tags,
		Author: it.Author, Source: it.Source, PublishedAt: utcPtr(it.PublishedAt), ProjectID: 1}
	normalizeStory(&s)
	fields := map[string]string{}
	collect(fields, validateStory(&s))
	delete(fields, "project_id")
	project := strings.TrimSpace(it.Project)
	switch {
	case project == "":
		fields["project"] = "请填写所属项目的链接名"
	case !cms.SlugPattern.MatchString(project) || len(project) > maxSlugLen:
		fields["project"] = "项目链接名只能包含小写字母、数字和连字符，且不超过100个字符"
	}
	publish := false
	switch strings.TrimSpace(it.Status) {
	case "", string(cms.StatusDraft):
	case string(cms.StatusPublished):
		publish = true
	default:
		fields["status"] = "状态只能是 published（已发布）或 draft（草稿）"
	}
	if s.PublishedAt != nil && s.PublishedAt.Year() < 1900 {
		fields["published_at"] = "发布时间无效"
	}
	if len(fields) > 0 {
		return nil, cms.Invalid(fields)
	}
	if publish && s.PublishedAt == nil {
		t := now
		s.PublishedAt = &t
	}
	return &importItem{story: s, project: project, publish: publish, givenSlug: s.Slug != ""}, nil
}

// importProjects returns the id of every project the items name, creating
// the missing ones once.
func (db *DB) importProjects(tx *gorm.DB, a actor, items []*importItem) (map[string]int64, error) {
	var slugs []string
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.project] {
			seen[it.project] = true
			slugs = append(slugs, it.project)
		}
	}
	var rows []projectRow
	if err := tx.Select("id, slug").Where("slug IN ?", slugs).Find(&rows).Error; err != nil {
		return nil, err
	}
	ids := make(map[string]int64, len(slugs))
	for _, r := range rows {
		ids[r.Slug] = r.ID
	}
	for _, s := range slugs {
		if _, ok := ids[s]; ok {
			continue
		}
		name := s // ASCII, as the slug pattern guarantees
		if len(name) > 60 {
			name = name[:60]
		}
		row, err := db.insertProject(tx, &cms.Project{Name: name, Slug: s, Kind: cms.KindWindow, Area: "community"}, a)
		if err != nil {
			return nil, err
		}
		ids[s] = row.ID
	}
	return ids, nil
}

// assignImportSlugs gives every item a free slug. A given slug that is
// taken fails its item (recorded in errs); derived slugs get a suffix.
// Items whose title yields no slug get a placeholder, replaced by
// story-<id> after insertion. It returns the items to save.
func assignImportSlugs(tx *gorm.DB, items []*importItem, errs []error) ([]*importItem, error) {
	var want []string
	for _, it := range items {
		if !it.givenSlug { // (re)derive: this may be a retry
			it.story.Slug = baseSlug(it.story.Title)
		}
		if it.story.Slug != "" {
			want = append(want, it.story.Slug)
		}
	}
	taken, err := takenStorySlugs(tx, want)
	if err != nil {
		return nil, err
	}
	reserved := map[string]bool{}
	keep := items[:0:0]
	for _, it := range items {
		s := it.story.Slug
		switch {
		case it.givenSlug:
			if taken[s] || reserved[s] {
				errs[it.index] = slugConflict()
				continue
			}
		case s == "":
			s = placeholderSlug()
		case taken[s] || reserved[s]:
			if s, err = storySlugs.unique(tx, s, 0, reserved); err != nil {
				return nil, err
			}
		}
		reserved[s] = true
		it.story.Slug = s
		keep = append(keep, it)
	}
	return keep, nil
}

// takenStorySlugs returns which of slugs are used now or were published before.
func takenStorySlugs(tx *gorm.DB, slugs []string) (map[string]bool, error) {
	taken := map[string]bool{}
	for start := 0; start < len(slugs); start += 500 {
		chunk := slugs[start:min(start+500, len(slugs))]
		for _, table := range []string{"stories", "story_slugs"} {
			var got []string
			if err := tx.Table(table).Where("slug IN ?", chunk).Pluck("slug", &got).Error; err != nil {
				return nil, err
			}
			for _, s := range got {
				taken[s] = true
			}
		}
	}
	return taken, nil
}

// insertImported bulk-inserts the stories, their first revisions and, for
// published ones, what makes them live, plus one audit event each.
func (db *DB) insertImported(tx *gorm.DB, a actor, items []*importItem, now time.Time) error {
	rows := make([]storyRow, len(items))
	slugs := make([]string, len(items))
	for i, it := range items {
		s := &it.story
		s.Status, s.Version, s.CreatedBy, s.CreatedAt, s.UpdatedAt = cms.StatusDraft, 1, a.id, now, now
		if it.publish {
			s.Status, s.LiveVersion = cms.StatusPublished, 1
		}
		rows[i] = storyRowOf(s)
		slugs[i] = s.Slug
	}
	if err := tx.CreateInBatches(&rows, insertBatch).Error; err != nil {
		return err
	}
	// Read ids back by slug rather than trusting driver-reported ids of
	// multi-row inserts, which MySQL does not guarantee to be consecutive.
	ids, err := storyIDsBySlug(tx, slugs)
	if err != nil {
		return err
	}
	storyIDs := make([]int64, len(rows))
	for i := range rows {
		rows[i].ID = ids[rows[i].Slug]
		storyIDs[i] = rows[i].ID
		if strings.HasPrefix(rows[i].Slug, "pending-") {
			if err := db.setIDSlug(tx, &rows[i]); err != nil {
				return err
			}
		}
	}
	revs := make([]revisionRow, len(rows))
	for i := range rows {
		revs[i] = revisionOf(&rows[i], a, now)
	}
	if err := tx.CreateInBatches(&revs, insertBatch).Error; err != nil {
		return err
	}
	revIDs, err := revisionIDs(tx, storyIDs)
	if err != nil {
		return err
	}
	var live []liveRow
	var tags []tagRow
	var slugRows []slugRow
	var signOffs []signOffRow
	audits := make([]auditRow, 0, len(rows))
	for i, it := range items {
		r := &rows[i]
		detail := "导入为草稿"
		if it.publish {
			detail = "导入并发布"
			live = append(live, liveRow{StoryID: r.ID, RevisionID: revIDs[r.ID], Version: 1, Slug: r.Slug,
				ProjectID: r.ProjectID, PublishedAt: *r.PublishedAt, LiveAt: now})
			tags = append(tags, tagRows(r.ID, it.story.Tags, *r.PublishedAt)...)
			slugRows = append(slugRows, slugRow{StoryID: r.ID, Slug: r.Slug, CreatedAt: now})
			signOffs = append(signOffs, signOffRow{StoryID: r.ID, Version: 1, Action: string(cms.ActionPublish),
				FromStatus: string(cms.StatusDraft), ToStatus: string(cms.StatusPublished), ActorID: a.id,
				ActorName: a.name, Comment: "导入", CreatedAt: now})
		}
		audits = append(audits, auditRow{ActorID: a.id, ActorName: a.name, Action: "story.import",
			Object: object("story", r.ID), AfterDigest: digest(r.toCMS()), Detail: detail, CreatedAt: now})
	}
	if err := createAll(tx, live); err != nil {
		return err
	}
	if err := indexImported(tx, items, revs); err != nil {
		return err
	}
	if err := createAll(tx, tags); err != nil {
		return err
	}
	if err := createAll(tx, slugRows); err != nil {
		return err
	}
	if err := createAll(tx, signOffs); err != nil {
		return err
	}
	return createAll(tx, audits)
}

// createAll bulk-inserts rows, if any.
func createAll[T any](tx *gorm.DB, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.CreateInBatches(&rows, insertBatch).Error
}

func storyIDsBySlug(tx *gorm.DB, slugs []string) (map[string]int64, error) {
	ids := make(map[string]int64, len(slugs))
	for start := 0; start < len(slugs); start += 500 {
		var got []storyRow
		if err := tx.Select("id, slug").Where("slug IN ?", slugs[start:min(start+500, len(slugs))]).
			Find(&got).Error; err != nil {
			return nil, err
		}
		for _, r := range got {
			ids[r.Slug] = r.ID
		}
	}
	return ids, nil
}

// revisionIDs maps each story to the id of its first revision.
func revisionIDs(tx *gorm.DB, storyIDs []int64) (map[int64]int64, error) {
	ids := make(map[int64]int64, len(storyIDs))
	for start := 0; start < len(storyIDs); start += 500 {
		var got []revisionRow
		if err := tx.Select("id, story_id").Where("story_id IN ? AND version = 1", storyIDs[start:min(start+500, len(storyIDs))]).
			Find(&got).Error; err != nil {
			return nil, err
		}
		for _, r := range got {
			ids[r.StoryID] = r.ID
		}
	}
	return ids, nil
}
