package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/huimin/huimin/cms/media"
	"github.com/huimin/huimin/cms/objstore"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/site"
)

// app is Huimin's wiring: the store, media and site every command shares.
type app struct {
	log   *slog.Logger
	db    *store.DB
	site  *site.Platform     // every site's builder and public handler
	files *media.SiteStorage // every site's media files, each in its own place
}

// openApp opens the data directory and the database (migrating it) and
// prepares the site builder.
func (c *command) openApp(ctx context.Context) (*app, error) {
	log := c.logger()
	if c.replica != "" {
		log = log.With("replica", c.replica)
	}
	keys, err := secretKeys(c.getenv)
	if err != nil {
		return nil, err
	}
	// The data directory holds the database, the key file, the originals
	// and draft previews: a new one is its owner's alone. (The public
	// site is served by huimin itself.)
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	data, err := filepath.Abs(c.data)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.db, data, log, keys...)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// Media files are each site's own, where its published site is: the
	// default site's as before sites existed, site N's below sites/<slug>/.
	root := media.Storage(media.NewDirStorage(filepath.Join(data, "media")))
	forSite := func(slug string) media.Storage {
		return media.NewDirStorage(filepath.Join(data, "sites", slug, "media"))
	}
	var bucket site.Bucket
	if c.storage != "" {
		st, err := objstore.Open(ctx, c.storage, c.getenv)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open storage: %w", err)
		}
		root, bucket = media.NewBucketStorage(st), st
		forSite = func(slug string) media.Storage { return media.NewBucketStorage(st.Sub("sites/" + slug)) }
		log.Info("media and the published site go to object storage", "storage", st.String())
	}
	files := media.NewSiteStorage(root, forSite, func(ctx context.Context, id int64) (string, error) {
		s, err := db.FindSiteByID(ctx, id)
		if err != nil {
			return "", err
		}
		return s.Slug, nil
	})
	var replica *site.Replica
	if c.replica != "" {
		if db.Dialect() != "mysql" || bucket == nil {
			db.Close()
			return nil, fmt.Errorf("--replica %s：多副本需要共用的 MySQL 数据库（--db mysql://…）和对象存储（--storage s3://…）", c.replica)
		}
		replica = &site.Replica{Name: c.replica, Leases: db, Queue: db}
	}
	s, err := site.NewPlatform(ctx, site.PlatformConfig{Sites: db, Config: site.Config{
		DataDir:   data,
		Source:    c.project,
		SourceDir: c.siteDir,
		Content:   db,
		Projects:  db,
		Pages:     db,
		Settings:  db,
		Builds:    db,
		Overview:  db,
		Logger:    log,
		Bucket:    bucket,
		Replica:   replica,
		// The link check finds body images whose file left the library.
		MediaExists: files.Exists,
	}})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare site: %w", err)
	}
	return &app{log: log, db: db, site: s, files: files}, nil
}

func (a *app) Close() error { return a.db.Close() }
