package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

var _ cms.StatsService = (*StatsDB)(nil)

// StatsDB stores the reach statistics (cms.StatsService). It has a
// connection pool of its own: on SQLite a separate file (stats.db beside
// huimin.db), so a flood of page views never takes the write lock that
// publishing needs; on MySQL the same database but its own few connections
// and its own tables, written in short bulk inserts.
//
// Hits are queued in memory and written by a background writer every
// FlushEvery or BatchSize hits, whichever comes first; Close writes what
// is left, so a clean stop loses nothing.
//
// Every figure belongs to one site (issue 15): a hit is filed under its
// PageView.SiteID, rollups are made per site and day, and every read and
// settings change is of the site its context acts in
// (cms.SiteIDFromContext), with "site_id = ?" written into each query —
// this pool has no scoping callbacks. Only the daily salt is shared.
type StatsDB struct {
	g       *gorm.DB
	pool    *sql.DB
	dialect string
	log     *slog.Logger
	opts    StatsOptions

	mu      sync.Mutex // guards queue
	queue   []cms.PageView
	dropped atomic.Int64
	written atomic.Int64
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	closed  sync.Once

	writeMu    sync.Mutex // one flush at a time
	dirty      map[statDay]bool
	lastRollup time.Time
	rollupCost time.Duration
	lastPrune  time.Time

	saltMu sync.Mutex
	salts  map[string][]byte
}

// StatsOptions tune the writer; zero values take the defaults.
type StatsOptions struct {
	FlushEvery  time.Duration // default 1s
	BatchSize   int           // default 1000 hits
	MaxQueue    int           // default 200,000 hits; beyond, hits are dropped and counted
	RollupEvery time.Duration // default 10s, and at least 50× the last rollup's time (≤ 2% of a core)
	Now         func() time.Time
}

// OpenStats opens the statistics store for the database named by dsn
// (as store.Open) and starts its writer.
func OpenStats(ctx context.Context, dsn, dataDir string, log *slog.Logger, opts StatsOptions) (s *StatsDB, err error) {
	defer cms.Wrap(&err, "store.OpenStats")
	if s, err = connectStats(dsn, dataDir, log, opts); err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, statsMigrations()); err != nil {
		s.pool.Close()
		return nil, err
	}
	go s.run()
	return s, nil
}

// connectStats opens the connections of the statistics store, neither
// migrated nor writing yet.
func connectStats(dsn, dataDir string, log *slog.Logger, opts StatsOptions) (s *StatsDB, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = time.Second
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.MaxQueue <= 0 {
		opts.MaxQueue = 200_000
	}
	if opts.RollupEvery <= 0 {
		opts.RollupEvery = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s = &StatsDB{log: log, opts: opts, kick: make(chan struct{}, 1), stop: make(chan struct{}),
		done: make(chan struct{}), dirty: map[statDay]bool{}, salts: map[string][]byte{}}
	cfg := &gorm.Config{Logger: newGormLogger(log, slowQuery), SkipDefaultTransaction: true,
		NowFunc: func() time.Time { return opts.Now().UTC() }}
	var dialector gorm.Dialector
	switch {
	case dsn == "" || strings.HasPrefix(dsn, "sqlite://"):
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			if dataDir == "" {
				dataDir = "data"
			}
			path = filepath.Join(dataDir, "stats.db")
		} else {
			path = filepath.Join(filepath.Dir(path), "stats.db")
		}
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_txlock", "immediate")
		s.dialect, dialector = dialectSQLite, sqlite.Open(path+"?"+q.Encode())
	case strings.HasPrefix(dsn, "mysql://"):
		mc, err := mysqlConfig(strings.TrimPrefix(dsn, "mysql://"))
		if err != nil {
			return nil, err
		}
		s.dialect, dialector = dialectMySQL, mysql.New(mysql.Config{DSNConfig: mc})
	default:
		return nil, cms.Errorf(cms.EINVALID, "不支持的数据库地址")
	}
	if s.g, err = gorm.Open(dialector, cfg); err != nil {
		return nil, err
	}
	if s.pool, err = s.g.DB(); err != nil {
		return nil, err
	}
	if s.dialect == dialectSQLite {
		// One connection: the writer and the (cached) readers take turns,
		// which SQLite would make them do anyway.
		s.pool.SetMaxOpenConns(1)
	} else {
		// A few connections of its own: statistics never take one the
		// editorial pool needs.
		s.pool.SetMaxOpenConns(4)
		s.pool.SetMaxIdleConns(4)
		s.pool.SetConnMaxLifetime(30 * time.Minute)
	}
	return s, nil
}

// Close writes the queued hits, brings the rollups up to date and closes
// the connections. Hits recorded afterwards are dropped.
func (s *StatsDB) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.stop)
		<-s.done
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err = s.Flush(ctx)
		err = errors.Join(err, s.pool.Close())
	})
	return err
}

// Dropped is how many hits were dropped because the queue was full.
func (s *StatsDB) Dropped() int64 { return s.dropped.Load() }

// Written is how many hits were written.
func (s *StatsDB) Written() int64 { return s.written.Load() }

// Record queues h; see cms.StatsService. A hit of no site is the default
// site's.
func (s *StatsDB) Record(h cms.PageView) {
	if h.SiteID <= 0 {
		h.SiteID = cms.DefaultSiteID
	}
	s.mu.Lock()
	if len(s.queue) >= s.opts.MaxQueue {
		s.mu.Unlock()
		s.dropped.Add(1)
		return
	}
	s.queue = append(s.queue, h)
	full := len(s.queue) >= s.opts.BatchSize
	s.mu.Unlock()
	if full {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

func (s *StatsDB) run() {
	defer close(s.done)
	t := time.NewTicker(s.opts.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := s.flush(ctx, false); err != nil {
			s.log.Error("writing page views", "err", err)
		}
		cancel()
	}
}

// Flush writes what is queued and rolls up at once.
func (s *StatsDB) Flush(ctx context.Context) error { return s.flush(ctx, true) }

func (s *StatsDB) flush(ctx context.Context, rollNow bool) (err error) {
	defer cms.Wrap(&err, "StatsDB.flush")
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	for {
		s.mu.Lock()
		batch := s.queue
		switch {
		case len(batch) == 0:
		case len(batch) > s.opts.BatchSize:
			batch = batch[:s.opts.BatchSize:s.opts.BatchSize]
			s.queue = s.queue[s.opts.BatchSize:]
		default:
			// Room for a batch at once: growing the queue a row at a time
			// copied it over and over inside Record's lock.
			s.queue = make([]cms.PageView, 0, s.opts.BatchSize)
		}
		s.mu.Unlock()
		if len(batch) == 0 {
			break
		}
		if err := s.insert(ctx, batch); err != nil {
			s.requeue(batch)
			return err
		}
	}
	now := s.opts.Now()
	if len(s.dirty) > 0 && (rollNow || now.Sub(s.lastRollup) >= max(s.opts.RollupEvery, 50*s.rollupCost)) {
		start := time.Now()
		for d := range s.dirty {
			if err := s.rollup(ctx, d); err != nil {
				return err
			}
			delete(s.dirty, d)
		}
		s.lastRollup, s.rollupCost = now, time.Since(start)
	}
	if now.Sub(s.lastPrune) >= time.Hour {
		if err := s.prune(ctx); err != nil {
			return err
		}
		s.lastPrune = now
	}
	return nil
}

// requeue puts a batch that could not be written back at the head of the
// queue, as far as there is room.
func (s *StatsDB) requeue(batch []cms.PageView) {
	s.mu.Lock()
	defer s.mu.Unlock()
	room := max(0, s.opts.MaxQueue-len(s.queue))
	if len(batch) > room {
		s.dropped.Add(int64(len(batch) - room))
		batch = batch[:room]
	}
	s.queue = append(append([]cms.PageView(nil), batch...), s.queue...)
}

// statHitRow is a raw hit as stored: v1StatHit with its path's hash (v2)
// and its site (v4).
type statHitRow struct {
	ID        int64 `gorm:"primaryKey"`
	SiteID    int64
	At        time.Time
	Day       string
	Hour      int
	Path      string
	PathHash  int64
	StoryID   int64
	ProjectID int64
	Visitor   string
	Source    string
	Referrer  string
	Device    string
	Mode      string
}

func (statHitRow) TableName() string { return "stat_hits" }

// statDay is a day of one site's figures, rolled up together.
type statDay struct {
	site int64
	day  string
}

// insertChunk keeps each statement short: on MySQL a bulk insert holds its
// locks only for a few hundred rows. SQLite takes sqliteInsertChunk rows a
// statement, all in one transaction: its driver compiles a statement again
// at every execution and matches each parameter against every argument, so
// one row a statement pays a compilation per row and long statements a
// matching that grows with the square of their parameters.
// BenchmarkStatsInsert: 1 row 130–190 µs a view on the shared 2-core
// machine, 2–6 rows 16–20 µs, 16 rows 28–34 µs.
const (
	insertChunk       = 500
	sqliteInsertChunk = 4
)

func (s *StatsDB) insert(ctx context.Context, hits []cms.PageView) error {
	rows := make([]statHitRow, len(hits))
	for i, h := range hits {
		local := h.At.In(cms.StatsZone)
		rows[i] = statHitRow{SiteID: h.SiteID, At: h.At.UTC(), Day: local.Format(time.DateOnly), Hour: local.Hour(),
			Path: clipStat(h.Path, 300), StoryID: h.StoryID, ProjectID: h.ProjectID, Visitor: clipStat(h.Visitor, 16),
			Source: clipStat(h.Source, 16), Referrer: clipStat(h.Referrer, 100), Device: clipStat(h.Device, 8), Mode: clipStat(h.Mode, 8)}
		rows[i].PathHash = pathHash(rows[i].Path)
		s.dirty[statDay{h.SiteID, rows[i].Day}] = true
	}
	chunk := insertChunk
	if s.dialect == dialectSQLite {
		chunk = sqliteInsertChunk
	}
	// Statements written out here, without GORM: its reflection cost more
	// than the database's work.
	exec := s.pool.ExecContext
	var tx *sql.Tx
	if s.dialect == dialectSQLite {
		var err error
		if tx, err = s.pool.BeginTx(ctx, nil); err != nil {
			return err
		}
		defer tx.Rollback()
		exec = tx.ExecContext
	}
	full := insertStatement(s.dialect, chunk)
	args := make([]any, 0, chunk*13)
	for i := 0; i < len(rows); i += chunk {
		part := rows[i:min(len(rows), i+chunk)]
		args = args[:0]
		for _, r := range part {
			args = append(args, r.SiteID, r.At, r.Day, r.Hour, r.Path, r.PathHash, r.StoryID, r.ProjectID, r.Visitor, r.Source, r.Referrer, r.Device, r.Mode)
		}
		q := full
		if len(part) < chunk {
			q = insertStatement(s.dialect, len(part))
		}
		if _, err := exec(ctx, q, args...); err != nil {
			return err
		}
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	s.written.Add(int64(len(rows)))
	return nil
}

// insertStatement is the INSERT of n hits. On SQLite it is INSERT OR
// FAIL: a statement that may stop halfway through its rows otherwise keeps
// a statement journal, which the driver's allocator maps and unmaps at
// every statement; the whole transaction is rolled back on any error
// anyway.
func insertStatement(dialect string, n int) string {
	var q strings.Builder
	q.WriteString("INSERT ")
	if dialect == dialectSQLite {
		q.WriteString("OR FAIL ")
	}
	q.WriteString("INTO stat_hits (site_id, at, day, hour, path, path_hash, story_id, project_id, visitor, source, referrer, device, mode) VALUES ")
	for k := range n {
		if k > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	return q.String()
}

func clipStat(v string, n int) string {
	if len(v) <= n {
		return v
	}
	r := []rune(v)
	for len(string(r)) > n {
		r = r[:len(r)-1]
	}
	return string(r)
}

// rollup recomputes a site's day of rollups from its raw hits, in one
// transaction. Every statement keeps to the site: WHERE site_id = ? and
// site_id in every GROUP BY.
func (s *StatsDB) rollup(ctx context.Context, d statDay) error {
	return s.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range []string{"stat_hourly", "stat_daily_pages", "stat_daily_dims", "stat_daily_totals"} {
			if err := tx.Exec("DELETE FROM "+t+" WHERE site_id = ? AND day = ?", d.site, d.day).Error; err != nil {
				return err
			}
		}
		if err := tx.Exec(`INSERT INTO stat_paths (site_id, path_hash, path)
			 SELECT site_id, path_hash, MIN(path) FROM stat_hits
			 WHERE site_id = ? AND day = ? AND path_hash NOT IN (SELECT path_hash FROM stat_paths WHERE site_id = ?)
			 GROUP BY site_id, path_hash`, d.site, d.day, d.site).Error; err != nil {
			return err
		}
		stmts := []string{
			`INSERT INTO stat_hourly (site_id, day, hour, path, source, project_id, views, visitors)
			 SELECT site_id, day, hour, path, source, MAX(project_id), COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE site_id = ? AND day = ? GROUP BY site_id, day, hour, path, source`,
			`INSERT INTO stat_daily_pages (site_id, day, path, path_hash, project_id, views, visitors)
			 SELECT site_id, day, path, MAX(path_hash), MAX(project_id), COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE site_id = ? AND day = ? GROUP BY site_id, day, path`,
			`INSERT INTO stat_daily_totals (site_id, day, project_id, views, visitors)
			 SELECT site_id, day, 0, COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE site_id = ? AND day = ? GROUP BY site_id, day`,
			`INSERT INTO stat_daily_totals (site_id, day, project_id, views, visitors)
			 SELECT site_id, day, project_id, COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE site_id = ? AND day = ? AND project_id > 0 GROUP BY site_id, day, project_id`,
		}
		for _, q := range stmts {
			if err := tx.Exec(q, d.site, d.day).Error; err != nil {
				return err
			}
		}
		for _, dim := range []string{"source", "device", "mode", "referrer", "hour"} {
			q := `INSERT INTO stat_daily_dims (site_id, day, project_id, dim, dkey, views, visitors)
			 SELECT site_id, day, project_id, '` + dim + `', ` + dim + `, COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE site_id = ? AND day = ?`
			if dim == "referrer" {
				q += ` AND referrer <> ''`
			}
			if err := tx.Exec(q+` GROUP BY site_id, day, project_id, `+dim, d.site, d.day).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// pruneChunk bounds one delete, so pruning a long backlog never holds a
// lock for long.
const pruneChunk = 5000

// prune deletes raw hits older than their site's retention period; their
// rollups stay. The sites are those with rollups or settings: a site's
// hits are rolled up within seconds, long before any is old enough.
func (s *StatsDB) prune(ctx context.Context) error {
	g := s.g.WithContext(ctx)
	var sites []int64
	if err := g.Raw("SELECT DISTINCT site_id FROM stat_daily_totals UNION SELECT site_id FROM stat_settings").
		Scan(&sites).Error; err != nil {
		return err
	}
	for _, site := range sites {
		set, err := s.settingsOf(g, site, false)
		if err != nil {
			return err
		}
		cutoff := cms.StatsDayOf(s.opts.Now().AddDate(0, 0, -set.RetentionDays))
		for {
			var ids []int64
			if err := g.Model(&statHitRow{}).Where("site_id = ? AND day < ?", site, cutoff).Limit(pruneChunk).
				Pluck("id", &ids).Error; err != nil {
				return err
			}
			if len(ids) == 0 {
				break
			}
			if err := g.Where("id IN ?", ids).Delete(&statHitRow{}).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// Prune deletes raw hits past the retention period of their site now, for
// every site (it also runs hourly with the writer).
func (s *StatsDB) Prune(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.prune(ctx)
}

// Salt returns day's salt; see cms.StatsService. One salt serves every
// site: it only has to keep the visitor hash from being reversed or linked
// across days, which a secret random salt does as well for all sites as
// one each would; the hash includes the site (web.visitorHash), so the same
// reader is a different, unlinkable visitor on each site.
func (s *StatsDB) Salt(ctx context.Context, day string) (salt []byte, err error) {
	defer cms.Wrap(&err, "Salt(%s)", day)
	s.saltMu.Lock()
	defer s.saltMu.Unlock()
	if b, ok := s.salts[day]; ok {
		return b, nil
	}
	g := s.g.WithContext(ctx)
	var row v1StatSalt
	err = g.Take(&row, "day = ?", day).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		row = v1StatSalt{Day: day, Salt: hex.EncodeToString(randomBytes(32))}
		if err := g.Create(&row).Error; err != nil {
			// Another process made it first: take theirs.
			if err := g.Take(&row, "day = ?", day).Error; err != nil {
				return nil, err
			}
		}
	} else if err != nil {
		return nil, err
	}
	// Earlier days' salts are discarded: their visitors can no longer be
	// linked to anything.
	if err := g.Where("day < ?", day).Delete(&v1StatSalt{}).Error; err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(row.Salt)
	if err != nil {
		return nil, err
	}
	clear(s.salts)
	s.salts[day] = b
	return b, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// PathViews returns all-time views per path.
func (s *StatsDB) PathViews(ctx context.Context, paths []string) (out map[string]int64, err error) {
	defer cms.Wrap(&err, "PathViews")
	out = map[string]int64{}
	if len(paths) == 0 {
		return out, nil
	}
	var rows []struct {
		Path  string
		Views int64
	}
	if err := s.g.WithContext(ctx).Model(&v4StatDailyPage{}).Select("path, SUM(views) AS views").
		Where("site_id = ? AND path IN ?", siteCtx(ctx), paths).Group("path").Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Path] = r.Views
	}
	return out, nil
}

// SiteTotals returns all-time views and summed daily visitors.
func (s *StatsDB) SiteTotals(ctx context.Context) (views, visitors int64, err error) {
	defer cms.Wrap(&err, "SiteTotals")
	var r struct{ Views, Visitors sql.NullInt64 }
	err = s.g.WithContext(ctx).Model(&v4StatDailyTotal{}).Select("SUM(views) AS views, SUM(visitors) AS visitors").
		Where("site_id = ? AND project_id = 0", siteCtx(ctx)).Scan(&r).Error
	return r.Views.Int64, r.Visitors.Int64, err
}

// Ranking returns the most viewed paths since the day since ("" = all time).
func (s *StatsDB) Ranking(ctx context.Context, since, prefix string, limit int) (out []cms.StatsRank, err error) {
	defer cms.Wrap(&err, "Ranking")
	q := s.g.WithContext(ctx).Model(&v4StatDailyPage{}).Select("path, SUM(views) AS views").
		Where("site_id = ?", siteCtx(ctx))
	if since != "" {
		q = q.Where("day >= ?", since)
	}
	if prefix != "" {
		q = q.Where("path LIKE ?", prefix+"%")
	}
	out = []cms.StatsRank{}
	err = q.Group("path").Order("views DESC, path").Limit(limit).Scan(&out).Error
	return out, err
}

// maxReportDays bounds a report's range.
const maxReportDays = 400

// Report answers the 数据统计 screen from the rollups.
func (s *StatsDB) Report(ctx context.Context, q cms.StatsQuery) (rep *cms.StatsReport, err error) {
	defer cms.Wrap(&err, "Report")
	from, ferr := time.Parse(time.DateOnly, q.From)
	to, terr := time.Parse(time.DateOnly, q.To)
	switch {
	case ferr != nil:
		return nil, cms.Invalid(map[string]string{"from": "开始日期应为 YYYY-MM-DD"})
	case terr != nil:
		return nil, cms.Invalid(map[string]string{"to": "结束日期应为 YYYY-MM-DD"})
	case to.Before(from):
		return nil, cms.Invalid(map[string]string{"to": "结束日期不能早于开始日期"})
	case to.Sub(from) > maxReportDays*24*time.Hour:
		return nil, cms.Invalid(map[string]string{"from": fmt.Sprintf("一次最多统计 %d 天", maxReportDays)})
	}
	g := s.g.WithContext(ctx)
	site := siteCtx(ctx)
	rep = &cms.StatsReport{From: q.From, To: q.To, ProjectID: q.ProjectID}
	var days []cms.StatsDay
	if err := g.Model(&v4StatDailyTotal{}).Select("day, views, visitors").
		Where("site_id = ? AND day BETWEEN ? AND ? AND project_id = ?", site, q.From, q.To, q.ProjectID).Order("day").Scan(&days).Error; err != nil {
		return nil, err
	}
	byDay := map[string]cms.StatsDay{}
	for _, d := range days {
		byDay[d.Day] = d
	}
	rep.Days = []cms.StatsDay{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		day := byDay[key]
		day.Day = key
		rep.Days = append(rep.Days, day)
		rep.Views += day.Views
		rep.Visitors += day.Visitors
	}
	scope := func(db *gorm.DB) *gorm.DB {
		db = db.Where("site_id = ? AND day BETWEEN ? AND ?", site, q.From, q.To)
		if q.ProjectID != 0 {
			db = db.Where("project_id = ?", q.ProjectID)
		}
		return db
	}
	if rep.Pages, err = s.topPages(g, site, scope, 50); err != nil {
		return nil, err
	}
	rep.Projects = []cms.StatsRow{}
	var projects []struct {
		ProjectID       int64
		Views, Visitors int64
	}
	if err := g.Model(&v4StatDailyTotal{}).Scopes(scope).Where("project_id > 0").
		Select("project_id, SUM(views) AS views, SUM(visitors) AS visitors").Group("project_id").
		Order("views DESC").Scan(&projects).Error; err != nil {
		return nil, err
	}
	for _, p := range projects {
		rep.Projects = append(rep.Projects, cms.StatsRow{Key: fmt.Sprint(p.ProjectID), Views: p.Views, Visitors: p.Visitors})
	}
	for _, d := range []struct {
		dim string
		dst *[]cms.StatsRow
	}{{"source", &rep.Sources}, {"device", &rep.Devices}, {"mode", &rep.Modes}, {"referrer", &rep.Referrers}} {
		*d.dst = []cms.StatsRow{}
		if err := g.Model(&v4StatDailyDim{}).Scopes(scope).Where("dim = ?", d.dim).
			Select("dkey AS `key`, SUM(views) AS views, SUM(visitors) AS visitors").Group("dkey").
			Order("views DESC, dkey").Limit(50).Scan(d.dst).Error; err != nil {
			return nil, err
		}
	}
	for i := range rep.Sources {
		rep.Sources[i].Label = cms.SourceLabel(rep.Sources[i].Key)
	}
	// Hours of the day come from the daily "hour" breakdown (24 rows a day
	// and project), not from stat_hourly, whose rows per page and source
	// would make a month's chart slow on a busy site.
	var hours []cms.StatsRow
	if err := g.Model(&v4StatDailyDim{}).Scopes(scope).Where("dim = 'hour'").
		Select("dkey AS `key`, SUM(views) AS views").Group("dkey").Scan(&hours).Error; err != nil {
		return nil, err
	}
	rep.Hours = make([]cms.StatsHour, 24)
	for h := range rep.Hours {
		rep.Hours[h].Hour = h
	}
	for _, h := range hours {
		if n, err := strconv.Atoi(h.Key); err == nil && n >= 0 && n < 24 {
			rep.Hours[n].Views = h.Views
		}
	}
	return rep, nil
}

// statSettingsRow is a site's statistics settings as stored (v1 with the
// site of v4); its id is the site's.
type statSettingsRow struct {
	ID             int64 `gorm:"primaryKey;autoIncrement:false"`
	SiteID         int64
	ShowStoryViews bool
	ShowSiteVisits bool
	ShowRanking    bool
	RetentionDays  int
	Version        int
	UpdatedAt      time.Time
}

func (statSettingsRow) TableName() string { return "stat_settings" }

func (r *statSettingsRow) toCMS() *cms.StatsSettings {
	return &cms.StatsSettings{ShowStoryViews: r.ShowStoryViews, ShowSiteVisits: r.ShowSiteVisits,
		ShowRanking: r.ShowRanking, RetentionDays: r.RetentionDays, Version: r.Version, UpdatedAt: r.UpdatedAt}
}

// settingsOf returns site's settings row; a site without one gets the
// defaults, stored first when create is set (so that its version counts
// from 1 as the default site's did).
func (s *StatsDB) settingsOf(g *gorm.DB, site int64, create bool) (*statSettingsRow, error) {
	var row statSettingsRow
	err := g.Take(&row, "site_id = ?", site).Error
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return &row, err
	}
	row = statSettingsRow{ID: site, SiteID: site, ShowStoryViews: true, ShowSiteVisits: true, ShowRanking: true,
		RetentionDays: 90, Version: 1, UpdatedAt: s.opts.Now().UTC().Truncate(time.Millisecond)}
	if !create {
		return &row, nil
	}
	if err := g.Create(&row).Error; err != nil {
		// Another process made it first: take theirs.
		if err := g.Take(&row, "site_id = ?", site).Error; err != nil {
			return nil, err
		}
	}
	return &row, nil
}

// FindStatsSettings returns the statistics settings of the context's site.
func (s *StatsDB) FindStatsSettings(ctx context.Context) (out *cms.StatsSettings, err error) {
	defer cms.Wrap(&err, "FindStatsSettings")
	row, err := s.settingsOf(s.g.WithContext(ctx), siteCtx(ctx), true)
	if err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

// UpdateStatsSettings applies u to the context's site's settings when
// u.Version is current.
func (s *StatsDB) UpdateStatsSettings(ctx context.Context, u cms.StatsSettingsUpdate) (out *cms.StatsSettings, err error) {
	defer cms.Wrap(&err, "UpdateStatsSettings")
	site := siteCtx(ctx)
	err = s.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := s.settingsOf(tx, site, true)
		if err != nil {
			return err
		}
		stored, cur := row.toCMS(), row.toCMS()
		conflict := &cms.Error{Code: cms.ECONFLICT, Message: "统计设置已被他人修改，请刷新后再改", Current: stored}
		if u.Version != row.Version {
			return conflict
		}
		u.Apply(cur)
		if err := cur.Validate(); err != nil {
			return err
		}
		next := statSettingsRow{ID: row.ID, SiteID: site, ShowStoryViews: cur.ShowStoryViews, ShowSiteVisits: cur.ShowSiteVisits,
			ShowRanking: cur.ShowRanking, RetentionDays: cur.RetentionDays, Version: row.Version + 1,
			UpdatedAt: s.opts.Now().UTC().Truncate(time.Millisecond)}
		res := tx.Model(&statSettingsRow{}).Where("site_id = ? AND version = ?", site, row.Version).Select("*").Updates(&next)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return conflict // the stored settings, not the edit
		}
		out = next.toCMS()
		return nil
	})
	return out, err
}

// mysqlLock takes a GET_LOCK advisory lock on a connection of g's pool
// and returns the function that releases it.
func mysqlLock(ctx context.Context, g *gorm.DB, name string, wait time.Duration) (release func(), err error) {
	pool, err := g.DB()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, int(wait.Seconds())).Scan(&got); err != nil {
		conn.Close()
		return nil, err
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return nil, fmt.Errorf("could not take lock %q within %s", name, wait)
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", name)
		conn.Close()
	}, nil
}

// CountHits returns how many raw hits of the context's site are stored.
func (s *StatsDB) CountHits(ctx context.Context) (n int64, err error) {
	defer cms.Wrap(&err, "CountHits")
	err = s.g.WithContext(ctx).Model(&statHitRow{}).Where("site_id = ?", siteCtx(ctx)).Count(&n).Error
	return n, err
}

// topPages returns the n most viewed pages of site in scope (which keeps
// to the site). Pages are grouped by the hash of their path, a number (see
// migrateStatsIndexes), and the paths of the n winners looked up after.
func (s *StatsDB) topPages(g *gorm.DB, site int64, scope func(*gorm.DB) *gorm.DB, n int) ([]cms.StatsRow, error) {
	var top []struct {
		PathHash        int64
		Views, Visitors int64
	}
	if err := g.Model(&v4StatDailyPage{}).Scopes(scope).
		Select("path_hash, SUM(views) AS views, SUM(visitors) AS visitors").Group("path_hash").
		Order("views DESC, path_hash").Limit(n).Scan(&top).Error; err != nil {
		return nil, err
	}
	out := []cms.StatsRow{}
	if len(top) == 0 {
		return out, nil
	}
	hashes := make([]int64, len(top))
	for i, t := range top {
		hashes[i] = t.PathHash
	}
	var names []struct {
		PathHash int64
		Path     string
	}
	if err := g.Model(&v4StatPath{}).Where("site_id = ? AND path_hash IN ?", site, hashes).Scan(&names).Error; err != nil {
		return nil, err
	}
	path := make(map[int64]string, len(names))
	for _, nm := range names {
		path[nm.PathHash] = nm.Path
	}
	for _, t := range top {
		out = append(out, cms.StatsRow{Key: path[t.PathHash], Views: t.Views, Visitors: t.Visitors})
	}
	// Equal counts in path order, as before the hash.
	slices.SortStableFunc(out, func(a, b cms.StatsRow) int {
		if a.Views != b.Views {
			return cmp.Compare(b.Views, a.Views)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// pathHash is a page path's 64-bit FNV-1a hash, as a signed number both
// databases store in a BIGINT.
func pathHash(p string) int64 {
	h := fnv.New64a()
	h.Write([]byte(p))
	return int64(h.Sum64())
}
