package store

import (
	"encoding/json"
	"time"

	"github.com/huimin/huimin/cms"
)

// Row types are what GORM reads and writes. They mirror the tables the
// migrations create and stay unexported: cms types cross the package
// boundary, converted at the edge by the to* methods and *Row functions.

type settingsRow struct {
	SiteID       int64 // the site the row belongs to (sitescope.go)
	ID           int64
	SiteName     string
	Organizer    string
	Contact      string
	ICP          string `gorm:"column:icp"`
	PoliceRecord string
	GovSiteCode  string
	BaseURL      string `gorm:"column:base_url"`
	WechatAppID  string `gorm:"column:wechat_app_id"`
	WechatSecret string
	// WechatVerifyFile is "MP_verify_<code>.txt" or empty.
	WechatVerifyFile  string `gorm:"column:wechat_verify_file"`
	WechatOpenComment bool   `gorm:"column:wechat_open_comment"`
	ReviewStages      int
	Version           int
	UpdatedAt         time.Time
}

func (settingsRow) TableName() string { return "settings" }

type mediaRow struct {
	SiteID    int64 // the site the row belongs to (sitescope.go)
	ID        int64
	Hash      string
	Filename  string
	Format    string
	Width     int
	Height    int
	Size      int64
	Alt       string
	Caption   string
	Credit    string
	FocusX    float64
	FocusY    float64
	Variants  string // JSON
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (mediaRow) TableName() string { return "media" }

type brandRow struct {
	SiteID      int64 // the site the row belongs to (sitescope.go)
	ID          int64
	Name        string
	Slogan      string
	Intro       string
	LogoMediaID *int64
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (brandRow) TableName() string { return "brands" }

type projectRow struct {
	SiteID       int64 // the site the row belongs to (sitescope.go)
	ID           int64
	BrandID      *int64
	ParentID     *int64
	Name         string
	Slug         string
	Kind         string
	Area         string
	Summary      string
	Intro        string
	CoverMediaID *int64
	Position     int
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (projectRow) TableName() string { return "projects" }

type userRow struct {
	ID       int64
	Username string
	Name     string
	Role     string
	Level    int
	Disabled bool
	// PlatformAdmin: an admin of every site, who manages sites and users.
	PlatformAdmin bool
	PasswordHash  string
	Version       int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (userRow) TableName() string { return "users" }

type sessionRow struct {
	ID        int64
	TokenHash string
	UserID    int64
	ExpiresAt time.Time
	Revoked   bool
	CreatedAt time.Time
}

func (sessionRow) TableName() string { return "sessions" }

type storyRow struct {
	SiteID       int64 // the site the row belongs to (sitescope.go)
	ID           int64
	Slug         string
	Title        string
	ShareTitle   string
	Summary      string
	Body         string
	CoverMediaID *int64
	ProjectID    int64
	Tags         string // JSON array
	Author       string
	Source       string
	Status       string
	ReviewStage  int
	Version      int
	LiveVersion  int
	PublishedAt  *time.Time
	PublishAt    *time.Time
	UnpublishAt  *time.Time
	// PublishBy and UnpublishBy are the users who set PublishAt and
	// UnpublishAt (or published with them set): the scheduler acts for them.
	PublishBy   int64
	UnpublishBy int64
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (storyRow) TableName() string { return "stories" }

type revisionRow struct {
	SiteID       int64 // the site the row belongs to (sitescope.go)
	ID           int64
	StoryID      int64
	Version      int
	Slug         string
	Title        string
	ShareTitle   string
	Summary      string
	Body         string
	CoverMediaID *int64
	ProjectID    int64
	Tags         string
	Author       string
	Source       string
	EditorID     int64
	EditorName   string
	CreatedAt    time.Time
}

func (revisionRow) TableName() string { return "story_revisions" }

type liveRow struct {
	SiteID      int64 // the site the row belongs to (sitescope.go)
	StoryID     int64 `gorm:"primaryKey;autoIncrement:false"`
	RevisionID  int64
	Version     int
	Slug        string
	ProjectID   int64
	PublishedAt time.Time
	LiveAt      time.Time
}

func (liveRow) TableName() string { return "story_live" }

type tagRow struct {
	SiteID      int64  // the site the row belongs to (sitescope.go)
	StoryID     int64  `gorm:"primaryKey;autoIncrement:false"`
	Tag         string `gorm:"primaryKey"`
	PublishedAt time.Time
}

func (tagRow) TableName() string { return "story_tags" }

type slugRow struct {
	SiteID    int64 // the site the row belongs to (sitescope.go)
	ID        int64
	StoryID   int64
	Slug      string
	CreatedAt time.Time
}

func (slugRow) TableName() string { return "story_slugs" }

type signOffRow struct {
	SiteID     int64 // the site the row belongs to (sitescope.go)
	ID         int64
	StoryID    int64
	Version    int
	Action     string
	FromStatus string
	ToStatus   string
	Stage      int
	ActorID    int64
	ActorName  string
	Comment    string
	Override   string
	CreatedAt  time.Time
}

func (signOffRow) TableName() string { return "sign_offs" }

type buildRow struct {
	SiteID     int64 // the site the row belongs to (sitescope.go)
	ID         int64
	Status     string
	Reason     string
	FullBuild  bool
	Pages      int
	Error      string
	ErrorFile  string
	ErrorLine  int
	QueuedAt   time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	DurationMS int64 `gorm:"column:duration_ms"`
	// HintStories are the ids of cms.Build.Stories, comma-separated.
	HintStories string
	Builder     string
}

func (buildRow) TableName() string { return "builds" }

type auditRow struct {
	SiteID       int64 // the site the row belongs to (sitescope.go)
	ID           int64
	ActorID      int64
	ActorName    string
	Action       string
	Object       string
	BeforeDigest string
	AfterDigest  string
	Detail       string
	CreatedAt    time.Time
}

func (auditRow) TableName() string { return "audit_events" }

type pageRow struct {
	SiteID    int64 // the site the row belongs to (sitescope.go)
	ID        int64
	Slug      string
	Title     string
	Body      string
	Position  int
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (pageRow) TableName() string { return "pages" }

// Conversions.

// convert turns rows into records with toCMS, a method expression such as
// (*storyRow).toCMS.
func convert[R, C any](rows []R, toCMS func(*R) C) []C {
	out := make([]C, len(rows))
	for i := range rows {
		out[i] = toCMS(&rows[i])
	}
	return out
}

func (r *settingsRow) toCMS() *cms.Settings {
	return &cms.Settings{
		SiteName: r.SiteName, Organizer: r.Organizer, Contact: r.Contact, ICP: r.ICP,
		PoliceRecord: r.PoliceRecord, GovSiteCode: r.GovSiteCode, BaseURL: r.BaseURL,
		WechatAppID: r.WechatAppID, WechatSecret: r.WechatSecret, WechatSecretSet: r.WechatSecret != "",
		WechatVerifyFile: r.WechatVerifyFile, WechatOpenComment: r.WechatOpenComment,
		ReviewStages: r.ReviewStages, Version: r.Version, UpdatedAt: r.UpdatedAt,
	}
}

func (r *mediaRow) toCMS() *cms.Media {
	m := &cms.Media{
		ID: r.ID, Hash: r.Hash, Filename: r.Filename, Format: r.Format, Width: r.Width, Height: r.Height,
		Size: r.Size, Alt: r.Alt, Caption: r.Caption, Credit: r.Credit, FocusX: r.FocusX, FocusY: r.FocusY,
		Variants: []cms.MediaVariant{}, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.Variants != "" {
		_ = json.Unmarshal([]byte(r.Variants), &m.Variants)
	}
	return m
}

func mediaRowOf(m *cms.Media) mediaRow {
	return mediaRow{
		ID: m.ID, Hash: m.Hash, Filename: m.Filename, Format: m.Format, Width: m.Width, Height: m.Height,
		Size: m.Size, Alt: m.Alt, Caption: m.Caption, Credit: m.Credit, FocusX: m.FocusX, FocusY: m.FocusY,
		Variants: encodeJSON(m.Variants), Version: m.Version, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

func (r *brandRow) toCMS() *cms.Brand {
	return &cms.Brand{ID: r.ID, Name: r.Name, Slogan: r.Slogan, Intro: r.Intro, LogoMediaID: r.LogoMediaID,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r *projectRow) toCMS() *cms.Project {
	return &cms.Project{
		ID: r.ID, BrandID: r.BrandID, ParentID: r.ParentID, Name: r.Name, Slug: r.Slug,
		Kind: cms.ProjectKind(r.Kind), Area: cms.Area(r.Area), Summary: r.Summary, Intro: r.Intro,
		CoverMediaID: r.CoverMediaID, Position: r.Position, Version: r.Version, URL: cms.ProjectURL(r.Slug),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

func projectRowOf(p *cms.Project) projectRow {
	return projectRow{
		ID: p.ID, BrandID: p.BrandID, ParentID: p.ParentID, Name: p.Name, Slug: p.Slug,
		Kind: string(p.Kind), Area: string(p.Area), Summary: p.Summary, Intro: p.Intro,
		CoverMediaID: p.CoverMediaID, Position: p.Position, Version: p.Version,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func (r *userRow) toCMS() *cms.User {
	return &cms.User{ID: r.ID, Username: r.Username, Name: r.Name, Role: cms.Role(r.Role), Level: r.Level,
		PlatformAdmin: r.PlatformAdmin, Disabled: r.Disabled, Version: r.Version, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt}
}

func (r *storyRow) toCMS() *cms.Story {
	return &cms.Story{
		ID: r.ID, Slug: r.Slug, Title: r.Title, ShareTitle: r.ShareTitle, Summary: r.Summary, Body: r.Body,
		CoverMediaID: r.CoverMediaID, ProjectID: r.ProjectID, Tags: decodeTags(r.Tags), Author: r.Author,
		Source: r.Source, Status: cms.StoryStatus(r.Status), ReviewStage: r.ReviewStage, Version: r.Version,
		LiveVersion: r.LiveVersion, PublishedAt: r.PublishedAt, PublishAt: r.PublishAt, UnpublishAt: r.UnpublishAt,
		URL: cms.StoryURL(r.Slug), ShortURL: cms.ShortURL(r.ID), CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// storyRowOf copies the stored fields of s; workflow fields included.
func storyRowOf(s *cms.Story) storyRow {
	return storyRow{
		ID: s.ID, Slug: s.Slug, Title: s.Title, ShareTitle: s.ShareTitle, Summary: s.Summary, Body: s.Body,
		CoverMediaID: s.CoverMediaID, ProjectID: s.ProjectID, Tags: encodeTags(s.Tags), Author: s.Author,
		Source: s.Source, Status: string(s.Status), ReviewStage: s.ReviewStage, Version: s.Version,
		LiveVersion: s.LiveVersion, PublishedAt: utcPtr(s.PublishedAt), PublishAt: utcPtr(s.PublishAt),
		UnpublishAt: utcPtr(s.UnpublishAt), CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// revisionOf snapshots the working copy r as saved by editor a.
func revisionOf(r *storyRow, a actor, now time.Time) revisionRow {
	return revisionRow{
		StoryID: r.ID, Version: r.Version, Slug: r.Slug, Title: r.Title, ShareTitle: r.ShareTitle,
		Summary: r.Summary, Body: r.Body, CoverMediaID: r.CoverMediaID, ProjectID: r.ProjectID, Tags: r.Tags,
		Author: r.Author, Source: r.Source, EditorID: a.id, EditorName: a.name, CreatedAt: now,
	}
}

func (r *revisionRow) toCMS() *cms.Revision {
	return &cms.Revision{
		ID: r.ID, StoryID: r.StoryID, Version: r.Version, Title: r.Title, ShareTitle: r.ShareTitle,
		Summary: r.Summary, Body: r.Body, Slug: r.Slug, CoverMediaID: r.CoverMediaID, ProjectID: r.ProjectID,
		Tags: decodeTags(r.Tags), Author: r.Author, Source: r.Source, EditorID: r.EditorID,
		EditorName: r.EditorName, CreatedAt: r.CreatedAt,
	}
}

func (r *signOffRow) toCMS() *cms.SignOff {
	return &cms.SignOff{
		ID: r.ID, StoryID: r.StoryID, Version: r.Version, Action: cms.Action(r.Action),
		FromState: cms.StoryStatus(r.FromStatus), ToState: cms.StoryStatus(r.ToStatus), Stage: r.Stage,
		ActorID: r.ActorID, ActorName: r.ActorName, Comment: r.Comment, Override: r.Override, CreatedAt: r.CreatedAt,
	}
}

func (r *buildRow) toCMS() *cms.Build {
	return &cms.Build{
		ID: r.ID, Status: cms.BuildStatus(r.Status), Reason: r.Reason, Full: r.FullBuild, Pages: r.Pages,
		Error: r.Error, ErrorFile: r.ErrorFile, ErrorLine: r.ErrorLine, QueuedAt: r.QueuedAt,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, DurationMS: r.DurationMS,
		Stories: parseIDs(r.HintStories), Builder: r.Builder,
	}
}

func (r *auditRow) toCMS() *cms.AuditEvent {
	return &cms.AuditEvent{
		ID: r.ID, ActorID: r.ActorID, ActorName: r.ActorName, Action: r.Action, Object: r.Object,
		Before: r.BeforeDigest, After: r.AfterDigest, Detail: r.Detail, CreatedAt: r.CreatedAt,
	}
}

func (r *pageRow) toCMS() *cms.StandingPage {
	return &cms.StandingPage{ID: r.ID, Slug: r.Slug, Title: r.Title, Body: r.Body, Position: r.Position,
		Version: r.Version, URL: cms.PageURL(r.Slug), UpdatedAt: r.UpdatedAt}
}

// encodeTags stores tags as a JSON array; "[]" for none, so LIKE filters
// and readers never meet NULL.
func encodeTags(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	return encodeJSON(tags)
}

func decodeTags(s string) []string {
	tags := []string{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &tags)
	}
	return tags
}

// encodeJSON marshals v without HTML escaping, so stored text stays readable
// and substring filters match what users typed.
func encodeJSON(v any) string {
	b, err := marshalJSON(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// utcPtr normalises a time to UTC at millisecond precision: MySQL keeps
// DATETIME(3), and SQLite compares the stored text, which must share one zone.
func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := utc(*t)
	return &u
}

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
