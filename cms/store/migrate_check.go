package store

import (
	"time"

	"gorm.io/gorm"
)

// migrateInspection adds the 网站体检 tables (issue 20): the thresholds of
// the freshness check and the last result of every external link checked.
func migrateInspection(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v10InspectionSettings{}, &v10LinkCheck{})
}

type v10InspectionSettings struct {
	ID        int64
	NewsDays  int    `gorm:"not null"`
	OtherDays int    `gorm:"not null"`
	WarnDays  int    `gorm:"not null"`
	Lists     string `gorm:"type:text"` // JSON: news_lists, other_lists, column_tags
	Version   int    `gorm:"not null"`
	UpdatedAt time.Time
}

func (v10InspectionSettings) TableName() string { return "inspection_settings" }

type v10LinkCheck struct {
	URLHash   string `gorm:"primaryKey;size:64"` // hex SHA-256 of URL
	URL       string `gorm:"type:text"`
	OK        bool   `gorm:"not null"`
	Status    int    `gorm:"not null"`
	Error     string `gorm:"type:text"`
	CheckedAt time.Time
}

func (v10LinkCheck) TableName() string { return "link_checks" }
