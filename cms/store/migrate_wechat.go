package store

import (
	"time"

	"gorm.io/gorm"
)

// migrateWechat adds the 公众号 draft tables (issue 19): the access token
// every replica shares, the pictures already uploaded to WeChat, and each
// story's draft.
func migrateWechat(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v9WechatToken{}, &v9WechatAsset{}, &v9WechatDraft{})
}

type v9WechatToken struct {
	AppID     string    `gorm:"primaryKey;size:64"`
	Token     string    `gorm:"type:text"` // sealed (seal.go)
	ExpiresAt time.Time `gorm:"not null"`
	UpdatedAt time.Time
}

func (v9WechatToken) TableName() string { return "wechat_tokens" }

type v9WechatAsset struct {
	ID            int64
	AppID         string `gorm:"size:64;not null;uniqueIndex:ux_wechat_assets,priority:1"`
	Kind          string `gorm:"size:20;not null;uniqueIndex:ux_wechat_assets,priority:2"`
	MediaID       int64  `gorm:"not null;uniqueIndex:ux_wechat_assets,priority:3"`
	Src           string `gorm:"size:300;not null;uniqueIndex:ux_wechat_assets,priority:4"`
	URL           string `gorm:"type:text"`
	WechatMediaID string `gorm:"size:200"`
	CreatedAt     time.Time
}

func (v9WechatAsset) TableName() string { return "wechat_assets" }

type v9WechatDraft struct {
	StoryID       int64    `gorm:"primaryKey;autoIncrement:false"`
	Story         *v1Story `gorm:"foreignKey:StoryID;constraint:OnDelete:CASCADE"`
	AppID         string   `gorm:"size:64;not null"`
	Status        string   `gorm:"size:20;not null"`
	MediaID       string   `gorm:"size:200;not null"`
	SyncedVersion int      `gorm:"not null"`
	SyncedAt      *time.Time
	SyncedByID    int64  `gorm:"not null"`
	SyncedByName  string `gorm:"type:text"`
	Error         string `gorm:"type:text"`
	FailedAt      *time.Time
	UpdatedAt     time.Time
}

func (v9WechatDraft) TableName() string { return "wechat_drafts" }

// migrateWechatOpenComment adds the setting that opens comments on the
// 公众号 drafts (need_open_comment).
func migrateWechatOpenComment(tx *gorm.DB) error {
	return tx.Migrator().AddColumn(&v9Settings{}, "WechatOpenComment")
}

type v9Settings struct {
	WechatOpenComment bool `gorm:"column:wechat_open_comment;not null;default:false"`
}

func (v9Settings) TableName() string { return "settings" }
