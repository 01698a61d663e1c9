// Package cms holds Huimin's domain: the content model, the service
// interfaces the storage and publishing adapters implement, the editorial
// state machine and the error vocabulary. It depends on the standard library
// only; every other package depends on it.
package cms

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Limits that are part of the product (WeChat share cards, summaries).
const (
	MaxShareTitleRunes = 32
	MaxSummaryRunes    = 128
	MaxTitleRunes      = 120
	MaxBodyBytes       = 2 << 20 // sanitised HTML; photos live in media
	DefaultPerPage     = 20
	MaxPerPage         = 100
	// MaxTags bounds the tags of a story: every tag is a page of the site,
	// so thousands of them would make every build slow.
	MaxTags = 10
)

type ctxKey int

const userKey ctxKey = 0

// NewContextWithUser returns a copy of ctx carrying the acting user; store
// methods read it to authorise and to write the audit trail.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFromContext returns the acting user, or nil for the system (CLI, scheduler).
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userKey).(*User)
	return u
}

// Page is a pagination request: 1-based page number and size.
type Page struct {
	Page    int
	PerPage int
}

// Normalize clamps a page request to sane bounds.
func (p Page) Normalize() Page {
	if p.Page < 1 {
		p.Page = 1
	}
	if p.PerPage < 1 {
		p.PerPage = DefaultPerPage
	}
	if p.PerPage > MaxPerPage {
		p.PerPage = MaxPerPage
	}
	return p
}

// Offset returns the row offset of the page.
func (p Page) Offset() int { p = p.Normalize(); return (p.Page - 1) * p.PerPage }

// runes counts characters the way WeChat and readers do.
func runes(s string) int { return utf8.RuneCountInString(s) }

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// label is the name labels give k, or k itself when they have none.
func label[K ~string](labels map[K]string, k K) string {
	if l, ok := labels[k]; ok {
		return l
	}
	return string(k)
}

// set copies *v to *dst when v is set: the nil fields of a partial update
// leave the record alone.
func set[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// setRef is set for the record's optional fields: *dst becomes v itself.
func setRef[T any](dst **T, v *T) {
	if v != nil {
		*dst = v
	}
}
