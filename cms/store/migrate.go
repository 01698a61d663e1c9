package store

import (
	"context"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrationLock names the MySQL advisory lock that keeps two processes
// starting at once from migrating the same database together.
const migrationLock = "huimin_migrate"

// migrations lists every schema change in order. IDs are dated; a released
// migration is never edited, a change is a new entry. Each migration
// describes the tables with its own snapshot types (v1*), never with the
// row types the queries use, so that later changes to those cannot alter
// what an old migration does.
func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "202611220001_init", Migrate: migrateInit},
		{ID: "202612010001_editorial", Migrate: migrateEditorial},
		{ID: "202612020001_content_api", Migrate: migrateContentAPI},
		{ID: "202612030001_wechat_verify", Migrate: migrateWechatVerify},
		{ID: "202612040001_versions", Migrate: migrateVersions},
		{ID: "202612050001_scheduled_by", Migrate: migrateScheduledBy},
		{ID: "202612060001_replicas", Migrate: migrateReplicas},
		{ID: "202612070001_login_limits", Migrate: migrateLoginLimits},
		{ID: "202612080001_wechat_drafts", Migrate: migrateWechat},
		{ID: "202612080002_wechat_open_comment", Migrate: migrateWechatOpenComment},
		{ID: "202612090001_interact", Migrate: migrateInteract},
		{ID: "202612200001_inspection", Migrate: migrateInspection},
		{ID: "202612210001_reply_review", Migrate: migrateReplyReview},
		{ID: "202612220001_sites", Migrate: migrateSites},
		{ID: "202612230001_overview", Migrate: migrateOverview},
	}
}

// migrate brings the schema up to date. It is safe to run concurrently from
// several processes: on SQLite the whole run is one BEGIN IMMEDIATE
// transaction (SQLite DDL is transactional), on MySQL, whose DDL commits
// implicitly, a named lock serialises the runs.
func (db *DB) migrate(ctx context.Context) error {
	opts := *gormigrate.DefaultOptions
	opts.TableName = "schema_migrations"
	opts.ValidateUnknownMigrations = false // an older binary may meet a newer schema during a rolling upgrade
	g := db.w.WithContext(ctx)
	if db.dialect == dialectSQLite {
		opts.UseTransaction = true
		return gormigrate.New(g, &opts, migrations()).Migrate()
	}
	// Session makes the handle reusable: a bare Set would let one
	// statement's table name leak into the next.
	g = g.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci").
		Session(&gorm.Session{})
	release, err := mysqlLock(ctx, db.w, migrationLock, 2*time.Minute)
	if err != nil {
		return err
	}
	defer release()
	return gormigrate.New(g, &opts, migrations()).Migrate()
}

func migrateInit(tx *gorm.DB) error {
	if err := tx.AutoMigrate(
		&v1Settings{}, &v1Media{}, &v1Brand{}, &v1Project{}, &v1User{}, &v1Session{},
		&v1Story{}, &v1Revision{}, &v1Live{}, &v1Tag{}, &v1Slug{}, &v1SignOff{},
		&v1Build{}, &v1AuditEvent{}, &v1Page{},
	); err != nil {
		return err
	}
	return tx.Create(&v1Settings{ID: 1, SiteName: "惠民", ReviewStages: 3, Version: 1, UpdatedAt: time.Now().UTC()}).Error
}

// The v1 snapshot of the schema. Sizes are in characters (MySQL varchar);
// size:4194304 makes MEDIUMTEXT on MySQL for HTML bodies up to 2 MB of
// multi-byte text. On SQLite every string is TEXT.

type v1Settings struct {
	ID           int64  `gorm:"primaryKey;autoIncrement:false"`
	SiteName     string `gorm:"type:text"`
	Organizer    string `gorm:"type:text"`
	Contact      string `gorm:"type:text"`
	ICP          string `gorm:"type:text"`
	PoliceRecord string `gorm:"type:text"`
	GovSiteCode  string `gorm:"type:text"`
	BaseURL      string `gorm:"type:text"`
	WechatAppID  string `gorm:"type:text"`
	WechatSecret string `gorm:"type:text"`
	ReviewStages int    `gorm:"not null"`
	Version      int    `gorm:"not null"`
	UpdatedAt    time.Time
}

func (v1Settings) TableName() string { return "settings" }

type v1Media struct {
	ID        int64
	Hash      string    `gorm:"size:64;not null;uniqueIndex:ux_media_hash"`
	Filename  string    `gorm:"type:text"`
	Format    string    `gorm:"size:20"`
	Width     int       `gorm:"not null"`
	Height    int       `gorm:"not null"`
	Size      int64     `gorm:"not null"`
	Alt       string    `gorm:"type:text"`
	Caption   string    `gorm:"type:text"`
	Credit    string    `gorm:"type:text"`
	FocusX    float64   `gorm:"not null"`
	FocusY    float64   `gorm:"not null"`
	Variants  string    `gorm:"type:text"`
	Version   int       `gorm:"not null"`
	CreatedAt time.Time `gorm:"index:ix_media_created"`
	UpdatedAt time.Time
}

func (v1Media) TableName() string { return "media" }

type v1Brand struct {
	ID          int64
	Name        string `gorm:"size:100;not null"`
	Slogan      string `gorm:"type:text"`
	Intro       string `gorm:"type:text"`
	LogoMediaID *int64
	Logo        *v1Media `gorm:"foreignKey:LogoMediaID;constraint:OnDelete:RESTRICT"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (v1Brand) TableName() string { return "brands" }

type v1Project struct {
	ID           int64
	BrandID      *int64   `gorm:"index:ix_projects_brand"`
	Brand        *v1Brand `gorm:"foreignKey:BrandID;constraint:OnDelete:SET NULL"`
	ParentID     *int64   `gorm:"index:ix_projects_parent"`
	Name         string   `gorm:"size:100;not null"`
	Slug         string   `gorm:"size:200;not null;uniqueIndex:ux_projects_slug"`
	Kind         string   `gorm:"size:20;not null;index:ix_projects_kind"`
	Area         string   `gorm:"size:30;not null;index:ix_projects_area"`
	Summary      string   `gorm:"size:200"`
	Intro        string   `gorm:"size:4194304"`
	CoverMediaID *int64
	Cover        *v1Media `gorm:"foreignKey:CoverMediaID;constraint:OnDelete:RESTRICT"`
	Position     int      `gorm:"not null;index:ix_projects_position"`
	Version      int      `gorm:"not null"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (v1Project) TableName() string { return "projects" }

type v1User struct {
	ID           int64
	Username     string `gorm:"size:100;not null;uniqueIndex:ux_users_username"`
	Name         string `gorm:"type:text"`
	Role         string `gorm:"size:20;not null"`
	Level        int    `gorm:"not null"`
	Disabled     bool   `gorm:"not null"`
	PasswordHash string `gorm:"size:200;not null"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (v1User) TableName() string { return "users" }

type v1Session struct {
	ID        int64
	TokenHash string    `gorm:"size:64;not null;uniqueIndex:ux_sessions_token_hash"`
	UserID    int64     `gorm:"not null;index:ix_sessions_user"`
	User      *v1User   `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	ExpiresAt time.Time `gorm:"not null;index:ix_sessions_expires"`
	Revoked   bool      `gorm:"not null"`
	CreatedAt time.Time
}

func (v1Session) TableName() string { return "sessions" }

type v1Story struct {
	ID           int64
	Slug         string     `gorm:"size:200;not null;uniqueIndex:ux_stories_slug"`
	Title        string     `gorm:"size:200;not null"`
	ShareTitle   string     `gorm:"size:50"`
	Summary      string     `gorm:"size:200"`
	Body         string     `gorm:"size:4194304"`
	CoverMediaID *int64     `gorm:"index:ix_stories_cover"`
	Cover        *v1Media   `gorm:"foreignKey:CoverMediaID;constraint:OnDelete:RESTRICT"`
	ProjectID    int64      `gorm:"not null;index:ix_stories_project"`
	Project      *v1Project `gorm:"foreignKey:ProjectID;constraint:OnDelete:RESTRICT"`
	Tags         string     `gorm:"type:text"` // JSON array of the working copy's tags
	Author       string     `gorm:"type:text"`
	Source       string     `gorm:"type:text"`
	Status       string     `gorm:"size:20;not null;index:ix_stories_status_updated,priority:1"`
	ReviewStage  int        `gorm:"not null"`
	Version      int        `gorm:"not null"`
	LiveVersion  int        `gorm:"not null"`
	PublishedAt  *time.Time
	PublishAt    *time.Time `gorm:"index:ix_stories_publish_at"`
	UnpublishAt  *time.Time `gorm:"index:ix_stories_unpublish_at"`
	CreatedBy    int64      `gorm:"not null;index:ix_stories_created_by"`
	CreatedAt    time.Time
	UpdatedAt    time.Time `gorm:"index:ix_stories_status_updated,priority:2;index:ix_stories_updated"`
}

func (v1Story) TableName() string { return "stories" }

// v1Revision is a full snapshot of a story's working copy at one version.
type v1Revision struct {
	ID           int64
	StoryID      int64    `gorm:"not null;uniqueIndex:ux_story_revisions_story_version,priority:1"`
	Story        *v1Story `gorm:"foreignKey:StoryID;constraint:OnDelete:CASCADE"`
	Version      int      `gorm:"not null;uniqueIndex:ux_story_revisions_story_version,priority:2"`
	Slug         string   `gorm:"size:200;not null"`
	Title        string   `gorm:"size:200;not null"`
	ShareTitle   string   `gorm:"size:50"`
	Summary      string   `gorm:"size:200"`
	Body         string   `gorm:"size:4194304"`
	CoverMediaID *int64   `gorm:"index:ix_story_revisions_cover"`
	ProjectID    int64    `gorm:"not null"`
	Tags         string   `gorm:"type:text"`
	Author       string   `gorm:"type:text"`
	Source       string   `gorm:"type:text"`
	EditorID     int64    `gorm:"not null"`
	EditorName   string   `gorm:"type:text"`
	CreatedAt    time.Time
}

func (v1Revision) TableName() string { return "story_revisions" }

// v1Live says which revision of a story readers see, with the columns the
// content API filters and sorts on, so public reads touch one narrow table
// and join the revision by primary key.
type v1Live struct {
	StoryID     int64     `gorm:"primaryKey;autoIncrement:false"`
	Story       *v1Story  `gorm:"foreignKey:StoryID;constraint:OnDelete:CASCADE"`
	RevisionID  int64     `gorm:"not null;uniqueIndex:ux_story_live_revision"`
	Version     int       `gorm:"not null"`
	Slug        string    `gorm:"size:200;not null;uniqueIndex:ux_story_live_slug"`
	ProjectID   int64     `gorm:"not null;index:ix_story_live_project,priority:1"`
	PublishedAt time.Time `gorm:"not null;index:ix_story_live_project,priority:2;index:ix_story_live_published,priority:1"`
	LiveAt      time.Time `gorm:"not null"`
}

func (v1Live) TableName() string { return "story_live" }

// v1Tag holds the tags of live stories only; content filters use it. The
// publication time is copied here so that a tag's page is one index range.
type v1Tag struct {
	StoryID     int64     `gorm:"primaryKey;autoIncrement:false;index:ix_story_tags_tag,priority:3"`
	Story       *v1Story  `gorm:"foreignKey:StoryID;constraint:OnDelete:CASCADE"`
	Tag         string    `gorm:"primaryKey;size:50;index:ix_story_tags_tag,priority:1"`
	PublishedAt time.Time `gorm:"not null;index:ix_story_tags_tag,priority:2"`
}

func (v1Tag) TableName() string { return "story_tags" }

// v1Slug records every slug a story was published under, for redirects.
type v1Slug struct {
	ID        int64
	StoryID   int64    `gorm:"not null;index:ix_story_slugs_story"`
	Story     *v1Story `gorm:"foreignKey:StoryID;constraint:OnDelete:CASCADE"`
	Slug      string   `gorm:"size:200;not null;uniqueIndex:ux_story_slugs_slug"`
	CreatedAt time.Time
}

func (v1Slug) TableName() string { return "story_slugs" }

type v1SignOff struct {
	ID         int64
	StoryID    int64    `gorm:"not null;index:ix_sign_offs_story"`
	Story      *v1Story `gorm:"foreignKey:StoryID;constraint:OnDelete:CASCADE"`
	Version    int      `gorm:"not null"`
	Action     string   `gorm:"size:20;not null"`
	FromStatus string   `gorm:"size:20;not null"`
	ToStatus   string   `gorm:"size:20;not null"`
	Stage      int      `gorm:"not null"`
	ActorID    int64    `gorm:"not null"`
	ActorName  string   `gorm:"type:text"`
	Comment    string   `gorm:"type:text"`
	CreatedAt  time.Time
}

func (v1SignOff) TableName() string { return "sign_offs" }

type v1Build struct {
	ID         int64
	Status     string    `gorm:"size:20;not null;index:ix_builds_status"`
	Reason     string    `gorm:"type:text"`
	FullBuild  bool      `gorm:"not null"`
	Pages      int       `gorm:"not null"`
	Error      string    `gorm:"type:text"`
	ErrorFile  string    `gorm:"type:text"`
	ErrorLine  int       `gorm:"not null"`
	QueuedAt   time.Time `gorm:"not null"`
	StartedAt  *time.Time
	FinishedAt *time.Time
	DurationMS int64 `gorm:"column:duration_ms;not null"`
}

func (v1Build) TableName() string { return "builds" }

// v1AuditEvent is append-only: the store has no code path that updates or
// deletes it.
type v1AuditEvent struct {
	ID           int64
	ActorID      int64     `gorm:"not null;index:ix_audit_events_actor"`
	ActorName    string    `gorm:"type:text"`
	Action       string    `gorm:"size:50;not null;index:ix_audit_events_action"`
	Object       string    `gorm:"size:100;not null;index:ix_audit_events_object"`
	BeforeDigest string    `gorm:"size:32"`
	AfterDigest  string    `gorm:"size:32"`
	Detail       string    `gorm:"type:text"`
	CreatedAt    time.Time `gorm:"not null;index:ix_audit_events_created"`
}

func (v1AuditEvent) TableName() string { return "audit_events" }

type v1Page struct {
	ID        int64
	Slug      string `gorm:"size:200;not null;uniqueIndex:ux_pages_slug"`
	Title     string `gorm:"type:text"`
	Body      string `gorm:"size:4194304"`
	Position  int    `gorm:"not null"`
	Version   int    `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (v1Page) TableName() string { return "pages" }
