package store

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// errStale marks a conditional update that matched no row. Callers turn it
// into ECONFLICT carrying the current object, read after the transaction
// so that MySQL's snapshot cannot show a stale one.
var errStale = errors.New("stale version")

// versionedUpdate is an optimistic update of the row id of table R, whose
// record (domain type) is C: it is written only if the row still has the
// version the client read.
type versionedUpdate[R any, C cms.Versioned] struct {
	id      int64
	version int    // the version the client read
	missing string // the ENOTFOUND message when there is no such row
	stale   string // the ECONFLICT message when the version has moved on
	// slugs runs the update under the slug lock (see txSlug), for a change
	// that derives a slug.
	slugs bool
	// change checks the edit of row and returns the columns to set;
	// version and updated_at are added to them.
	change func(tx *gorm.DB, row *R) (map[string]any, error)
	// done records what was written (audit event, revision): before is
	// the record as it was read, row the row as it is now.
	done func(tx *gorm.DB, before C, row *R) error
}

// record is a table row that converts to its record.
type record[R any, C cms.Versioned] interface {
	*R
	toCMS() C
}

// updateVersioned runs u in a write transaction: it reads the row, refuses
// another version than u.version, writes the columns of u.change where the
// version is still the one read, moving it on, reads the row again and
// calls u.done. It returns the record as written, or ECONFLICT carrying the
// current record.
func updateVersioned[R any, C cms.Versioned, P record[R, C]](ctx context.Context, db *DB, u versionedUpdate[R, C]) (C, error) {
	var out R
	err := db.txSlug(ctx, u.slugs, func(tx *gorm.DB) error {
		var row R
		if err := tx.Take(&row, u.id).Error; err != nil {
			return notFound(err, u.missing)
		}
		before := P(&row).toCMS()
		if before.CurrentVersion() != u.version {
			return errStale
		}
		set, err := u.change(tx, &row)
		if err != nil {
			return err
		}
		set["version"], set["updated_at"] = u.version+1, db.now()
		res := tx.Model(new(R)).Where("id = ? AND version = ?", u.id, u.version).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errStale
		}
		var fresh R
		if err := tx.Take(&fresh, u.id).Error; err != nil {
			return err
		}
		out = fresh
		return u.done(tx, before, &out)
	})
	if errors.Is(err, errStale) {
		err = conflict[R, C, P](ctx, db, u.id, u.missing, u.stale)
	}
	if err != nil {
		var zero C
		return zero, err
	}
	return P(&out).toCMS(), nil
}

// conflict is the ECONFLICT for a stale write to the row id of table R,
// carrying the record as it is now (or ENOTFOUND with missing if the row
// is gone). Call it after the transaction, so that MySQL's snapshot cannot
// show a stale record.
func conflict[R any, C cms.Versioned, P record[R, C]](ctx context.Context, db *DB, id int64, missing, stale string) error {
	var cur R
	if err := db.read(ctx).Take(&cur, id).Error; err != nil {
		return notFound(err, missing)
	}
	return &cms.Error{Code: cms.ECONFLICT, Message: stale, Current: P(&cur).toCMS()}
}
