package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// The content version is a counter in the one row of content_version. It
// changes in the same transaction as anything the content API serves, so a
// cache keyed on it can never show content older than its key.
//
// Rather than every store method remembering to bump it, a GORM callback
// notes when a write transaction changes a row of a public table, and the
// transaction wrapper (db.tx) bumps the counter as its last statement. Last
// matters on MySQL: the counter row is locked until commit, and a
// transaction that takes it last holds it only while committing, so it
// cannot be part of a lock cycle with other writers.

// publicTables are the tables whose rows the content API shows.
var publicTables = map[string]bool{
	"story_live": true, "story_tags": true, "projects": true, "pages": true, "settings": true, "media": true,
}

type contentChangeKey struct{}

// contentChange is set by the callback when a transaction changes public rows.
type contentChange struct{ changed bool }

// watchContent registers the callback that notes public changes.
func watchContent(g *gorm.DB) error {
	note := func(tx *gorm.DB) {
		if tx.Error != nil || tx.Statement.RowsAffected == 0 || !publicTables[tx.Statement.Table] {
			return
		}
		if c, ok := tx.Statement.Context.Value(contentChangeKey{}).(*contentChange); ok {
			c.changed = true
		}
	}
	cb := g.Callback()
	if err := cb.Create().After("gorm:create").Register("huimin:content_change", note); err != nil {
		return err
	}
	if err := cb.Update().After("gorm:update").Register("huimin:content_change", note); err != nil {
		return err
	}
	return cb.Delete().After("gorm:delete").Register("huimin:content_change", note)
}

// versioned wraps the body of a write transaction so that it bumps the
// content version, last, when it changed public rows.
func versioned(fn func(tx *gorm.DB) error) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error {
		c := &contentChange{}
		tx = tx.WithContext(context.WithValue(tx.Statement.Context, contentChangeKey{}, c))
		if err := fn(tx); err != nil {
			return err
		}
		if !c.changed {
			return nil
		}
		return bumpContentVersion(tx)
	}
}

func bumpContentVersion(tx *gorm.DB) error {
	return tx.Exec("UPDATE content_version SET version = version + 1 WHERE site_id = ?", siteOf(tx)).Error
}

var _ cms.ContentVersionService = (*DB)(nil)

// ContentVersion returns the current content version.
func (db *DB) ContentVersion(ctx context.Context) (v int64, err error) {
	defer cms.Wrap(&err, "ContentVersion")
	err = db.read(ctx).Raw("SELECT version FROM content_version WHERE site_id = ?", siteCtx(ctx)).Row().Scan(&v)
	return v, err
}
