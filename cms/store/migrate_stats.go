package store

import (
	"context"
	"fmt"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// The reach statistics live in tables of their own, migrated by their own
// list (recorded in stat_migrations), so that the statistics store can be a
// separate SQLite file or a separate connection pool on MySQL and never
// waits on, or holds up, an editorial transaction.

const statsMigrationLock = "huimin_stats_migrate"

func statsMigrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "202612050001_stats", Migrate: migrateStatsInit},
		{ID: "202612060001_stats_indexes", Migrate: migrateStatsIndexes},
		{ID: "202612060002_stat_paths", Migrate: migrateStatPaths},
		{ID: "202612220001_stats_sites", Migrate: migrateStatsSites},
	}
}

// migrate runs the migrations of list not yet run (statsMigrations(), or
// a prefix of it in tests).
func (s *StatsDB) migrate(ctx context.Context, list []*gormigrate.Migration) error {
	opts := *gormigrate.DefaultOptions
	opts.TableName = "stat_migrations"
	opts.ValidateUnknownMigrations = false
	g := s.g.WithContext(ctx)
	if s.dialect == dialectSQLite {
		opts.UseTransaction = true
		return gormigrate.New(g, &opts, list).Migrate()
	}
	g = g.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci").
		Session(&gorm.Session{})
	release, err := mysqlLock(ctx, s.g, statsMigrationLock, 2*time.Minute)
	if err != nil {
		return err
	}
	defer release()
	return gormigrate.New(g, &opts, list).Migrate()
}

func migrateStatsInit(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&v1StatHit{}, &v1StatHourly{}, &v1StatDailyPage{}, &v1StatDailyDim{},
		&v1StatDailyTotal{}, &v1StatSalt{}, &v1StatSettings{}); err != nil {
		return err
	}
	return tx.Create(&v1StatSettings{ID: 1, ShowStoryViews: true, ShowSiteVisits: true, ShowRanking: true,
		RetentionDays: 90, Version: 1, UpdatedAt: time.Now().UTC()}).Error
}

// v1StatHit is one raw page view, kept RetentionDays. Days and hours are
// in cms.StatsZone.
type v1StatHit struct {
	ID        int64     `gorm:"primaryKey"`
	At        time.Time `gorm:"not null"`
	Day       string    `gorm:"size:10;not null;index:ix_stat_hits_day"`
	Hour      int       `gorm:"not null"`
	Path      string    `gorm:"size:300;not null"`
	StoryID   int64     `gorm:"not null"`
	ProjectID int64     `gorm:"not null"`
	Visitor   string    `gorm:"size:16;not null"`
	Source    string    `gorm:"size:16;not null"`
	Referrer  string    `gorm:"size:100;not null"`
	Device    string    `gorm:"size:8;not null"`
	Mode      string    `gorm:"size:8;not null"`
}

func (v1StatHit) TableName() string { return "stat_hits" }

type v1StatHourly struct {
	Day       string `gorm:"primaryKey;size:10"`
	Hour      int    `gorm:"primaryKey;autoIncrement:false"`
	Path      string `gorm:"primaryKey;size:300"`
	Source    string `gorm:"primaryKey;size:16"`
	ProjectID int64  `gorm:"not null"`
	Views     int64  `gorm:"not null"`
	Visitors  int64  `gorm:"not null"`
}

func (v1StatHourly) TableName() string { return "stat_hourly" }

type v1StatDailyPage struct {
	Day       string `gorm:"primaryKey;size:10;index:ix_stat_daily_pages_project,priority:2"`
	Path      string `gorm:"primaryKey;size:300;index:ix_stat_daily_pages_path"`
	ProjectID int64  `gorm:"not null;index:ix_stat_daily_pages_project,priority:1"`
	Views     int64  `gorm:"not null"`
	Visitors  int64  `gorm:"not null"`
}

func (v1StatDailyPage) TableName() string { return "stat_daily_pages" }

// v1StatDailyDim breaks a day's views of a project (0: pages of no
// project) down by one dimension: source, device, mode or referrer.
type v1StatDailyDim struct {
	Day       string `gorm:"primaryKey;size:10"`
	ProjectID int64  `gorm:"primaryKey;autoIncrement:false"`
	Dim       string `gorm:"primaryKey;size:10"`
	Key       string `gorm:"primaryKey;column:dkey;size:100"`
	Views     int64  `gorm:"not null"`
	Visitors  int64  `gorm:"not null"`
}

func (v1StatDailyDim) TableName() string { return "stat_daily_dims" }

// v1StatDailyTotal is a day's views and unique visitors of the whole site
// (project 0) and of each project.
type v1StatDailyTotal struct {
	Day       string `gorm:"primaryKey;size:10"`
	ProjectID int64  `gorm:"primaryKey;autoIncrement:false"`
	Views     int64  `gorm:"not null"`
	Visitors  int64  `gorm:"not null"`
}

func (v1StatDailyTotal) TableName() string { return "stat_daily_totals" }

// v1StatSalt holds today's random salt; earlier ones are deleted.
type v1StatSalt struct {
	Day  string `gorm:"primaryKey;size:10"`
	Salt string `gorm:"size:64;not null"`
}

func (v1StatSalt) TableName() string { return "stat_salts" }

type v1StatSettings struct {
	ID             int64 `gorm:"primaryKey;autoIncrement:false"`
	ShowStoryViews bool  `gorm:"not null"`
	ShowSiteVisits bool  `gorm:"not null"`
	ShowRanking    bool  `gorm:"not null"`
	RetentionDays  int   `gorm:"not null"`
	Version        int   `gorm:"not null"`
	UpdatedAt      time.Time
}

func (v1StatSettings) TableName() string { return "stat_settings" }

// migrateStatsIndexes lets a month's report group pages by a 64-bit hash of
// their path instead of the path itself (MySQL sorts 300-character keys
// slowly), from an index that holds every column the report reads; and
// gives each breakdown of stat_daily_dims its own index range.
func migrateStatsIndexes(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := m.AddColumn(&v2StatHit{}, "PathHash"); err != nil {
		return err
	}
	if err := m.AddColumn(&v2StatDailyPage{}, "PathHash"); err != nil {
		return err
	}
	for _, table := range []string{"stat_hits", "stat_daily_pages"} {
		var paths []string
		if err := tx.Table(table).Distinct("path").Pluck("path", &paths).Error; err != nil {
			return err
		}
		for _, p := range paths {
			if err := tx.Table(table).Where("path = ?", p).Update("path_hash", pathHash(p)).Error; err != nil {
				return err
			}
		}
	}
	if err := m.CreateIndex(&v2StatDailyPage{}, "ix_stat_daily_pages_hash"); err != nil {
		return err
	}
	return m.CreateIndex(&v2StatDailyDim{}, "ix_stat_daily_dims_dim")
}

type v2StatHit struct {
	PathHash int64 `gorm:"not null;default:0"`
}

func (v2StatHit) TableName() string { return "stat_hits" }

type v2StatDailyPage struct {
	Day      string `gorm:"size:10;index:ix_stat_daily_pages_hash,priority:1"`
	PathHash int64  `gorm:"not null;default:0;index:ix_stat_daily_pages_hash,priority:2"`
	Views    int64  `gorm:"index:ix_stat_daily_pages_hash,priority:3"`
	Visitors int64  `gorm:"index:ix_stat_daily_pages_hash,priority:4"`
}

func (v2StatDailyPage) TableName() string { return "stat_daily_pages" }

type v2StatDailyDim struct {
	Dim       string `gorm:"size:10;index:ix_stat_daily_dims_dim,priority:1"`
	Day       string `gorm:"size:10;index:ix_stat_daily_dims_dim,priority:2"`
	ProjectID int64  `gorm:"index:ix_stat_daily_dims_dim,priority:3"`
	Key       string `gorm:"column:dkey;size:100;index:ix_stat_daily_dims_dim,priority:4"`
	Views     int64  `gorm:"index:ix_stat_daily_dims_dim,priority:5"`
	Visitors  int64  `gorm:"index:ix_stat_daily_dims_dim,priority:6"`
}

func (v2StatDailyDim) TableName() string { return "stat_daily_dims" }

// migrateStatPaths adds the dictionary from path hashes to paths, so that
// a report names its top pages with a primary-key lookup each.
func migrateStatPaths(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v3StatPath{}); err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO stat_paths (path_hash, path)
		SELECT path_hash, MIN(path) FROM stat_daily_pages GROUP BY path_hash`).Error
}

type v3StatPath struct {
	PathHash int64  `gorm:"primaryKey;autoIncrement:false"`
	Path     string `gorm:"size:300;not null"`
}

func (v3StatPath) TableName() string { return "stat_paths" }

// migrateStatsSites counts reach per site (issue 15): every statistics
// table but the salts gains a site_id, 1 for the figures already there (a
// database from before sites is the default site's), and the keys and
// indexes of the rollups lead with it, so two sites with the same page
// path count apart and each report reads one site's range of an index.
// Salts stay one a day for the platform: the visitor hash includes the
// site instead.
//
// A primary key cannot change in place on SQLite, so the rollup tables are
// rebuilt: renamed aside, made anew and copied. The steps are safe to run
// again after an interruption (MySQL runs them outside a transaction).
func migrateStatsSites(tx *gorm.DB) error {
	m := tx.Migrator()
	if !m.HasColumn(&v4StatHit{}, "SiteID") {
		if err := m.AddColumn(&v4StatHit{}, "SiteID"); err != nil {
			return err
		}
	}
	if m.HasIndex(&v1StatHit{}, "ix_stat_hits_day") {
		if err := m.DropIndex(&v1StatHit{}, "ix_stat_hits_day"); err != nil {
			return err
		}
	}
	if !m.HasIndex(&v4StatHit{}, "ix_stat_hits_site_day") {
		if err := m.CreateIndex(&v4StatHit{}, "ix_stat_hits_site_day"); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		model any
		table string
		cols  string
	}{
		{&v4StatHourly{}, "stat_hourly", "day, hour, path, source, project_id, views, visitors"},
		{&v4StatDailyPage{}, "stat_daily_pages", "day, path, path_hash, project_id, views, visitors"},
		{&v4StatDailyDim{}, "stat_daily_dims", "day, project_id, dim, dkey, views, visitors"},
		{&v4StatDailyTotal{}, "stat_daily_totals", "day, project_id, views, visitors"},
		{&v4StatPath{}, "stat_paths", "path_hash, path"},
	} {
		if err := rebuildStatTable(tx, t.model, t.table, t.cols); err != nil {
			return fmt.Errorf("%s: %w", t.table, err)
		}
	}
	if !m.HasColumn(&v4StatSettings{}, "SiteID") {
		if err := m.AddColumn(&v4StatSettings{}, "SiteID"); err != nil {
			return err
		}
	}
	if !m.HasIndex(&v4StatSettings{}, "ux_stat_settings_site") {
		return m.CreateIndex(&v4StatSettings{}, "ux_stat_settings_site")
	}
	return nil
}

// rebuildStatTable makes table anew from model, with the rows it had as
// site 1's. cols are the columns it had.
func rebuildStatTable(tx *gorm.DB, model any, table, cols string) error {
	m := tx.Migrator()
	aside := table + "_v3"
	switch {
	case m.HasTable(aside):
		// An earlier run stopped after putting the table aside: what it
		// made of the new table may be partial.
		if m.HasTable(table) {
			if err := m.DropTable(table); err != nil {
				return err
			}
		}
	case m.HasColumn(table, "site_id"):
		return nil // rebuilt by an earlier run
	default:
		if err := m.RenameTable(table, aside); err != nil {
			return err
		}
	}
	if err := m.CreateTable(model); err != nil {
		return err
	}
	if err := tx.Exec("INSERT INTO " + table + " (site_id, " + cols + ") SELECT 1, " + cols + " FROM " + aside).Error; err != nil {
		return err
	}
	return m.DropTable(aside)
}

type v4StatHit struct {
	SiteID int64  `gorm:"not null;default:1;index:ix_stat_hits_site_day,priority:1"`
	Day    string `gorm:"size:10;index:ix_stat_hits_site_day,priority:2"`
}

func (v4StatHit) TableName() string { return "stat_hits" }

type v4StatHourly struct {
	SiteID    int64  `gorm:"primaryKey;autoIncrement:false;default:1"`
	Day       string `gorm:"primaryKey;size:10"`
	Hour      int    `gorm:"primaryKey;autoIncrement:false"`
	Path      string `gorm:"primaryKey;size:300"`
	Source    string `gorm:"primaryKey;size:16"`
	ProjectID int64  `gorm:"not null"`
	Views     int64  `gorm:"not null"`
	Visitors  int64  `gorm:"not null"`
}

func (v4StatHourly) TableName() string { return "stat_hourly" }

type v4StatDailyPage struct {
	SiteID    int64  `gorm:"primaryKey;autoIncrement:false;default:1;index:ix_stat_daily_pages_site_project,priority:1;index:ix_stat_daily_pages_site_path,priority:1;index:ix_stat_daily_pages_site_hash,priority:1"`
	Day       string `gorm:"primaryKey;size:10;index:ix_stat_daily_pages_site_project,priority:3;index:ix_stat_daily_pages_site_hash,priority:2"`
	Path      string `gorm:"primaryKey;size:300;index:ix_stat_daily_pages_site_path,priority:2"`
	PathHash  int64  `gorm:"not null;default:0;index:ix_stat_daily_pages_site_hash,priority:3"`
	ProjectID int64  `gorm:"not null;index:ix_stat_daily_pages_site_project,priority:2"`
	Views     int64  `gorm:"not null;index:ix_stat_daily_pages_site_hash,priority:4"`
	Visitors  int64  `gorm:"not null;index:ix_stat_daily_pages_site_hash,priority:5"`
}

func (v4StatDailyPage) TableName() string { return "stat_daily_pages" }

type v4StatDailyDim struct {
	SiteID    int64  `gorm:"primaryKey;autoIncrement:false;default:1;index:ix_stat_daily_dims_site_dim,priority:1"`
	Day       string `gorm:"primaryKey;size:10;index:ix_stat_daily_dims_site_dim,priority:3"`
	ProjectID int64  `gorm:"primaryKey;autoIncrement:false;index:ix_stat_daily_dims_site_dim,priority:4"`
	Dim       string `gorm:"primaryKey;size:10;index:ix_stat_daily_dims_site_dim,priority:2"`
	Key       string `gorm:"primaryKey;column:dkey;size:100;index:ix_stat_daily_dims_site_dim,priority:5"`
	Views     int64  `gorm:"not null;index:ix_stat_daily_dims_site_dim,priority:6"`
	Visitors  int64  `gorm:"not null;index:ix_stat_daily_dims_site_dim,priority:7"`
}

func (v4StatDailyDim) TableName() string { return "stat_daily_dims" }

type v4StatDailyTotal struct {
	SiteID    int64  `gorm:"primaryKey;autoIncrement:false;default:1"`
	Day       string `gorm:"primaryKey;size:10"`
	ProjectID int64  `gorm:"primaryKey;autoIncrement:false"`
	Views     int64  `gorm:"not null"`
	Visitors  int64  `gorm:"not null"`
}

func (v4StatDailyTotal) TableName() string { return "stat_daily_totals" }

type v4StatPath struct {
	SiteID   int64  `gorm:"primaryKey;autoIncrement:false;default:1"`
	PathHash int64  `gorm:"primaryKey;autoIncrement:false"`
	Path     string `gorm:"size:300;not null"`
}

func (v4StatPath) TableName() string { return "stat_paths" }

// v4StatSettings: one row per site, made on the site's first use; its id
// is the site's.
type v4StatSettings struct {
	SiteID int64 `gorm:"not null;default:1;uniqueIndex:ux_stat_settings_site"`
}

func (v4StatSettings) TableName() string { return "stat_settings" }
