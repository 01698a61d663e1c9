package store

import (
	"time"

	"gorm.io/gorm"
)

// migrateInteract adds the public's ratings and messages (issue 17), the
// used form tokens and the handling rules.
func migrateInteract(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v11InteractSettings{}, &v11Message{}, &v11Rating{}, &v11FormNonce{}); err != nil {
		return err
	}
	return tx.Create(&v11InteractSettings{ID: 1, DueDays: 5, Holidays: "[]", MakeupDays: "[]",
		RetentionDays: 365, Version: 1, UpdatedAt: time.Now().UTC()}).Error
}

type v11InteractSettings struct {
	ID            int64  `gorm:"primaryKey;autoIncrement:false"`
	DueDays       int    `gorm:"not null"`
	Holidays      string `gorm:"type:text"` // JSON array of YYYY-MM-DD
	MakeupDays    string `gorm:"type:text"`
	RetentionDays int    `gorm:"not null"`
	Version       int    `gorm:"not null"`
	UpdatedAt     time.Time
}

func (v11InteractSettings) TableName() string { return "interact_settings" }

type v11Message struct {
	ID            int64
	Code          string    `gorm:"size:16;not null;uniqueIndex:ux_messages_code"`
	Category      string    `gorm:"size:20;not null"`
	ProjectID     int64     `gorm:"not null;index:ix_messages_project"`
	Text          string    `gorm:"type:text"`
	Name          string    `gorm:"type:text"`
	Phone         string    `gorm:"type:text"` // sealed (seal.go), never in clear
	Public        bool      `gorm:"not null"`
	RatingID      int64     `gorm:"not null"`
	Flags         string    `gorm:"type:text"` // JSON array of dictionary terms
	State         string    `gorm:"size:20;not null;index:ix_messages_state,priority:1"`
	AssigneeID    int64     `gorm:"not null"`
	AssigneeName  string    `gorm:"type:text"`
	Reply         string    `gorm:"type:text"`
	Reason        string    `gorm:"type:text"`
	PublishState  string    `gorm:"size:20;not null;index:ix_messages_publish,priority:1"`
	ReviewComment string    `gorm:"type:text"`
	DueAt         time.Time `gorm:"not null;index:ix_messages_state,priority:2"`
	HardDueAt     time.Time `gorm:"not null"`
	AcceptedAt    *time.Time
	ClosedAt      *time.Time
	PublishedAt   *time.Time `gorm:"index:ix_messages_publish,priority:2"`
	Anonymised    bool       `gorm:"not null"`
	Version       int        `gorm:"not null"`
	CreatedAt     time.Time  `gorm:"index:ix_messages_created"`
	UpdatedAt     time.Time
}

func (v11Message) TableName() string { return "messages" }

type v11Rating struct {
	ID         int64
	ProjectID  int64  `gorm:"not null;index:ix_ratings_month,priority:2"`
	StoryID    int64  `gorm:"not null"`
	Month      string `gorm:"size:7;not null;index:ix_ratings_month,priority:1"` // YYYY-MM in China time
	Level      int    `gorm:"not null"`
	Comment    string `gorm:"type:text"`
	Service    string `gorm:"type:text"`
	FollowUpID int64  `gorm:"not null"`
	CreatedAt  time.Time
}

func (v11Rating) TableName() string { return "ratings" }

// v11FormNonce is a form token already used: one token, one submission.
type v11FormNonce struct {
	Nonce     string    `gorm:"primaryKey;size:32"`
	CreatedAt time.Time `gorm:"index:ix_form_nonces_created"`
}

func (v11FormNonce) TableName() string { return "form_nonces" }
