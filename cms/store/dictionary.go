package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

var _ cms.DictionaryService = (*DB)(nil)

type dictionaryRow struct {
	SiteID     int64 // the site the row belongs to (sitescope.go)
	ID         int64
	Term       string
	Kind       string
	Severity   string
	Suggestion string
	Note       string
	Version    int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (dictionaryRow) TableName() string { return "dictionary_terms" }

func (r *dictionaryRow) toCMS() *cms.DictionaryTerm {
	return &cms.DictionaryTerm{ID: r.ID, Term: r.Term, Kind: cms.TermKind(r.Kind), Severity: cms.Severity(r.Severity),
		Suggestion: r.Suggestion, Note: r.Note, Platform: r.SiteID == platformTerms, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// platformTerms is the site_id of the platform-wide dictionary: every site
// checks its wording against those terms and its own.
const platformTerms = 0

// terms reads the dictionary a site sees: the platform's and its own.
func terms(tx *gorm.DB) *gorm.DB {
	site := siteOf(tx)
	return tx.WithContext(cms.NewContextAllSites(tx.Statement.Context)).Model(&dictionaryRow{}).
		Where("site_id IN ?", []int64{platformTerms, site})
}

// findTerm returns term id as the site sees it, and the context to change
// it in: the platform's terms are changed outside any one site, and only by
// platform admins.
func findTerm(ctx context.Context, tx *gorm.DB, id int64) (*dictionaryRow, context.Context, error) {
	var row dictionaryRow
	if err := terms(tx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, nil, notFound(err, "词条不存在")
	}
	if row.SiteID != platformTerms {
		return &row, ctx, nil
	}
	if !isPlatformAdmin(ctx) {
		return nil, nil, cms.Errorf(cms.EFORBIDDEN, "平台词库的词条只有平台管理员可以修改")
	}
	return &row, cms.NewContextAllSites(ctx), nil
}

func normalizeTerm(t *cms.DictionaryTerm) {
	t.Term = strings.TrimSpace(t.Term)
	t.Suggestion = strings.TrimSpace(t.Suggestion)
	t.Note = strings.TrimSpace(t.Note)
}

func termConflict() error {
	msg := "该词条已在词库中"
	return &cms.Error{Code: cms.ECONFLICT, Message: msg, Fields: map[string]string{"term": msg}}
}

// termTaken reports whether another entry than self has term: in the
// platform's dictionary or the site's, or for a platform term, anywhere.
func termTaken(tx *gorm.DB, term string, self int64, platform bool) (bool, error) {
	q := terms(tx)
	if platform {
		q = tx.WithContext(cms.NewContextAllSites(tx.Statement.Context)).Model(&dictionaryRow{})
	}
	return anyRow(q.Where("term = ? AND id <> ?", term, self))
}

// FindTerms returns the whole dictionary, ordered by term.
func (db *DB) FindTerms(ctx context.Context) (terms []*cms.DictionaryTerm, err error) {
	defer cms.Wrap(&err, "FindTerms")
	return findTerms(db.read(ctx))
}

// findTerms returns the dictionary as tx sees it, ordered by term.
func findTerms(tx *gorm.DB) ([]*cms.DictionaryTerm, error) {
	var rows []dictionaryRow
	if err := terms(tx).Order("term, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return convert(rows, (*dictionaryRow).toCMS), nil
}

// CreateTerm adds t to the dictionary and fills in its id and timestamps.
func (db *DB) CreateTerm(ctx context.Context, t *cms.DictionaryTerm) (err error) {
	defer cms.Wrap(&err, "CreateTerm")
	in := *t
	normalizeTerm(&in)
	if err := in.Validate(); err != nil {
		return err
	}
	if in.Platform && !isPlatformAdmin(ctx) {
		return cms.Errorf(cms.EFORBIDDEN, "只有平台管理员可以向平台词库添加词条")
	}
	a := actorOf(ctx)
	now := db.now()
	row := dictionaryRow{Term: in.Term, Kind: string(in.Kind), Severity: string(in.Severity),
		Suggestion: in.Suggestion, Note: in.Note, Version: 1, CreatedAt: now, UpdatedAt: now}
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if taken, err := termTaken(tx, row.Term, 0, in.Platform); err != nil {
			return err
		} else if taken {
			return termConflict()
		}
		ins := tx
		if in.Platform {
			row.SiteID = platformTerms
			ins = tx.WithContext(cms.NewContextAllSites(tx.Statement.Context))
		}
		if err := ins.Create(&row).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "dictionary.create", object: object("dictionary", row.ID),
			after: row.toCMS(), detail: row.Term})
	})
	if err != nil {
		return err
	}
	*t = *row.toCMS()
	return nil
}

// UpdateTerm changes a term when u.Version is current.
func (db *DB) UpdateTerm(ctx context.Context, id int64, u cms.DictionaryUpdate) (t *cms.DictionaryTerm, err error) {
	defer cms.Wrap(&err, "UpdateTerm(%d)", id)
	a := actorOf(ctx)
	var in context.Context
	err = db.tx(ctx, func(tx *gorm.DB) (err error) {
		_, in, err = findTerm(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	platform := in != ctx
	return updateVersioned(in, db, versionedUpdate[dictionaryRow, *cms.DictionaryTerm]{
		id: id, version: u.Version, missing: "词条不存在", stale: "词条已被他人修改，请刷新后再试",
		change: func(tx *gorm.DB, row *dictionaryRow) (map[string]any, error) {
			next := row.toCMS()
			u.Apply(next)
			normalizeTerm(next)
			if err := next.Validate(); err != nil {
				return nil, err
			}
			if taken, err := termTaken(tx.WithContext(ctx), next.Term, id, platform); err != nil {
				return nil, err
			} else if taken {
				return nil, termConflict()
			}
			return map[string]any{"term": next.Term, "kind": string(next.Kind), "severity": string(next.Severity),
				"suggestion": next.Suggestion, "note": next.Note}, nil
		},
		done: func(tx *gorm.DB, before *cms.DictionaryTerm, row *dictionaryRow) error {
			return db.audit(tx.WithContext(ctx), a, event{action: "dictionary.update", object: object("dictionary", id),
				before: before, after: row.toCMS(), detail: row.Term})
		},
	})
}

// DeleteTerm removes a term.
func (db *DB) DeleteTerm(ctx context.Context, id int64) (err error) {
	defer cms.Wrap(&err, "DeleteTerm(%d)", id)
	a := actorOf(ctx)
	return db.tx(ctx, func(tx *gorm.DB) error {
		row, in, err := findTerm(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := tx.WithContext(in).Delete(&dictionaryRow{}, id).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "dictionary.delete", object: object("dictionary", id),
			before: row.toCMS(), detail: row.Term})
	})
}
