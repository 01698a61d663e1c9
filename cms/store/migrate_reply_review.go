package store

import (
	"gorm.io/gorm"
)

// migrateReplyReview gives a reply to be published the stage of the site's
// review it waits at (issue 17: replies go through 初审/复审/终审 like
// stories). Replies already waiting for review start at the first stage.
func migrateReplyReview(tx *gorm.DB) error {
	if err := tx.Migrator().AddColumn(&v12Message{}, "ReviewStage"); err != nil {
		return err
	}
	return tx.Model(&v12Message{}).Where("publish_state = ?", "review").Update("review_stage", 1).Error
}

type v12Message struct {
	ID          int64
	ReviewStage int `gorm:"not null;default:0"`
}

func (v12Message) TableName() string { return "messages" }
