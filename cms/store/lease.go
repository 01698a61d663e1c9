package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/huimin/huimin/cms"
)

// Several replicas on one database elect the site builder with a lease row
// rather than a MySQL advisory lock: GET_LOCK is released when its
// connection drops, which a pooled connection may do without the process
// noticing, and it has no token to fence a builder that lost it. A lease
// row works the same on SQLite and MySQL, lapses by itself when its holder
// dies (no renewal within ttl), and its token, raised with every new
// holder, lets ClaimBuilds refuse a builder that was replaced. Times are
// the database's, so replicas' clocks need not agree.

var (
	_ cms.LeaseService = (*DB)(nil)
	_ cms.BuildQueue   = (*DB)(nil)
)

type leaseRow struct {
	Name    string `gorm:"primaryKey"`
	Holder  string
	Token   int64
	Expires int64 // unix milliseconds, database clock
}

func (leaseRow) TableName() string { return "leases" }

// nowMillis is the SQL expression for the database's clock in unix
// milliseconds.
func (db *DB) nowMillis() string {
	if db.dialect == dialectMySQL {
		return "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
	}
	return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
}

// AcquireLease grants the named lease to holder for ttl, or renews it if
// holder has it. A lapsed lease goes to whoever asks first, with a new
// token.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (l cms.Lease, err error) {
	defer cms.Wrap(&err, "AcquireLease(%q)", name)
	if name == "" || holder == "" || ttl <= 0 {
		return l, cms.Errorf(cms.EINVALID, "lease name, holder and ttl are required")
	}
	now, ms := db.nowMillis(), ttl.Milliseconds()
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&leaseRow{Name: name}).Error; err != nil {
			return err
		}
		// Renew our own lease while it lasts.
		if err := tx.Exec("UPDATE leases SET expires = "+now+" + ? WHERE name = ? AND holder = ? AND expires > "+now,
			ms, name, holder).Error; err != nil {
			return err
		}
		// Take a lapsed one (ours too: a new term gets a new token).
		if err := tx.Exec("UPDATE leases SET holder = ?, token = token + 1, expires = "+now+" + ? WHERE name = ? AND expires <= "+now,
			holder, ms, name).Error; err != nil {
			return err
		}
		var row leaseRow
		if err := tx.Take(&row, "name = ?", name).Error; err != nil {
			return err
		}
		l = cms.Lease{Name: name, Holder: row.Holder, Expires: time.UnixMilli(row.Expires).UTC()}
		if row.Holder == holder {
			l.Token = row.Token
		}
		return nil
	})
	return l, err
}

// ReleaseLease lets l lapse now, so another replica need not wait for it.
func (db *DB) ReleaseLease(ctx context.Context, l cms.Lease) (err error) {
	defer cms.Wrap(&err, "ReleaseLease(%q)", l.Name)
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Exec("UPDATE leases SET expires = 0 WHERE name = ? AND holder = ? AND token = ?",
			l.Name, l.Holder, l.Token).Error
	})
}

// ClaimBuilds marks the queued builds running for the holder of l, in one
// transaction with the check that l is still held.
func (db *DB) ClaimBuilds(ctx context.Context, l cms.Lease) (builds []*cms.Build, err error) {
	defer cms.Wrap(&err, "ClaimBuilds")
	a := actorOf(ctx)
	err = db.tx(ctx, func(tx *gorm.DB) error {
		var held int64
		if err := tx.Raw("SELECT COUNT(*) FROM leases WHERE name = ? AND holder = ? AND token = ? AND expires > "+db.nowMillis(),
			l.Name, l.Holder, l.Token).Scan(&held).Error; err != nil {
			return err
		}
		if held == 0 {
			return cms.Errorf(cms.ECONFLICT, "本副本已不再负责构建网站（构建权已转移）")
		}
		var rows []buildRow
		if err := tx.Where("status = ?", string(cms.BuildQueued)).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		start := db.now()
		res := tx.Model(&buildRow{}).Where("id IN ? AND status = ?", ids, string(cms.BuildQueued)).
			Updates(map[string]any{"status": string(cms.BuildRunning), "started_at": start, "builder": clip(l.Holder, 200)})
		if res.Error != nil {
			return res.Error
		}
		for i := range rows {
			before := rows[i].toCMS()
			rows[i].Status, rows[i].StartedAt, rows[i].Builder = string(cms.BuildRunning), &start, clip(l.Holder, 200)
			after := rows[i].toCMS()
			if err := db.audit(tx, a, event{action: "build.update", object: object("build", rows[i].ID), before: before,
				after: after, detail: cms.BuildQueued.Name() + " → " + cms.BuildRunning.Name() + "（" + l.Holder + "）"}); err != nil {
				return err
			}
			builds = append(builds, after)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return builds, nil
}

// QueueDepth counts the builds no builder has claimed yet.
func (db *DB) QueueDepth(ctx context.Context) (n int, err error) {
	defer cms.Wrap(&err, "QueueDepth")
	var c int64
	err = db.read(ctx).Model(&buildRow{}).Where("status = ?", string(cms.BuildQueued)).Count(&c).Error
	return int(c), err
}

// maxHintStories bounds the story ids kept on a build record; a build
// asked for more reads everything instead (an empty list means that).
const maxHintStories = 5000

func formatIDs(ids []int64) string {
	if len(ids) > maxHintStories {
		return ""
	}
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

func parseIDs(s string) []int64 {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
