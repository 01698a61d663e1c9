package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// ApplyAction performs a workflow action decided by cms.Transition. The
// change is a conditional update on the version, status and stage that
// were read, so two reviewers acting at once cannot both succeed.
func (db *DB) ApplyAction(ctx context.Context, id int64, req cms.ActionRequest) (s *cms.Story, err error) {
	defer cms.Wrap(&err, "ApplyAction(%d, %s)", id, req.Action)
	u := cms.UserFromContext(ctx)
	a := actorOf(ctx)
	var out *storyRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		row, err := findStory(tx, id)
		if err != nil {
			return err
		}
		stages, err := reviewStages(tx)
		if err != nil {
			return err
		}
		cur := stateOf(row)
		next, err := cms.Transition(cur, req.Action, u, stages, req.Comment)
		if err != nil {
			return err
		}
		override, err := wordingGate(tx, row, req, cur, next, stages)
		if err != nil {
			return err
		}
		out, err = db.transition(tx, row, req.Action, next, a, req.Comment, override)
		return err
	})
	if errors.Is(err, errStale) {
		return nil, conflict[storyRow, *cms.Story](ctx, db, id, "稿件不存在", "稿件状态已被他人改变，请刷新后再操作")
	}
	if err != nil {
		return nil, err
	}
	return out.toCMS(), nil
}

func stateOf(row *storyRow) cms.WorkflowState {
	return cms.WorkflowState{
		Status: cms.StoryStatus(row.Status), Stage: row.ReviewStage,
		Live: row.LiveVersion > 0, CreatedBy: row.CreatedBy,
	}
}

// reviewStages reads the number of review stages from the settings.
func reviewStages(tx *gorm.DB) (int, error) {
	var row settingsRow
	err := tx.Select("review_stages").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (row.ReviewStages < 1 || row.ReviewStages > 3)) {
		return 3, nil
	}
	return row.ReviewStages, err
}

// transition writes the outcome next of action on row: the story's state,
// what readers see, a sign-off and an audit event. A publish whose
// publish_at lies ahead only schedules the story.
func (db *DB) transition(tx *gorm.DB, row *storyRow, action cms.Action, next cms.WorkflowState, a actor, comment, override string) (*storyRow, error) {
	now := db.now()
	before := row.toCMS()
	from := row.Status
	set := map[string]any{"status": string(next.Status), "review_stage": next.Stage, "updated_at": now}
	goLive, goDark := false, false
	switch action {
	case cms.ActionPublish:
		if row.PublishAt != nil && row.PublishAt.After(now) {
			set["status"] = string(cms.StatusScheduled)
		} else {
			goLive = true
		}
		// Whoever publishes decides the times the scheduler keeps: it acts for them.
		if a.id != 0 && row.PublishAt != nil {
			set["publish_by"] = a.id
		}
		if a.id != 0 && row.UnpublishAt != nil {
			set["unpublish_by"] = a.id
		}
	case cms.ActionUnpublish:
		goDark = true
	}
	var publishedAt time.Time
	if goLive {
		publishedAt = now
		if row.PublishedAt != nil {
			publishedAt = *row.PublishedAt
		}
		set["live_version"] = row.Version
		set["published_at"] = publishedAt
	}
	if goDark {
		set["live_version"] = 0
	}
	res := tx.Model(&storyRow{}).
		Where("id = ? AND version = ? AND status = ? AND review_stage = ?", row.ID, row.Version, row.Status, row.ReviewStage).
		Updates(set)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, errStale
	}
	if goLive {
		if err := db.setLive(tx, row.ID, row.Version, publishedAt, now); err != nil {
			return nil, err
		}
	}
	if goDark {
		if err := clearLive(tx, row.ID); err != nil {
			return nil, err
		}
	}
	fresh, err := findStory(tx, row.ID)
	if err != nil {
		return nil, err
	}
	so := signOffRow{
		StoryID: row.ID, Version: row.Version, Action: string(action), FromStatus: from, ToStatus: fresh.Status,
		Stage: row.ReviewStage, ActorID: a.id, ActorName: a.name, Comment: comment, Override: override, CreatedAt: now,
	}
	if err := tx.Create(&so).Error; err != nil {
		return nil, err
	}
	detail := string(from) + " → " + fresh.Status
	if comment != "" {
		detail += "：" + comment
	}
	if override != "" {
		detail += "；越过严重差错检查，原因：" + override
	}
	if err := db.audit(tx, a, event{action: "story." + string(action), object: object("story", row.ID),
		before: before, after: fresh.toCMS(), detail: detail}); err != nil {
		return nil, err
	}
	return fresh, nil
}

// setLive makes revision version of story id what readers see: the live
// pointer, the live tags used by content filters, and the slug history
// that keeps old links redirecting.
func (db *DB) setLive(tx *gorm.DB, id int64, version int, publishedAt, now time.Time) error {
	var rev revisionRow
	if err := tx.Where("story_id = ? AND version = ?", id, version).Take(&rev).Error; err != nil {
		return err // a missing revision is a bug, reported as EINTERNAL
	}
	if err := clearLive(tx, id); err != nil {
		return err
	}
	if err := tx.Create(&liveRow{StoryID: id, RevisionID: rev.ID, Version: version, Slug: rev.Slug,
		ProjectID: rev.ProjectID, PublishedAt: publishedAt, LiveAt: now}).Error; err != nil {
		return err
	}
	if tags := tagRows(id, decodeTags(rev.Tags), publishedAt); len(tags) > 0 {
		if err := tx.Create(&tags).Error; err != nil {
			return err
		}
	}
	if err := indexLive(tx, id, &rev); err != nil {
		return err
	}
	return recordSlug(tx, id, rev.Slug, now)
}

// recordSlug adds slug to the story's published slugs unless already there.
func recordSlug(tx *gorm.DB, id int64, slug string, now time.Time) error {
	if ok, err := anyRow(tx.Model(&slugRow{}).Where("story_id = ? AND slug = ?", id, slug)); err != nil || ok {
		return err
	}
	return tx.Create(&slugRow{StoryID: id, Slug: slug, CreatedAt: now}).Error
}

func tagRows(id int64, tags []string, publishedAt time.Time) []tagRow {
	tags = normalizeTags(tags)
	rows := make([]tagRow, len(tags))
	for i, t := range tags {
		rows[i] = tagRow{StoryID: id, Tag: t, PublishedAt: publishedAt}
	}
	return rows
}

// clearLive removes story id from what readers see; its slug history stays.
func clearLive(tx *gorm.DB, id int64) error {
	if err := tx.Where("story_id = ?", id).Delete(&tagRow{}).Error; err != nil {
		return err
	}
	if err := unindexLive(tx, id); err != nil {
		return err
	}
	return tx.Where("story_id = ?", id).Delete(&liveRow{}).Error
}

// PublishDue carries out what is due by the clock: scheduled stories whose
// publish_at has passed go live, live stories whose unpublish_at has passed
// are taken down. It is meant to be called periodically (and at start-up,
// to catch up after downtime) by a scheduler. Several processes may call it
// at once: each story changes in its own conditional update, so exactly one
// of them acts, and it is signed off by "system". It returns the ids of the
// stories it changed.
func (db *DB) PublishDue(ctx context.Context) (ids []int64, err error) {
	defer cms.Wrap(&err, "PublishDue")
	now := db.now()
	var due []storyRow
	if err := db.read(ctx).Select("id").
		Where("(status = ? AND publish_at <= ?) OR (live_version > 0 AND unpublish_at <= ?)",
			string(cms.StatusScheduled), now, now).
		Order("id").Find(&due).Error; err != nil {
		return nil, err
	}
	var errs []error
	for _, d := range due {
		var changed bool
		err := db.tx(ctx, func(tx *gorm.DB) error {
			changed = false // set by the attempt that commits
			row, err := findStory(tx, d.ID)
			if err != nil {
				return err
			}
			cur := stateOf(row)
			var action cms.Action
			var by int64
			next := cur
			switch {
			case row.Status == string(cms.StatusScheduled) && row.PublishAt != nil && !row.PublishAt.After(now):
				action, by = cms.ActionPublish, row.PublishBy
				next.Status, next.Stage, next.Live = cms.StatusPublished, 0, true
			case row.LiveVersion > 0 && row.UnpublishAt != nil && !row.UnpublishAt.After(now):
				action, by = cms.ActionUnpublish, row.UnpublishBy
				next.Status, next.Stage, next.Live = cms.StatusUnpublished, 0, false
			default:
				return nil // another process got there first
			}
			// The system acts; the sign-off and the audit event name the
			// user it acts for.
			comment := "定时" + actionLabel(action)
			if by != 0 {
				name, err := userName(tx, by)
				if err != nil {
					return err
				}
				comment += "（由 " + name + "（用户 #" + itoa(by) + "）设定）"
			}
			if _, err := db.transition(tx, row, action, next, systemActor, comment, ""); err != nil {
				return err
			}
			if action == cms.ActionUnpublish {
				// Done: a later republish must not be taken down again at once.
				if err := tx.Model(&storyRow{}).Where("id = ?", row.ID).Update("unpublish_at", nil).Error; err != nil {
					return err
				}
			}
			changed = true
			return nil
		})
		switch {
		case errors.Is(err, errStale):
			// Changed under us by an editor or another process: nothing to do.
		case err != nil:
			errs = append(errs, err)
		case changed:
			ids = append(ids, d.ID)
		}
	}
	return ids, errors.Join(errs...)
}

// userName is the display name of user id, or "用户 #id" if it is gone.
func userName(tx *gorm.DB, id int64) (string, error) {
	var u userRow
	err := tx.Select("username", "name").Take(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "已删除的用户", nil
	}
	if err != nil {
		return "", err
	}
	return orName(u.Name, u.Username), nil
}

func actionLabel(a cms.Action) string {
	switch a {
	case cms.ActionPublish:
		return "发布"
	case cms.ActionUnpublish:
		return "撤下"
	}
	return string(a)
}
