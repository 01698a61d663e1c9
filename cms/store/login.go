package store

import (
	"context"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/huimin/huimin/cms"
)

// The login limits replicas share. Each change is one transaction of
// conditional UPDATEs (fails = fails + 1, a token bucket kept as the time
// it is full again), so that failures sent to several replicas at once all
// count. Times are the caller's, in unix milliseconds: a limit measured in
// seconds tolerates the small skew between replicas' clocks, and tests move
// the clock instead of sleeping. Unlike a lease, nothing breaks if two
// replicas disagree by a second.

var _ cms.LoginThrottleService = (*DB)(nil)

type loginFailureRow struct {
	Name      string `gorm:"primaryKey"`
	Client    string `gorm:"primaryKey"`
	Fails     int
	LastAt    int64
	WaitUntil int64
}

func (loginFailureRow) TableName() string { return "login_failures" }

type loginNameRow struct {
	Name      string `gorm:"primaryKey"`
	FullAt    int64
	Throttled bool
}

func (loginNameRow) TableName() string { return "login_names" }

// loginKey fits a username and a client address to their columns. A name
// longer than the column is no user's (usernames have at most 40
// characters), so names that share its first 100 characters may share
// limits.
func loginKey(client, name string) (string, string) {
	return clipRunes(client, 64), clipRunes(name, 100)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// LoginFailures reads client's failures for name with the state of name's
// bucket, in one query on the primary keys.
func (db *DB) LoginFailures(ctx context.Context, client, name string) (f cms.LoginFailures, err error) {
	defer cms.Wrap(&err, "LoginFailures(%q)", name)
	client, name = loginKey(client, name)
	var row struct {
		Fails     int
		LastAt    int64
		WaitUntil int64
		FullAt    *int64
		Throttled *bool
	}
	err = db.read(ctx).Raw(`SELECT f.fails, f.last_at, f.wait_until, n.full_at, n.throttled
		FROM login_failures f LEFT JOIN login_names n ON n.name = f.name
		WHERE f.name = ? AND f.client = ?`, name, client).Scan(&row).Error
	if err != nil || row.Fails == 0 {
		return f, translate(err)
	}
	f = cms.LoginFailures{Fails: row.Fails, Last: time.UnixMilli(row.LastAt).UTC(), Until: time.UnixMilli(row.WaitUntil).UTC()}
	if row.FullAt != nil {
		f.NameFull = time.UnixMilli(*row.FullAt).UTC()
	}
	if row.Throttled != nil {
		f.Throttled = *row.Throttled
	}
	return f, nil
}

// RecordLoginFailure counts a failure for the client and name and takes one
// from name's bucket; a failure that finds it empty throttles name.
func (db *DB) RecordLoginFailure(ctx context.Context, client, name string, now time.Time, l cms.LoginLimits) (throttled bool, err error) {
	defer cms.Wrap(&err, "RecordLoginFailure(%q)", name)
	client, name = loginKey(client, name)
	at, refill := now.UnixMilli(), l.NameRefill.Milliseconds()
	err = db.tx(ctx, func(tx *gorm.DB) error {
		throttled = false
		// The client's failures start again once forgotten. MySQL assigns
		// from left to right, so fails and wait_until read last_at as it was.
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&loginFailureRow{Name: name, Client: client, LastAt: at}).Error; err != nil {
			return err
		}
		forgotten := at - l.Forget.Milliseconds()
		if err := tx.Exec(`UPDATE login_failures SET fails = CASE WHEN last_at < ? THEN 1 ELSE fails + 1 END,
			wait_until = CASE WHEN last_at < ? THEN 0 ELSE wait_until END, last_at = ?
			WHERE name = ? AND client = ?`, forgotten, forgotten, at, name, client).Error; err != nil {
			return err
		}
		// The row is locked (MySQL) or the database is (SQLite) until the
		// commit, so this is the count this failure made.
		var fails int
		if err := tx.Raw("SELECT fails FROM login_failures WHERE name = ? AND client = ?", name, client).
			Scan(&fails).Error; err != nil {
			return err
		}
		if d := l.Delay(fails); d > 0 {
			if err := tx.Exec("UPDATE login_failures SET wait_until = ? WHERE name = ? AND client = ?",
				now.Add(d).UnixMilli(), name, client).Error; err != nil {
				return err
			}
		}

		// name's bucket: a failure goes through while the bucket is full
		// again no more than NameBurst-1 refills from now, and moves that
		// time one refill later.
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&loginNameRow{Name: name}).Error; err != nil {
			return err
		}
		next := "CASE WHEN full_at < ? THEN ? ELSE full_at END + ?"
		res := tx.Exec("UPDATE login_names SET full_at = "+next+", throttled = ? WHERE name = ? AND "+next+" <= ?",
			at, at, refill, false, name, at, at, refill, at+int64(l.NameBurst)*refill)
		if res.Error != nil || res.RowsAffected > 0 {
			return res.Error
		}
		res = tx.Exec("UPDATE login_names SET throttled = ? WHERE name = ? AND throttled = ?", true, name, false)
		throttled = res.RowsAffected > 0
		return res.Error
	})
	return throttled, err
}

// ClearLoginFailures deletes client's failures for name.
func (db *DB) ClearLoginFailures(ctx context.Context, client, name string) (err error) {
	defer cms.Wrap(&err, "ClearLoginFailures(%q)", name)
	client, name = loginKey(client, name)
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Exec("DELETE FROM login_failures WHERE name = ? AND client = ?", name, client).Error
	})
}

// UnlockLogin deletes every failure for name and its bucket.
func (db *DB) UnlockLogin(ctx context.Context, name string) (found bool, err error) {
	defer cms.Wrap(&err, "UnlockLogin(%q)", name)
	_, name = loginKey("", name)
	err = db.tx(ctx, func(tx *gorm.DB) error {
		a := tx.Exec("DELETE FROM login_failures WHERE name = ?", name)
		if a.Error != nil {
			return a.Error
		}
		b := tx.Exec("DELETE FROM login_names WHERE name = ?", name)
		found = a.RowsAffected+b.RowsAffected > 0
		return b.Error
	})
	return found, err
}

// PruneLoginFailures deletes clients' failures that are forgotten and
// buckets that are full again: neither limits anything.
func (db *DB) PruneLoginFailures(ctx context.Context, now time.Time, l cms.LoginLimits) (n int, err error) {
	defer cms.Wrap(&err, "PruneLoginFailures")
	at := now.UnixMilli()
	err = db.tx(ctx, func(tx *gorm.DB) error {
		a := tx.Exec("DELETE FROM login_failures WHERE last_at < ? AND wait_until < ?", at-l.Forget.Milliseconds(), at)
		if a.Error != nil {
			return a.Error
		}
		b := tx.Exec("DELETE FROM login_names WHERE full_at < ?", at)
		n = int(a.RowsAffected + b.RowsAffected)
		return b.Error
	})
	return n, err
}
