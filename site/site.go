// Package site turns published content into the public Hugo site: it
// exports live stories, projects, standing pages and settings as Hugo
// content, builds the site in-process with Hugo, publishes atomically, and
// keeps a record of every build. It is the only package that imports Hugo.
//
// A full build renders every page into a fresh directory and switches what
// the public handler serves to it. A publish is an incremental build: the
// export works out which content files changed, only their pages are
// rendered, and they replace the live files one rename at a time
// (incremental.go). Both give the same files (site_test.go replays edits to
// prove it).
//
// With Config.Bucket set, each build that goes live is then copied to an
// S3-compatible bucket, changed files only, in an order that keeps links
// working for its readers (bucket.go); a CDN or nginx serves it from there.
//
// Everything lives under <DataDir>/site for the default site (cms.DefaultSiteID,
// the one an installation starts with) and under <DataDir>/sites/<slug>/site
// for the platform's other sites (platform.go):
//
//	build.lock        flock held while exporting and building (serve and `huimin build` never overlap)
//	site.toml         generated Hugo config overlay: baseURL, title, params, mounts
//	content/          exported Hugo content, synced in place (stale files deleted)
//	extra/            exported files published as they are: sitemap, search index
//	project/<hash>/   the Hugo project (config.toml, themes/, assets/) extracted from Config.Source
//	builds/<id>/      the output of a full build, updated in place by incremental ones
//	current           symlink to the live build, for external web servers
//	scratch/          where an incremental build renders
//	resources/, cache/  Hugo's resource and file caches
package site

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/rogpeppe/go-internal/lockedfile"
)

// Config is what a Site needs. Source or SourceDir must be set.
type Config struct {
	// DataDir is Huimin's data directory; the default site uses
	// DataDir/site, any other DataDir/sites/<Slug>/site.
	DataDir string
	// SiteID is the site (cms.Site) this Site builds and serves: every
	// store call it makes carries it (cms.NewContextWithSite), so the
	// export, the build records and the link check see that site's data
	// only. 0 means cms.DefaultSiteID.
	SiteID int64
	// Slug names the directory and the bucket prefix (sites/<Slug>/) of a
	// site other than the default one, which keeps the paths and the
	// bucket root of an installation from before sites. Required with a
	// SiteID other than cms.DefaultSiteID.
	Slug string
	// Source is the Hugo project (config.toml, themes/, assets/), typically
	// an embed.FS of the repository root. Its content/ is never used.
	Source fs.FS
	// SourceDir, when set, is used as the Hugo project in place instead of
	// extracting Source: for theme development and for tests that edit it.
	SourceDir string

	Content  cms.ContentService
	Projects cms.ProjectService
	Pages    cms.PageService
	Settings cms.SettingsService
	Builds   cms.BuildService
	// Overview, when set, gives the site with overview on (the city
	// bureau's) what its home and 全市服务品牌 page show of the other
	// sites; other sites get nil from it and export as before.
	Overview cms.OverviewService
	Logger   *slog.Logger

	// Bucket, when set, receives a copy of every build that goes live
	// (bucket.go): the public site for a CDN or nginx to serve, and for
	// other replicas.
	Bucket Bucket

	// Replica, when set, makes this process one of several replicas on one
	// database (replica.go): builds queue in the database and the holder
	// of the builder lease runs them; the others serve the Bucket's site.
	Replica *Replica

	// MediaExists, when set, tells whether a media file (key "<hash>/<file>"
	// of /media/<hash>/<file>) is stored: the link check reports images of
	// the built pages whose file is gone from the library.
	MediaExists func(ctx context.Context, key string) (bool, error)

	// MemoryLimit is the soft limit on the Go heap (runtime/debug.SetMemoryLimit)
	// New sets when the process has none (no GOMEMLIMIT): a full build of a
	// 10,000-story site holds about 500 MB, and by default the heap would
	// grow to twice that before collecting. 0 means 1 GiB; negative, leave
	// the runtime alone.
	MemoryLimit int64

	// sched, when set, is the platform's scheduler (platform.go): builds
	// wait for one of its slots, so many sites share one builder.
	sched *scheduler
}

// defaultMemoryLimit keeps a process holding a 10,000-story site within
// 1.5 GiB of memory (issue 5).
const defaultMemoryLimit = 1 << 30

// Site builds and serves the public site. Create it with New, start the
// build worker with Run, and serve Handler.
type Site struct {
	cfg  Config
	id   int64 // cfg.SiteID, or cms.DefaultSiteID
	log  *slog.Logger
	dir  string // DataDir/site, or DataDir/sites/<slug>/site
	lock *lockedfile.Mutex

	// sourceHash names the extracted project directory; empty with SourceDir.
	sourceHash string

	mu      sync.Mutex
	queued  *cms.Build              // the build new changes join; nil when none waits
	pending hints                   // what the queued build must read again
	done    map[int64]chan struct{} // closed when the build with that id finishes
	wake    chan struct{}           // tells Run a build is queued

	buildMu sync.Mutex   // one build at a time in this process; guards exp and base
	exp     *exportState // the content as last exported
	base    *liveBase    // the live build, if this process made it
	last    buildResult  // of the last build, for tests

	// Under a Platform (platform.go): warm says the site holds the state
	// an incremental build needs (exp and base), so its next build can be
	// one; used is when it last built or was asked to, for releasing the
	// state of idle sites; slot is the scheduler slot the running build
	// holds. beforeRender, when set, is called before Hugo renders (tests
	// make a build slow with it).
	warm         atomic.Bool
	used         atomic.Int64 // unix nanos
	slot         *slot
	beforeRender func(full bool)

	// backoff are the pauses before trying a build that failed for want
	// of disk space or permission again; sleep waits them out and mkdir
	// makes build directories. now is the clock current reads. Tests
	// replace them.
	backoff []time.Duration
	sleep   func(context.Context, time.Duration) error
	mkdir   func(string, os.FileMode) error
	now     func() time.Time // when to look at the current symlink again

	mirror *mirror // copies live builds to cfg.Bucket; nil without one

	links        linkState     // the link check of the live build (linkcheck.go)
	lastManifest manifestCache // the tamper check's last manifest (manifest.go)

	// Replicas (replica.go, follow.go): the cancel of this replica's term
	// as the site's builder (under holderMu), and the bucket manifest this
	// replica serves a copy of. The lease itself is the Replica's, shared
	// by the sites of a Platform.
	holderMu     sync.Mutex
	leading      context.CancelFunc
	followMu     sync.Mutex
	followed     string
	followSums   map[string]string
	followedName string // the build directory a follow made, which later ones update

	live      atomic.Pointer[output]
	liveBuild atomic.Int64 // the build record live here; 0 until a build or a follow since the start
	switchMu  sync.Mutex   // serialises changing live and the current symlink
	nextCheck atomic.Int64 // unix nanos; when to look at the current symlink again
}

// output is one finished build directory.
type output struct {
	name string // directory name under builds/
	dir  string // absolute path
}

var _ cms.Publisher = (*Site)(nil)

// New prepares the site directory and adopts the build the current symlink
// points at, so a restarted server serves the last good site at once.
func New(cfg Config) (*Site, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("site: DataDir is required")
	}
	if cfg.Source == nil && cfg.SourceDir == "" {
		return nil, errors.New("site: Source or SourceDir is required")
	}
	if cfg.Content == nil || cfg.Projects == nil || cfg.Pages == nil || cfg.Settings == nil || cfg.Builds == nil {
		return nil, errors.New("site: Content, Projects, Pages, Settings and Builds are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	data, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	id := cfg.SiteID
	if id <= 0 {
		id = cms.DefaultSiteID
	}
	dir := filepath.Join(data, "site")
	if id != cms.DefaultSiteID {
		if !siteSlug.MatchString(cfg.Slug) {
			return nil, fmt.Errorf("site: site %d: slug %q is not a valid site slug", id, cfg.Slug)
		}
		dir = filepath.Join(data, "sites", cfg.Slug, "site")
		log = log.With("site", cfg.Slug)
		if cfg.Bucket != nil {
			cfg.Bucket = subBucket(cfg.Bucket, "sites/"+cfg.Slug+"/")
		}
	}
	if cfg.SourceDir != "" {
		if cfg.SourceDir, err = filepath.Abs(cfg.SourceDir); err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
	}
	scopeServices(&cfg, id)
	s := &Site{
		cfg:  cfg,
		id:   id,
		log:  log.With("component", "site"),
		dir:  dir,
		done: map[int64]chan struct{}{},
		wake: make(chan struct{}, 1),

		backoff: buildBackoff,
		sleep:   sleepCtx,
		mkdir:   os.Mkdir,
		now:     time.Now,
	}
	if cfg.Bucket != nil {
		s.mirror = newMirror(cfg.Bucket, s.log)
		s.mirror.fence = s.fenced
	}
	for _, d := range []string{s.dir, s.path("builds"), s.path("content")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
	}
	s.lock = lockedfile.MutexAt(s.path("build.lock"))
	if limit := cfg.MemoryLimit; limit >= 0 && debug.SetMemoryLimit(-1) == math.MaxInt64 {
		if limit == 0 {
			limit = defaultMemoryLimit
		}
		debug.SetMemoryLimit(limit)
	}
	if cfg.SourceDir == "" {
		if s.sourceHash, err = hashProject(cfg.Source); err != nil {
			return nil, fmt.Errorf("site: reading Source: %w", err)
		}
	}
	s.refresh()
	return s, nil
}

// Ready reports whether a good build exists and is being served.
func (s *Site) Ready() bool { return s.current() != nil }

// ID returns the id of the site (cms.Site) this Site builds.
func (s *Site) ID() int64 { return s.id }

// Dir returns the site's directory (DataDir/site for the default site).
func (s *Site) Dir() string { return s.dir }

// scope returns ctx acting in this site: every store call the Site makes
// goes through a context scope made.
func (s *Site) scope(ctx context.Context) context.Context {
	return cms.NewContextWithSite(ctx, s.id)
}

// siteSlug is cms.Site's slug rule: the slug names a directory.
var siteSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

func (s *Site) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

// current returns the build to serve. About once a second it also follows
// the current symlink, so a build made by another process (`huimin build`
// while `serve` runs) goes live here too.
func (s *Site) current() *output {
	now := s.now().UnixNano()
	if next := s.nextCheck.Load(); now >= next && s.nextCheck.CompareAndSwap(next, now+int64(time.Second)) {
		s.refresh()
	}
	return s.live.Load()
}

// refresh adopts the build the current symlink points at if it differs from
// the live one.
func (s *Site) refresh() {
	if !s.switchMu.TryLock() {
		return // a switch is in progress; it sets both
	}
	defer s.switchMu.Unlock()
	target, err := os.Readlink(s.path("current"))
	if err != nil {
		return
	}
	name := filepath.Base(target)
	if o := s.live.Load(); o != nil && o.name == name {
		return
	}
	dir := s.path("builds", name)
	if fi, err := os.Stat(filepath.Join(dir, "index.html")); err != nil || fi.IsDir() {
		return
	}
	s.live.Store(&output{name: name, dir: dir})
	s.log.Info("serving build from current symlink", "build", name)
}

// publish makes o the live build: first for this process's handler, then
// for external web servers through the current symlink.
func (s *Site) publish(o *output) error {
	s.switchMu.Lock()
	defer s.switchMu.Unlock()
	s.live.Store(o)
	tmp := s.path(fmt.Sprintf(".current-%d", time.Now().UnixNano()))
	if err := os.Symlink(filepath.Join("builds", o.name), tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path("current")); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// wait blocks until ctx is done or ch is closed.
func wait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
		return nil
	}
}
