package cms

import (
	"context"
	"time"
)

// Media is an uploaded image. Its original is kept privately; only variants
// (re-encoded, metadata stripped) are ever served.
type Media struct {
	ID        int64          `json:"id"`
	Hash      string         `json:"hash"` // sha256 of the original bytes: one item per distinct file
	Filename  string         `json:"filename"`
	Format    string         `json:"format"`
	Width     int            `json:"width"` // after EXIF orientation
	Height    int            `json:"height"`
	Size      int64          `json:"size"`
	Alt       string         `json:"alt"`
	Caption   string         `json:"caption"`
	Credit    string         `json:"credit"`
	FocusX    float64        `json:"focus_x"`
	FocusY    float64        `json:"focus_y"`
	Variants  []MediaVariant `json:"variants"`
	Version   int            `json:"version"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// MediaVariant is one served rendition of a media item.
type MediaVariant struct {
	Name   string `json:"name"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	URL    string `json:"url"`
}

// Variant returns the named variant, or nil.
func (m *Media) Variant(name string) *MediaVariant {
	for i := range m.Variants {
		if m.Variants[i].Name == name {
			return &m.Variants[i]
		}
	}
	return nil
}

// MediaUpdate changes the descriptive fields of a media item.
type MediaUpdate struct {
	Version int      `json:"version"`
	Alt     *string  `json:"alt"`
	Caption *string  `json:"caption"`
	Credit  *string  `json:"credit"`
	FocusX  *float64 `json:"focus_x"`
	FocusY  *float64 `json:"focus_y"`
}

// Validate reports the fields of u that are wrong.
func (u *MediaUpdate) Validate() error {
	f := map[string]string{}
	if u.FocusX != nil && (*u.FocusX < 0 || *u.FocusX > 1) {
		f["focus_x"] = "焦点坐标必须在0到1之间"
	}
	if u.FocusY != nil && (*u.FocusY < 0 || *u.FocusY > 1) {
		f["focus_y"] = "焦点坐标必须在0到1之间"
	}
	if u.Alt != nil && runes(*u.Alt) > 200 {
		f["alt"] = "替代文字不能超过200个字"
	}
	return invalidIf(f)
}

// MediaService stores media records (the files live in media storage).
type MediaService interface {
	// CreateMedia saves m; when an item with the same hash exists it is
	// returned instead and created is false.
	CreateMedia(ctx context.Context, m *Media) (stored *Media, created bool, err error)
	// FindMediaByID returns ENOTFOUND.
	FindMediaByID(ctx context.Context, id int64) (*Media, error)
	// FindMediaByHash returns the item whose original has this sha256, or ENOTFOUND.
	FindMediaByHash(ctx context.Context, hash string) (*Media, error)
	// FindMedia returns a page of media, newest first, and the total.
	FindMedia(ctx context.Context, p Page) ([]*Media, int, error)
	// UpdateMedia returns ENOTFOUND, EINVALID, ECONFLICT (stale version),
	// EFORBIDDEN when a live or approved story shows the item and the user
	// may not publish (CanPublish): its description reaches the public
	// page without review.
	UpdateMedia(ctx context.Context, id int64, u MediaUpdate) (*Media, error)
	// ReplaceVariants stores regenerated variants (after a focal point change).
	ReplaceVariants(ctx context.Context, id int64, v []MediaVariant) error
	// DeleteMedia returns ENOTFOUND, or ECONFLICT while a story or project uses it.
	DeleteMedia(ctx context.Context, id int64) error
}
