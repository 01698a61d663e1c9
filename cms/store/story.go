package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// FindStoryByID returns ENOTFOUND if there is no such story.
func (db *DB) FindStoryByID(ctx context.Context, id int64) (s *cms.Story, err error) {
	defer cms.Wrap(&err, "FindStoryByID(%d)", id)
	row, err := findStory(db.read(ctx), id)
	if err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

func findStory(tx *gorm.DB, id int64) (*storyRow, error) {
	var row storyRow
	if err := tx.Take(&row, id).Error; err != nil {
		return nil, notFound(err, "稿件不存在")
	}
	return &row, nil
}

// FindStories returns a page of working copies, most recently changed first.
func (db *DB) FindStories(ctx context.Context, f cms.StoryFilter) (stories []*cms.Story, total int, err error) {
	defer cms.Wrap(&err, "FindStories")
	q := db.read(ctx).Model(&storyRow{})
	if f.ProjectID != 0 {
		q = q.Where("project_id = ?", f.ProjectID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.CreatedBy != 0 {
		q = q.Where("created_by = ?", f.CreatedBy)
	}
	if f.Tag != "" {
		q = q.Where("tags LIKE ? ESCAPE '!'", "%"+likeEscape(encodeJSON(f.Tag))+"%")
	}
	if f.Q != "" {
		q = q.Where("title LIKE ? ESCAPE '!'", "%"+likeEscape(f.Q)+"%")
	}
	if f.Since != nil {
		q = q.Where("updated_at >= ?", utc(*f.Since))
	}
	if f.Until != nil {
		q = q.Where("updated_at < ?", utc(*f.Until))
	}
	var rows []storyRow
	n, err := findPage(q, f.Page, "updated_at DESC, id DESC", &rows)
	if err != nil {
		return nil, 0, err
	}
	return convert(rows, (*storyRow).toCMS), n, nil
}

// likeEscape escapes LIKE wildcards with '!', the ESCAPE character our
// queries declare (SQLite has no default one, MySQL's is the backslash).
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// normalizeStory trims and sanitises what editors send.
func normalizeStory(s *cms.Story) {
	s.Title = strings.TrimSpace(s.Title)
	s.ShareTitle = strings.TrimSpace(s.ShareTitle)
	s.Summary = strings.TrimSpace(s.Summary)
	s.Slug = strings.TrimSpace(s.Slug)
	s.Author = strings.TrimSpace(s.Author)
	s.Source = strings.TrimSpace(s.Source)
	s.Body = markup.Sanitize(s.Body)
	s.Tags = normalizeTags(s.Tags)
	if s.CoverMediaID != nil && *s.CoverMediaID == 0 {
		s.CoverMediaID = nil
	}
}

// normalizeTags trims tags and drops empty and repeated ones, keeping order.
func normalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// validateStory runs cms validation plus the limits the schema imposes.
func validateStory(s *cms.Story) error {
	fields := map[string]string{}
	collect(fields, s.Validate())
	checkSlugLen(s.Slug, fields)
	return invalid(fields)
}

// checkStoryRefs checks that the project and cover a story names exist.
func checkStoryRefs(tx *gorm.DB, s *cms.Story) error {
	return checkRefs(tx, ref{&s.ProjectID, "projects", "project_id", "所属项目不存在"},
		ref{s.CoverMediaID, "media", "cover_media_id", "封面图片不存在"})
}

// ref is the id of a row in table that a record names (nil for none), and
// the complaint under field when there is no such row.
type ref struct {
	id           *int64
	table, field string
	msg          string
}

// checkRefs returns EINVALID naming each ref whose row does not exist.
func checkRefs(tx *gorm.DB, refs ...ref) error {
	fields := map[string]string{}
	for _, r := range refs {
		if r.id == nil {
			continue
		}
		if ok, err := exists(tx, r.table, *r.id); err != nil {
			return err
		} else if !ok {
			fields[r.field] = r.msg
		}
	}
	return invalid(fields)
}

// exists reports whether table has a row with that id.
func exists(tx *gorm.DB, table string, id int64) (bool, error) {
	return anyRow(tx.Table(table).Where("id = ?", id).Limit(1))
}

// anyRow reports whether q matches a row.
func anyRow(q *gorm.DB) (bool, error) {
	var n int64
	err := q.Count(&n).Error
	return n > 0, err
}

// CreateStory saves s as a draft at version 1 and fills in its id, slug,
// status, version, timestamps and URLs.
func (db *DB) CreateStory(ctx context.Context, s *cms.Story) (err error) {
	defer cms.Wrap(&err, "CreateStory")
	in := *s
	normalizeStory(&in)
	if err := validateStory(&in); err != nil {
		return err
	}
	a := actorOf(ctx)
	var row storyRow
	err = db.txSlug(ctx, in.Slug == "", func(tx *gorm.DB) error {
		if err := checkStoryRefs(tx, &in); err != nil {
			return err
		}
		now := db.now()
		in.Status, in.ReviewStage, in.Version, in.LiveVersion = cms.StatusDraft, 0, 1, 0
		in.CreatedBy, in.CreatedAt, in.UpdatedAt = a.id, now, now
		row = storyRowOf(&in)
		if row.PublishAt != nil {
			row.PublishBy = a.id
		}
		if row.UnpublishAt != nil {
			row.UnpublishBy = a.id
		}
		if err := db.insertStory(tx, &row); err != nil {
			return err
		}
		rev := revisionOf(&row, a, now)
		if err := tx.Create(&rev).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "story.create", object: object("story", row.ID), after: row.toCMS(),
			detail: row.Title})
	})
	if err != nil {
		return err
	}
	*s = *row.toCMS()
	return nil
}

// insertStory inserts row, choosing its slug: the one given if free, else
// one derived from the title, else "story-<id>".
func (db *DB) insertStory(tx *gorm.DB, row *storyRow) error {
	if row.Slug != "" {
		if taken, err := storySlugs.taken(tx, row.Slug, 0); err != nil {
			return err
		} else if taken {
			return slugConflict()
		}
		return tx.Create(row).Error
	}
	var err error
	if base := baseSlug(row.Title); base != "" {
		if row.Slug, err = storySlugs.unique(tx, base, 0, nil); err != nil {
			return err
		}
		return tx.Create(row).Error
	}
	row.Slug = placeholderSlug()
	if err := tx.Create(row).Error; err != nil {
		return err
	}
	return db.setIDSlug(tx, row)
}

// setIDSlug replaces a placeholder slug with "story-<id>".
func (db *DB) setIDSlug(tx *gorm.DB, row *storyRow) error {
	s, err := storySlugs.unique(tx, "story-"+itoa(row.ID), row.ID, nil)
	if err != nil {
		return err
	}
	row.Slug = s
	return tx.Model(&storyRow{}).Where("id = ?", row.ID).Update("slug", s).Error
}

// UpdateStory saves a new version of the working copy. Status changes:
// in review, approved or scheduled go back to draft (the approval was for
// other content); published goes to draft while the live version stays
// what readers see until the new one is published.
func (db *DB) UpdateStory(ctx context.Context, id int64, u cms.StoryUpdate) (s *cms.Story, err error) {
	defer cms.Wrap(&err, "UpdateStory(%d)", id)
	return db.updateStory(ctx, id, u, "story.update", "")
}

// updateStory is UpdateStory recorded in the audit trail as action, with
// note in front of the detail.
func (db *DB) updateStory(ctx context.Context, id int64, u cms.StoryUpdate, action, note string) (s *cms.Story, err error) {
	a := actorOf(ctx)
	return updateVersioned(ctx, db, versionedUpdate[storyRow, *cms.Story]{
		id: id, version: u.Version, missing: "稿件不存在", stale: "稿件已被他人修改，请刷新后合并修改",
		slugs: u.Slug != nil && strings.TrimSpace(*u.Slug) == "",
		change: func(tx *gorm.DB, row *storyRow) (map[string]any, error) {
			pubChanged := u.PublishAt != nil && !sameTime(utcPtr(u.PublishAt), row.PublishAt)
			unpubChanged := u.UnpublishAt != nil && !sameTime(utcPtr(u.UnpublishAt), row.UnpublishAt)
			if pubChanged || unpubChanged {
				if err := mayReschedule(ctx, tx, row); err != nil {
					return nil, err
				}
			}
			next := row.toCMS()
			u.Apply(next)
			normalizeStory(next)
			if err := validateStory(next); err != nil {
				return nil, err
			}
			if err := checkStoryRefs(tx, next); err != nil {
				return nil, err
			}
			var err error
			if next.Slug == "" {
				if next.Slug, err = db.derivedSlug(tx, next.Title, id); err != nil {
					return nil, err
				}
			} else if next.Slug != row.Slug {
				if taken, err := storySlugs.taken(tx, next.Slug, id); err != nil {
					return nil, err
				} else if taken {
					return nil, slugConflict()
				}
			}
			switch cms.StoryStatus(row.Status) {
			case cms.StatusInReview, cms.StatusApproved, cms.StatusScheduled, cms.StatusPublished:
				next.Status, next.ReviewStage = cms.StatusDraft, 0
			}
			nr := storyRowOf(next)
			// Workflow columns are written only when this edit sets them: a
			// publish of the same version (which does not bump it) may have set
			// live_version or published_at since we read the row.
			set := map[string]any{
				"slug": nr.Slug, "title": nr.Title, "share_title": nr.ShareTitle, "summary": nr.Summary,
				"body": nr.Body, "cover_media_id": nr.CoverMediaID, "project_id": nr.ProjectID, "tags": nr.Tags,
				"author": nr.Author, "source": nr.Source, "status": nr.Status, "review_stage": nr.ReviewStage,
			}
			for col, v := range map[string]*time.Time{"published_at": u.PublishedAt, "publish_at": u.PublishAt, "unpublish_at": u.UnpublishAt} {
				if v != nil {
					set[col] = utcPtr(v)
				}
			}
			if pubChanged {
				set["publish_by"] = a.id
			}
			if unpubChanged {
				set["unpublish_by"] = a.id
			}
			return set, nil
		},
		done: func(tx *gorm.DB, before *cms.Story, row *storyRow) error {
			rev := revisionOf(row, a, row.UpdatedAt)
			if err := tx.Create(&rev).Error; err != nil {
				return err
			}
			return db.audit(tx, a, event{action: action, object: object("story", id), before: before,
				after: row.toCMS(), detail: note + "第 " + itoa(int64(row.Version)) + " 版"})
		},
	})
}

// mayReschedule refuses a change of the publish or unpublish time of a
// story that is live or approved unless the acting user may publish: those
// times act without further review (the scheduler takes the story down or
// puts it up), so they are the publisher's decision. On a draft they are
// part of what the reviewers approve. The system (no user) may.
func mayReschedule(ctx context.Context, tx *gorm.DB, row *storyRow) error {
	switch {
	case row.LiveVersion > 0, row.Status == string(cms.StatusApproved), row.Status == string(cms.StatusScheduled):
	default:
		return nil
	}
	ok, stages, err := mayPublish(ctx, tx)
	if ok || err != nil {
		return err
	}
	return cms.Errorf(cms.EFORBIDDEN, "稿件已发布或已审核通过，只有%s人员或管理员可以设定或修改定时发布、定时撤下时间", cms.StageName(stages))
}

// mayPublish reports whether the acting user decides publication (the
// system, no user, does), and the number of review stages, which names
// who does.
func mayPublish(ctx context.Context, tx *gorm.DB) (ok bool, stages int, err error) {
	u := cms.UserFromContext(ctx)
	if u == nil {
		return true, 0, nil
	}
	if stages, err = reviewStages(tx); err != nil {
		return false, 0, err
	}
	return cms.CanPublish(u, stages), stages, nil
}

// sameTime reports whether a and b are both unset or the same instant.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return utc(*a).Equal(utc(*b))
}

// derivedSlug derives a free slug from title for story self.
func (db *DB) derivedSlug(tx *gorm.DB, title string, self int64) (string, error) {
	base := baseSlug(title)
	if base == "" {
		base = "story-" + itoa(self)
	}
	return storySlugs.unique(tx, base, self, nil)
}

// DeleteStory removes a story that is not live, with its history.
func (db *DB) DeleteStory(ctx context.Context, id int64) (err error) {
	defer cms.Wrap(&err, "DeleteStory(%d)", id)
	a := actorOf(ctx)
	return db.tx(ctx, func(tx *gorm.DB) error {
		row, err := findStory(tx, id)
		if err != nil {
			return err
		}
		if row.LiveVersion > 0 {
			return cms.Errorf(cms.ECONFLICT, "稿件已发布，请先撤下再删除")
		}
		for _, m := range []any{&liveRow{}, &tagRow{}, &slugRow{}, &signOffRow{}, &revisionRow{}} {
			if err := tx.Where("story_id = ?", id).Delete(m).Error; err != nil {
				return err
			}
		}
		if err := tx.Delete(&storyRow{}, id).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "story.delete", object: object("story", id), before: row.toCMS(),
			detail: row.Title})
	})
}

// FindRevisions returns every saved version, newest first.
func (db *DB) FindRevisions(ctx context.Context, storyID int64) (revs []*cms.Revision, err error) {
	defer cms.Wrap(&err, "FindRevisions(%d)", storyID)
	q := db.read(ctx)
	if _, err := findStory(q, storyID); err != nil {
		return nil, err
	}
	var rows []revisionRow
	if err := q.Where("story_id = ?", storyID).Order("version DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	return convert(rows, (*revisionRow).toCMS), nil
}

// FindSignOffs returns the workflow record of a story, oldest first.
func (db *DB) FindSignOffs(ctx context.Context, storyID int64) (so []*cms.SignOff, err error) {
	defer cms.Wrap(&err, "FindSignOffs(%d)", storyID)
	q := db.read(ctx)
	if _, err := findStory(q, storyID); err != nil {
		return nil, err
	}
	var rows []signOffRow
	if err := q.Where("story_id = ?", storyID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return convert(rows, (*signOffRow).toCMS), nil
}
