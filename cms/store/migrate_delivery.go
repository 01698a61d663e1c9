package store

import (
	"time"

	"gorm.io/gorm"
)

// migrateContentAPI adds what the content delivery API needs: the content
// version counter caches key on, integrators' API keys, and the search
// index (see search.go), filled from the stories already live.
func migrateContentAPI(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&v3ContentVersion{}, &v3APIKey{}); err != nil {
		return err
	}
	if err := tx.Create(&v3ContentVersion{ID: 1, Version: 1}).Error; err != nil {
		return err
	}
	ddl := "CREATE TABLE story_search (story_id BIGINT NOT NULL PRIMARY KEY, terms MEDIUMTEXT NOT NULL, " +
		"FULLTEXT KEY ft_story_search_terms (terms)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
	if isSQLite(tx) {
		// detail=none: matching needs no positions, which keeps the index small.
		ddl = "CREATE VIRTUAL TABLE story_search USING fts5(terms, detail=none)"
	}
	if err := tx.Exec(ddl).Error; err != nil {
		return err
	}
	return indexLiveStories(tx)
}

// migrateWechatVerify adds the name of the file WeChat asks a site to
// serve to prove it owns its domain (JS接口安全域名).
func migrateWechatVerify(tx *gorm.DB) error {
	return tx.Migrator().AddColumn(&v4Settings{}, "WechatVerifyFile")
}

type v4Settings struct {
	WechatVerifyFile string `gorm:"size:100;not null;default:''"`
}

func (v4Settings) TableName() string { return "settings" }

// migrateVersions gives users and brands a version, so that two admins
// editing one at once cannot silently overwrite each other.
func migrateVersions(tx *gorm.DB) error {
	if err := tx.Migrator().AddColumn(&v5User{}, "Version"); err != nil {
		return err
	}
	return tx.Migrator().AddColumn(&v5Brand{}, "Version")
}

type v5User struct {
	Version int `gorm:"not null;default:1"`
}

func (v5User) TableName() string { return "users" }

type v5Brand struct {
	Version int `gorm:"not null;default:1"`
}

func (v5Brand) TableName() string { return "brands" }

// v3ContentVersion is a single row whose counter changes with published content.
type v3ContentVersion struct {
	ID      int64 `gorm:"primaryKey;autoIncrement:false"`
	Version int64 `gorm:"not null"`
}

func (v3ContentVersion) TableName() string { return "content_version" }

// v3APIKey keeps only the SHA-256 of a key's secret.
type v3APIKey struct {
	ID        int64
	Name      string    `gorm:"size:100;not null"`
	Prefix    string    `gorm:"size:20;not null"`
	TokenHash string    `gorm:"size:64;not null;uniqueIndex:ux_api_keys_token_hash"`
	RateLimit int       `gorm:"not null"`
	CreatedBy int64     `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
	RevokedAt *time.Time
}

func (v3APIKey) TableName() string { return "api_keys" }
