package store

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// CreateMedia saves m unless an item with the same hash exists, in which
// case that item is returned and created is false.
func (db *DB) CreateMedia(ctx context.Context, m *cms.Media) (stored *cms.Media, created bool, err error) {
	defer cms.Wrap(&err, "CreateMedia(%s)", m.Hash)
	if strings.TrimSpace(m.Hash) == "" {
		return nil, false, cms.Invalid(map[string]string{"hash": "缺少文件摘要"})
	}
	if existing, err := db.findMediaByHash(db.read(ctx), m.Hash); err == nil {
		return existing, false, nil
	} else if cms.ErrorCode(err) != cms.ENOTFOUND {
		return nil, false, err
	}
	a := actorOf(ctx)
	now := db.now()
	in := *m
	in.ID, in.Version, in.CreatedAt, in.UpdatedAt = 0, 1, now, now
	row := mediaRowOf(&in)
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "media.create", object: object("media", row.ID), after: row.toCMS(),
			detail: row.Filename})
	})
	if cms.ErrorCode(err) == cms.ECONFLICT {
		// The same file was uploaded concurrently; read outside our
		// transaction so MySQL's snapshot does not hide the winner.
		if existing, ferr := db.findMediaByHash(db.read(ctx), m.Hash); ferr == nil {
			return existing, false, nil
		}
	}
	if err != nil {
		return nil, false, err
	}
	return row.toCMS(), true, nil
}

func (db *DB) findMediaByHash(tx *gorm.DB, hash string) (*cms.Media, error) {
	var row mediaRow
	if err := tx.Where("hash = ?", hash).Take(&row).Error; err != nil {
		return nil, notFound(err, "图片不存在")
	}
	return row.toCMS(), nil
}

func findMedia(tx *gorm.DB, id int64) (*mediaRow, error) {
	var row mediaRow
	if err := tx.Take(&row, id).Error; err != nil {
		return nil, notFound(err, "图片不存在")
	}
	return &row, nil
}

// FindMediaByID returns ENOTFOUND if there is no such item.
func (db *DB) FindMediaByID(ctx context.Context, id int64) (m *cms.Media, err error) {
	defer cms.Wrap(&err, "FindMediaByID(%d)", id)
	row, err := findMedia(db.read(ctx), id)
	if err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

// FindMediaByHash returns ENOTFOUND if no item has that original.
func (db *DB) FindMediaByHash(ctx context.Context, hash string) (m *cms.Media, err error) {
	defer cms.Wrap(&err, "FindMediaByHash(%s)", hash)
	return db.findMediaByHash(db.read(ctx), hash)
}

// FindMedia returns a page of media, newest first.
func (db *DB) FindMedia(ctx context.Context, p cms.Page) (items []*cms.Media, total int, err error) {
	defer cms.Wrap(&err, "FindMedia")
	q := db.read(ctx).Model(&mediaRow{})
	var rows []mediaRow
	n, err := findPage(q, p, "created_at DESC, id DESC", &rows)
	if err != nil {
		return nil, 0, err
	}
	return convert(rows, (*mediaRow).toCMS), n, nil
}

// UpdateMedia changes the descriptive fields when u.Version is current.
func (db *DB) UpdateMedia(ctx context.Context, id int64, u cms.MediaUpdate) (m *cms.Media, err error) {
	defer cms.Wrap(&err, "UpdateMedia(%d)", id)
	if err := u.Validate(); err != nil {
		return nil, err
	}
	a := actorOf(ctx)
	return updateVersioned(ctx, db, versionedUpdate[mediaRow, *cms.Media]{
		id: id, version: u.Version, missing: "图片不存在", stale: "图片信息已被他人修改，请刷新后再改",
		change: func(tx *gorm.DB, row *mediaRow) (map[string]any, error) {
			next := *row
			for _, f := range []struct {
				dst *string
				v   *string
			}{{&next.Alt, u.Alt}, {&next.Caption, u.Caption}, {&next.Credit, u.Credit}} {
				if f.v != nil {
					*f.dst = strings.TrimSpace(*f.v)
				}
			}
			if u.FocusX != nil {
				next.FocusX = *u.FocusX
			}
			if u.FocusY != nil {
				next.FocusY = *u.FocusY
			}
			if next.Alt != row.Alt || next.Caption != row.Caption || next.Credit != row.Credit ||
				next.FocusX != row.FocusX || next.FocusY != row.FocusY {
				if err := mayEditLiveMedia(ctx, tx, id); err != nil {
					return nil, err
				}
			}
			return map[string]any{"alt": next.Alt, "caption": next.Caption, "credit": next.Credit,
				"focus_x": next.FocusX, "focus_y": next.FocusY}, nil
		},
		done: func(tx *gorm.DB, before *cms.Media, row *mediaRow) error {
			return db.audit(tx, a, event{action: "media.update", object: object("media", id), before: before, after: row.toCMS()})
		},
	})
}

// mayEditLiveMedia refuses a change to item id while a live or approved
// story shows it (as its cover or in its body) unless the acting user may
// publish: alt text, caption, credit and crops reach the public page with
// the next build, without review, so they are the publisher's decision like
// the story's own text. The system (no user) may.
func mayEditLiveMedia(ctx context.Context, tx *gorm.DB, id int64) error {
	ok, stages, err := mayPublish(ctx, tx)
	if ok || err != nil {
		return err
	}
	title, err := storyShowingMedia(tx, id)
	if err != nil || title == "" {
		return err
	}
	return cms.Errorf(cms.EFORBIDDEN, "该图片用于已发布或已审核通过的稿件《%s》，修改其替代文字、说明、署名或焦点会不经审核改变公开页面，只有%s人员或管理员可以修改",
		title, cms.StageName(stages))
}

// storyShowingMedia returns the title of a story that shows item id on the
// public site (its live revision) or is approved to (approved or scheduled),
// or "" if there is none.
func storyShowingMedia(tx *gorm.DB, id int64) (string, error) {
	inBody := bodyShows(id)
	var titles []string
	if err := tx.Table("story_live AS l").Joins("JOIN story_revisions r ON r.id = l.revision_id").
		Where("r.cover_media_id = ? OR r.body LIKE ?", id, inBody).Order("l.story_id").Limit(1).
		Pluck("r.title", &titles).Error; err != nil {
		return "", err
	}
	if len(titles) == 0 {
		if err := tx.Model(&storyRow{}).Where("status IN ?", []string{string(cms.StatusApproved), string(cms.StatusScheduled)}).
			Where("cover_media_id = ? OR body LIKE ?", id, inBody).Order("id").Limit(1).
			Pluck("title", &titles).Error; err != nil {
			return "", err
		}
	}
	if len(titles) == 0 {
		return "", nil
	}
	return titles[0], nil
}

// bodyShows is a LIKE pattern matching the bodies that show item id:
// sanitised bodies carry the attribute in this one form (bodyMediaIDs).
func bodyShows(id int64) string {
	return "%" + `data-media-id="` + itoa(id) + `"` + "%"
}

// ReplaceVariants stores regenerated variants. The version is left alone:
// the edit that caused the regeneration already moved it.
func (db *DB) ReplaceVariants(ctx context.Context, id int64, v []cms.MediaVariant) (err error) {
	defer cms.Wrap(&err, "ReplaceVariants(%d)", id)
	a := actorOf(ctx)
	if v == nil {
		v = []cms.MediaVariant{}
	}
	return db.tx(ctx, func(tx *gorm.DB) error {
		row, err := findMedia(tx, id)
		if err != nil {
			return err
		}
		before := row.toCMS()
		row.Variants, row.UpdatedAt = encodeJSON(v), db.now()
		if err := tx.Model(&mediaRow{}).Where("id = ?", id).Updates(map[string]any{
			"variants": row.Variants, "updated_at": row.UpdatedAt,
		}).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "media.variants", object: object("media", id), before: before, after: row.toCMS()})
	})
}

// DeleteMedia removes an item no story, live page, project or brand uses.
func (db *DB) DeleteMedia(ctx context.Context, id int64) (err error) {
	defer cms.Wrap(&err, "DeleteMedia(%d)", id)
	a := actorOf(ctx)
	return db.tx(ctx, func(tx *gorm.DB) error {
		row, err := findMedia(tx, id)
		if err != nil {
			return err
		}
		for _, use := range []struct {
			q   *gorm.DB
			msg string
		}{
			{tx.Model(&storyRow{}).Where("cover_media_id = ?", id), "该图片正被稿件用作封面，不能删除"},
			{tx.Table("story_live AS l").Joins("JOIN story_revisions r ON r.id = l.revision_id").
				Where("r.cover_media_id = ?", id), "该图片正被已发布的稿件用作封面，不能删除"},
			{tx.Table("story_live AS l").Joins("JOIN story_revisions r ON r.id = l.revision_id").
				Where("r.body LIKE ?", bodyShows(id)), "该图片正用于已发布稿件的正文，不能删除"},
			{tx.Model(&projectRow{}).Where("cover_media_id = ?", id), "该图片正被品牌项目用作封面，不能删除"},
			{tx.Model(&brandRow{}).Where("logo_media_id = ?", id), "该图片正被服务品牌用作标志，不能删除"},
		} {
			if used, err := anyRow(use.q); err != nil {
				return err
			} else if used {
				return cms.Errorf(cms.ECONFLICT, "%s", use.msg)
			}
		}
		if err := tx.Delete(&mediaRow{}, id).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "media.delete", object: object("media", id), before: row.toCMS(),
			detail: row.Filename})
	})
}
