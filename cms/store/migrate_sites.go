package store

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migrateSites makes the database one of many sites (issue 15). What was
// there becomes the default site, id 1: every site-owned table gains a
// site_id that is 1 for the rows it has, the unique keys that were global
// (slugs, media hashes, dictionary terms) become unique per site, and the
// users keep their roles as roles in site 1. The admins of a single-site
// installation ran the whole installation, so they become platform admins.
func migrateSites(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v13Site{}, &v13SiteHost{}, &v13SiteMember{}); err != nil {
		return err
	}
	if err := tx.Migrator().AddColumn(&v13User{}, "PlatformAdmin"); err != nil {
		return err
	}
	column := "site_id integer NOT NULL DEFAULT 1"
	if tx.Dialector.Name() == dialectMySQL {
		column = "site_id BIGINT NOT NULL DEFAULT 1"
	}
	for _, t := range v13SiteTables {
		if err := tx.Exec("ALTER TABLE " + t + " ADD COLUMN " + column).Error; err != nil {
			return err
		}
	}
	// Indexes that searched or sorted a whole table now do so within a
	// site, so site_id leads them; global unique keys become per site.
	for _, ix := range v13Indexes {
		if ix.old != "" {
			if err := tx.Migrator().DropIndex(ix.table, ix.old); err != nil {
				return err
			}
		}
		kind := "INDEX"
		if ix.unique {
			kind = "UNIQUE INDEX"
		}
		if err := tx.Exec("CREATE " + kind + " " + ix.name + " ON " + ix.table + " (" + ix.columns + ")").Error; err != nil {
			return err
		}
	}

	// The default site takes its name and host from the settings.
	var set struct {
		SiteName string
		BaseURL  string
	}
	if err := tx.Table("settings").Select("site_name, base_url").Where("id = 1").Take(&set).Error; err != nil && err != gorm.ErrRecordNotFound {
		return err
	}
	name := strings.TrimSpace(set.SiteName)
	if name == "" {
		name = "惠民"
	}
	var hosts []string
	if u, err := url.Parse(set.BaseURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, strings.ToLower(u.Hostname()))
	}
	hj, _ := json.Marshal(append([]string{}, hosts...))
	now := time.Now().UTC()
	if err := tx.Create(&v13Site{ID: 1, Slug: "main", Name: name, Hosts: string(hj), Version: 1, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		return err
	}
	for _, h := range hosts {
		if err := tx.Create(&v13SiteHost{Host: h, SiteID: 1}).Error; err != nil {
			return err
		}
	}
	if err := tx.Exec("INSERT INTO site_members (user_id, site_id, role, level) SELECT id, 1, role, level FROM users").Error; err != nil {
		return err
	}
	// The dictionary a single site had is the platform's: every site
	// checks against it, and adds its own terms.
	if err := tx.Exec("UPDATE dictionary_terms SET site_id = 0").Error; err != nil {
		return err
	}
	return tx.Exec("UPDATE users SET platform_admin = ? WHERE role = ?", true, "admin").Error
}

// v13SiteTables are the tables that hold a site's data (sitescope.go's
// siteTables as of this migration).
var v13SiteTables = []string{
	"settings", "media", "brands", "projects", "stories", "story_revisions", "story_live", "story_tags",
	"story_slugs", "sign_offs", "builds", "audit_events", "pages", "dictionary_terms", "content_version",
	"api_keys", "wechat_drafts", "interact_settings", "messages", "ratings", "inspection_settings",
}

var v13Indexes = []struct {
	table, old, name, columns string
	unique                    bool
}{
	{"media", "ux_media_hash", "ux_media_site_hash", "site_id, hash", true},
	{"media", "ix_media_created", "ix_media_site_created", "site_id, created_at", false},
	{"projects", "ux_projects_slug", "ux_projects_site_slug", "site_id, slug", true},
	{"projects", "ix_projects_position", "ix_projects_site_position", "site_id, position", false},
	{"stories", "ux_stories_slug", "ux_stories_site_slug", "site_id, slug", true},
	{"stories", "ix_stories_updated", "ix_stories_site_updated", "site_id, updated_at", false},
	{"stories", "ix_stories_status_updated", "ix_stories_site_status_updated", "site_id, status, updated_at", false},
	{"story_live", "ux_story_live_slug", "ux_story_live_site_slug", "site_id, slug", true},
	{"story_live", "ix_story_live_published", "ix_story_live_site_published", "site_id, published_at", false},
	{"story_tags", "ix_story_tags_tag", "ix_story_tags_site_tag", "site_id, tag, published_at, story_id", false},
	{"story_slugs", "ux_story_slugs_slug", "ux_story_slugs_site_slug", "site_id, slug", true},
	{"builds", "", "ix_builds_site_status", "site_id, status", false},
	{"audit_events", "ix_audit_events_created", "ix_audit_events_site_created", "site_id, created_at", false},
	{"pages", "ux_pages_slug", "ux_pages_site_slug", "site_id, slug", true},
	{"dictionary_terms", "ux_dictionary_terms_term", "ux_dictionary_terms_site_term", "site_id, term", true},
	{"messages", "ix_messages_created", "ix_messages_site_created", "site_id, created_at", false},
	{"ratings", "ix_ratings_month", "ix_ratings_site_month", "site_id, month, project_id", false},
	{"settings", "", "ix_settings_site", "site_id", false},
	{"content_version", "", "ix_content_version_site", "site_id", false},
	{"interact_settings", "", "ix_interact_settings_site", "site_id", false},
	{"inspection_settings", "", "ix_inspection_settings_site", "site_id", false},
}

type v13Site struct {
	ID        int64  `gorm:"primaryKey;autoIncrement"`
	Slug      string `gorm:"size:40;not null;uniqueIndex:ux_sites_slug"`
	Name      string `gorm:"size:60;not null"`
	Hosts     string `gorm:"type:text"` // JSON list, as entered; site_hosts indexes them
	Overview  bool   `gorm:"not null;default:false"`
	Version   int    `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (v13Site) TableName() string { return "sites" }

// v13SiteHost makes a host name belong to one site at most.
type v13SiteHost struct {
	Host   string `gorm:"primaryKey;size:255"`
	SiteID int64  `gorm:"not null;index:ix_site_hosts_site"`
}

func (v13SiteHost) TableName() string { return "site_hosts" }

type v13SiteMember struct {
	UserID int64  `gorm:"primaryKey;autoIncrement:false"`
	SiteID int64  `gorm:"primaryKey;autoIncrement:false;index:ix_site_members_site"`
	Role   string `gorm:"size:16;not null"`
	Level  int    `gorm:"not null"`
}

func (v13SiteMember) TableName() string { return "site_members" }

type v13User struct {
	ID            int64
	PlatformAdmin bool `gorm:"not null;default:false"`
}

func (v13User) TableName() string { return "users" }
