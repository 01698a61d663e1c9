package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/slug"
)

// maxSlugLen bounds slugs: they are URL segments read out in WeChat links.
const maxSlugLen = 100

// baseSlug derives a slug from a title, "" when the title gives nothing.
func baseSlug(title string) string {
	s := slug.Make(title)
	if len(s) > maxSlugLen-4 { // room for a "-NN" suffix
		s = s[:maxSlugLen-4]
		if i := strings.LastIndexByte(s, '-'); i > 0 {
			s = s[:i]
		}
		s = strings.Trim(s, "-")
	}
	return s
}

// checkSlugLen complements cms's pattern check with a length limit.
func checkSlugLen(s string, fields map[string]string) {
	if len(s) > maxSlugLen {
		fields["slug"] = fmt.Sprintf("链接名不能超过%d个字符", maxSlugLen)
	}
}

// placeholderSlug is a unique stand-in used until an id-based slug
// ("story-<id>") can be written.
func placeholderSlug() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "pending-" + hex.EncodeToString(b)
}

// slugTable describes where slugs of one kind live: the table with the
// current slugs, and optionally a history table (story_slugs) whose slugs
// stay reserved for redirects.
type slugTable struct {
	table      string
	history    string
	historyKey string
}

var (
	storySlugs   = slugTable{table: "stories", history: "story_slugs", historyKey: "story_id"}
	projectSlugs = slugTable{table: "projects"}
)

// taken reports whether s is used by a row other than self.
func (t slugTable) taken(tx *gorm.DB, s string, self int64) (bool, error) {
	if ok, err := anyRow(tx.Table(t.table).Where("slug = ? AND id <> ?", s, self)); err != nil || ok {
		return ok, err
	}
	if t.history == "" {
		return false, nil
	}
	return anyRow(tx.Table(t.history).Where("slug = ? AND "+t.historyKey+" <> ?", s, self))
}

// used returns the slugs among base and base-N taken by rows other than self.
func (t slugTable) used(tx *gorm.DB, base string, self int64) (map[string]bool, error) {
	// base matches ^[a-z0-9-]+$, so it needs no LIKE escaping.
	var got []string
	if err := tx.Table(t.table).Where("(slug = ? OR slug LIKE ?) AND id <> ?", base, base+"-%", self).
		Pluck("slug", &got).Error; err != nil {
		return nil, err
	}
	if t.history != "" {
		var hist []string
		if err := tx.Table(t.history).Where("(slug = ? OR slug LIKE ?) AND "+t.historyKey+" <> ?", base, base+"-%", self).
			Pluck("slug", &hist).Error; err != nil {
			return nil, err
		}
		got = append(got, hist...)
	}
	m := make(map[string]bool, len(got))
	for _, s := range got {
		m[s] = true
	}
	return m, nil
}

// unique returns base, or base-2, base-3… whichever is free, also avoiding
// the slugs in reserved (taken earlier in the same batch).
func (t slugTable) unique(tx *gorm.DB, base string, self int64, reserved map[string]bool) (string, error) {
	used, err := t.used(tx, base, self)
	if err != nil {
		return "", err
	}
	return firstFree(base, func(s string) bool { return used[s] || reserved[s] }), nil
}

func firstFree(base string, busy func(string) bool) string {
	if !busy(base) {
		return base
	}
	for n := 2; ; n++ {
		if s := base + "-" + strconv.Itoa(n); !busy(s) {
			return s
		}
	}
}

// retrySlug runs fn again, a few times, while it fails only because a
// slug it derived was taken between its check and its insert.
func retrySlug(fn func() error) error {
	const attempts = 5
	for attempt := 1; ; attempt++ {
		err := fn()
		var ce *cms.Error
		if attempt == attempts || !errors.As(err, &ce) || ce.Code != cms.ECONFLICT || ce.Fields["slug"] == "" {
			return err
		}
		time.Sleep(time.Duration(mrand.IntN(5*attempt)+1) * time.Millisecond)
	}
}

func slugConflict() error {
	return &cms.Error{Code: cms.ECONFLICT, Message: "链接名已被使用", Fields: map[string]string{"slug": "链接名已被使用"}}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
