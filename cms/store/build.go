package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// CreateBuild saves b, queued now unless b says otherwise, and sets its id.
func (db *DB) CreateBuild(ctx context.Context, b *cms.Build) (err error) {
	defer cms.Wrap(&err, "CreateBuild")
	if b.Status == "" {
		b.Status = cms.BuildQueued
	}
	if b.QueuedAt.IsZero() {
		b.QueuedAt = db.now()
	}
	row := buildRowOf(b)
	a := actorOf(ctx)
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "build.create", object: object("build", row.ID), after: row.toCMS(),
			detail: row.Reason})
	})
	if err != nil {
		return err
	}
	*b = *row.toCMS()
	return nil
}

func buildRowOf(b *cms.Build) buildRow {
	return buildRow{
		ID: b.ID, Status: string(b.Status), Reason: clip(b.Reason, 500), FullBuild: b.Full, Pages: b.Pages,
		Error: clip(b.Error, 60000), ErrorFile: clip(b.ErrorFile, 1000), ErrorLine: b.ErrorLine,
		QueuedAt: utc(b.QueuedAt), StartedAt: utcPtr(b.StartedAt), FinishedAt: utcPtr(b.FinishedAt),
		DurationMS: b.DurationMS, HintStories: formatIDs(b.Stories), Builder: clip(b.Builder, 200),
	}
}

// UpdateBuild saves the status fields of b.
func (db *DB) UpdateBuild(ctx context.Context, b *cms.Build) (err error) {
	defer cms.Wrap(&err, "UpdateBuild(%d)", b.ID)
	a := actorOf(ctx)
	nr := buildRowOf(b)
	return db.tx(ctx, func(tx *gorm.DB) error {
		var row buildRow
		if err := tx.Take(&row, b.ID).Error; err != nil {
			return notFound(err, "构建记录不存在")
		}
		if err := tx.Model(&buildRow{}).Where("id = ?", b.ID).Updates(map[string]any{
			"status": nr.Status, "pages": nr.Pages, "error": nr.Error, "error_file": nr.ErrorFile,
			"error_line": nr.ErrorLine, "started_at": nr.StartedAt, "finished_at": nr.FinishedAt,
			"duration_ms": nr.DurationMS, "full_build": nr.FullBuild, "builder": nr.Builder,
		}).Error; err != nil {
			return err
		}
		nr.QueuedAt, nr.Reason, nr.HintStories = row.QueuedAt, row.Reason, row.HintStories
		return db.audit(tx, a, event{action: "build.update", object: object("build", b.ID), before: row.toCMS(),
			after: nr.toCMS(), detail: cms.BuildStatus(row.Status).Name() + " → " + cms.BuildStatus(nr.Status).Name()})
	})
}

// FindBuildByID returns ENOTFOUND if there is no such build.
func (db *DB) FindBuildByID(ctx context.Context, id int64) (b *cms.Build, err error) {
	defer cms.Wrap(&err, "FindBuildByID(%d)", id)
	var row buildRow
	if err := db.read(ctx).Take(&row, id).Error; err != nil {
		return nil, notFound(err, "构建记录不存在")
	}
	return row.toCMS(), nil
}

// FindBuilds returns a page of builds, newest first.
func (db *DB) FindBuilds(ctx context.Context, p cms.Page) (builds []*cms.Build, total int, err error) {
	defer cms.Wrap(&err, "FindBuilds")
	q := db.read(ctx).Model(&buildRow{})
	var rows []buildRow
	n, err := findPage(q, p, "id DESC", &rows)
	if err != nil {
		return nil, 0, err
	}
	return convert(rows, (*buildRow).toCMS), n, nil
}
