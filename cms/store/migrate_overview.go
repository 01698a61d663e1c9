package store

import (
	"time"

	"gorm.io/gorm"
)

// migrateOverview adds the overview site's highlights (全市服务品牌, issue
// 15): stories of other sites its editors chose, in their order. The table
// is site-owned by the overview site; story_site_id and story_id name the
// story in its own site.
func migrateOverview(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v14Highlight{})
}

type v14Highlight struct {
	ID          int64 `gorm:"primaryKey;autoIncrement"`
	SiteID      int64 `gorm:"not null;uniqueIndex:ux_highlights_site_story,priority:1;index:ix_highlights_site_position,priority:1"`
	StorySiteID int64 `gorm:"not null;uniqueIndex:ux_highlights_site_story,priority:2"`
	StoryID     int64 `gorm:"not null;uniqueIndex:ux_highlights_site_story,priority:3"`
	Position    int   `gorm:"not null;index:ix_highlights_site_position,priority:2"`
	CreatedBy   int64 `gorm:"not null"`
	CreatedAt   time.Time
}

func (v14Highlight) TableName() string { return "highlights" }
