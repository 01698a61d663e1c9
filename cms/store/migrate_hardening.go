package store

import "gorm.io/gorm"

// migrateScheduledBy records who set a story's publish and unpublish
// times, so that the scheduler's actions name the user they act for.
func migrateScheduledBy(tx *gorm.DB) error {
	for _, col := range []string{"PublishBy", "UnpublishBy"} {
		if err := tx.Migrator().AddColumn(&v6Story{}, col); err != nil {
			return err
		}
	}
	return nil
}

type v6Story struct {
	PublishBy   int64 `gorm:"not null;default:0"`
	UnpublishBy int64 `gorm:"not null;default:0"`
}

func (v6Story) TableName() string { return "stories" }
