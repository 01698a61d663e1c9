// Package store is Huimin's GORM adapter: it implements the cms service
// interfaces on SQLite (the embedded default, pure Go) and MySQL.
//
// Every public method owns its transaction and calls unexported helpers that
// take the *gorm.DB of that transaction; every mutation appends an audit
// event in the same transaction, so the trail can never disagree with the
// data. Database errors are translated here into cms error codes; raw driver
// text only ever travels as the cause of an EINTERNAL error.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// Compile-time proof that one *DB serves every storage interface.
var (
	_ cms.ProjectService  = (*DB)(nil)
	_ cms.StoryService    = (*DB)(nil)
	_ cms.ImportService   = (*DB)(nil)
	_ cms.UserService     = (*DB)(nil)
	_ cms.SettingsService = (*DB)(nil)
	_ cms.PageService     = (*DB)(nil)
	_ cms.BuildService    = (*DB)(nil)
	_ cms.AuditService    = (*DB)(nil)
	_ cms.MediaService    = (*DB)(nil)
	_ cms.ContentService  = (*DB)(nil)
)

const (
	dialectSQLite = "sqlite"
	dialectMySQL  = "mysql"

	// sqliteBusyTimeout bounds how long a writer in another process (for
	// example `huimin import` next to `huimin serve`) may keep us waiting.
	sqliteBusyTimeout = 15 * time.Second
	slowQuery         = 300 * time.Millisecond
)

// DB is the store. It is safe for concurrent use.
type DB struct {
	// w runs every transaction that writes. On SQLite it is a pool of one
	// connection whose transactions BEGIN IMMEDIATE, so writers in this
	// process queue in Go instead of failing with "database is locked", and
	// writers in other processes wait on busy_timeout from the start of the
	// transaction, where waiting cannot deadlock. On MySQL w == r.
	w *gorm.DB
	// r serves reads; on SQLite a separate pool of read-only connections
	// that WAL lets run alongside the writer.
	r       *gorm.DB
	pools   []*sql.DB
	dialect string
	log     *slog.Logger
	// now is the clock; tests replace it to expire sessions.
	now func() time.Time

	dummyOnce sync.Once
	dummyHash []byte // compared against for unknown users, see Login

	// keys seal the secrets at rest (seal.go); resealed counts those Open
	// sealed again with the current key.
	keys     *keyring
	resealed int
}

// WithClock makes the store read the time from now instead of the system
// clock: for what is due (scheduled publication), when sessions expire and
// the times it records. Tests move such a clock rather than wait.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// Open connects to the database named by dsn and migrates it.
//
//	""                                   SQLite file <dataDir>/huimin.db
//	"sqlite:///path/file.db"             SQLite file at that path
//	"mysql://user:pass@tcp(host:port)/db" MySQL or MariaDB
//
// Secrets are sealed with the key given by WithKeys, or else with the key
// file secret.key in dataDir (beside a sqlite:// file when dataDir is
// empty), created on first start. Open seals again with it every secret
// that is not yet (see reseal), and fails if one was sealed with a key it
// is not given.
func Open(ctx context.Context, dsn, dataDir string, log *slog.Logger, opts ...Option) (db *DB, err error) {
	defer cms.Wrap(&err, "store.Open")
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clock := time.Now
	if o.now != nil {
		clock = o.now
	}
	db = &DB{log: log, now: func() time.Time { return clock().UTC().Truncate(time.Millisecond) }}
	switch {
	case dsn == "" || strings.HasPrefix(dsn, "sqlite://"):
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			if dataDir == "" {
				dataDir = "data"
			}
			path = filepath.Join(dataDir, "huimin.db")
		}
		err = db.openSQLite(path)
	case strings.HasPrefix(dsn, "mysql://"):
		err = db.openMySQL(strings.TrimPrefix(dsn, "mysql://"))
	default:
		return nil, cms.Errorf(cms.EINVALID, "不支持的数据库地址：应为空（SQLite）、sqlite:///路径 或 mysql://用户:密码@tcp(主机:端口)/库名")
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.dialect == dialectSQLite {
		// A reader Ping opened before the migration answers its next query
		// as of the schema before it (a column just added reads as absent):
		// readers start afresh.
		if rpool, err := db.r.DB(); err == nil {
			rpool.SetMaxIdleConns(0)
			rpool.SetMaxIdleConns(sqliteReaders())
		}
	}
	scoped := []*gorm.DB{db.w}
	if db.r != db.w {
		scoped = append(scoped, db.r)
	}
	for _, g := range scoped {
		if err := watchSites(g); err != nil {
			db.Close()
			return nil, err
		}
	}
	if db.keys, err = loadKeys(o, keyDir(dsn, dataDir)); err != nil {
		db.Close()
		return nil, err
	}
	if db.resealed, err = db.reseal(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.resealed > 0 {
		log.Info("secrets sealed with the current key", "key", db.keys.ids[0], "source", db.keys.source, "count", db.resealed)
	}
	if err := watchContent(db.w); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) gormConfig() *gorm.Config {
	return &gorm.Config{
		NowFunc:                db.now,
		Logger:                 newGormLogger(db.log, slowQuery),
		SkipDefaultTransaction: true, // every write already runs in our own transaction
		PrepareStmt:            false,
		TranslateError:         false, // we translate ourselves, keeping the field name
	}
}

func (db *DB) openSQLite(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	// The database holds password hashes, sessions and drafts: only its
	// owner reads it. SQLite gives the -wal and -shm files it creates the
	// mode of the database file; files an older version left are fixed.
	if err := privateFile(path, true); err != nil {
		return err
	}
	db.dialect = dialectSQLite
	pragmas := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)") // safe with WAL; fsync at checkpoints
		for i := 0; i+1 < len(extra); i += 2 {
			q.Add(extra[i], extra[i+1])
		}
		return path + "?" + q.Encode()
	}
	w, err := gorm.Open(sqlite.Open(pragmas("_pragma", "journal_mode(WAL)", "_pragma", "cache_size(-32000)", "_txlock", "immediate")), db.gormConfig())
	if err != nil {
		return err
	}
	wpool, err := w.DB()
	if err != nil {
		return err
	}
	db.pools = append(db.pools, wpool)
	wpool.SetMaxOpenConns(1)
	wpool.SetMaxIdleConns(1)
	wpool.SetConnMaxLifetime(0)
	db.w = w
	// The writer has switched the file to WAL (it is persistent), so
	// readers open afterwards and never need a write lock.
	if err := wpool.Ping(); err != nil {
		return err
	}
	for _, f := range []string{path + "-wal", path + "-shm"} {
		if err := privateFile(f, false); err != nil {
			return err
		}
	}

	r, err := gorm.Open(sqlite.Open(pragmas("_pragma", "query_only(1)")), db.gormConfig())
	if err != nil {
		return err
	}
	rpool, err := r.DB()
	if err != nil {
		return err
	}
	db.pools = append(db.pools, rpool)
	rpool.SetMaxOpenConns(sqliteReaders())
	rpool.SetMaxIdleConns(sqliteReaders())
	rpool.SetConnMaxIdleTime(5 * time.Minute)
	db.r = r
	return nil
}

// sqliteReaders is the size of the SQLite reader pool.
func sqliteReaders() int { return max(4, 2*runtime.NumCPU()) }

// privateFile makes path readable and writable by its owner only,
// whatever the umask, creating it (empty) if create is set.
func privateFile(path string, create bool) error {
	if create {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) && !create {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, fi.Mode().Perm()&0o700); err != nil {
			return fmt.Errorf("make %s private: %w", path, err)
		}
	}
	return nil
}

// mysqlConfig parses a MySQL DSN (without mysql://) and sets what every
// Huimin connection needs: utf8mb4, UTC times, a connect timeout.
func mysqlConfig(dsn string) (*gomysql.Config, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		// ParseDSN errors may quote the password: say only what is wrong.
		return nil, cms.Errorf(cms.EINVALID, "MySQL 数据库地址格式错误，应为 mysql://用户:密码@tcp(主机:端口)/库名")
	}
	cfg.ParseTime, cfg.Loc, cfg.Collation = true, time.UTC, "utf8mb4_unicode_ci"
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["charset"] = "utf8mb4"
	cfg.Params["time_zone"] = "'+00:00'"
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return cfg, nil
}

func (db *DB) openMySQL(dsn string) error {
	cfg, err := mysqlConfig(dsn)
	if err != nil {
		return err
	}
	cfg.ClientFoundRows = true // RowsAffected counts matched rows, as on SQLite
	db.dialect = dialectMySQL
	g, err := gorm.Open(mysql.New(mysql.Config{DSNConfig: cfg}), db.gormConfig())
	if err != nil {
		return err
	}
	pool, err := g.DB()
	if err != nil {
		return err
	}
	db.pools = append(db.pools, pool)
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxLifetime(30 * time.Minute)
	db.w, db.r = g, g
	return nil
}

// Close closes every connection.
func (db *DB) Close() error {
	var errs []error
	for _, p := range db.pools {
		errs = append(errs, p.Close())
	}
	db.pools = nil
	return errors.Join(errs...)
}

// Ping reports whether the database answers; /healthz uses it.
func (db *DB) Ping(ctx context.Context) (err error) {
	defer cms.Wrap(&err, "Ping")
	for _, p := range db.pools {
		if err := p.PingContext(ctx); err != nil {
			// The code and message are for clients; the cause stays in the
			// chain for the log.
			return fmt.Errorf("%w: %v", cms.Errorf(cms.EUNAVAILABLE, "数据库暂时不可用"), err)
		}
	}
	return nil
}

// Dialect returns "sqlite" or "mysql".
func (db *DB) Dialect() string { return db.dialect }

// read returns the handle for queries outside a transaction.
func (db *DB) read(ctx context.Context) *gorm.DB { return db.r.WithContext(ctx) }

// findPage counts the rows q matches and reads page p of them, in order,
// into rows (a pointer to a slice).
func findPage(q *gorm.DB, p cms.Page, order string, rows any) (total int, err error) {
	var n int64
	if err := q.Session(&gorm.Session{}).Count(&n).Error; err != nil {
		return 0, err
	}
	p = p.Normalize()
	return int(n), q.Order(order).Offset(p.Offset()).Limit(p.PerPage).Find(rows).Error
}

// tx runs fn in a write transaction and translates what comes out of it.
//
// On MySQL, InnoDB rolls one of two transactions that wait for each other's
// locks back (concurrent publishes do: they insert into the same index
// ranges), and MySQL's advice is to run it again; tx does, so fn may run
// more than once. fn must therefore set, not accumulate, what it captures,
// and touch nothing outside the database. A row it created keeps the id of
// the rolled-back attempt; inserting that id again is safe, as InnoDB never
// hands out an auto-increment value twice.
func (db *DB) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return translate(retryDeadlock(ctx, func() error {
		return db.w.WithContext(ctx).Transaction(versioned(fn))
	}))
}

// deadlockAttempts bounds the runs of a transaction InnoDB keeps choosing
// as its deadlock victim; past it the caller gets ECONFLICT ("try again").
// Eight runs, with pauses growing to half a second, ride out a busy
// minute on a loaded 2-core server (five did not, seen in tests).
const deadlockAttempts = 8

func retryDeadlock(ctx context.Context, run func() error) error {
	for attempt := 1; ; attempt++ {
		err := run()
		var me *gomysql.MySQLError
		if attempt == deadlockAttempts || !errors.As(err, &me) || me.Number != mysqlDeadlock || ctx.Err() != nil {
			return err
		}
		// A random pause, growing with each attempt, so the two victims
		// of one deadlock do not collide again at once.
		time.Sleep(time.Duration(mrand.IntN(10*attempt*attempt)+1) * time.Millisecond)
	}
}

// slugLock names the MySQL advisory lock held by transactions that derive
// slugs, see slugTx.
const slugLock = "huimin_slugs"

// slugTx is tx for transactions that derive slugs ("title" → "title-2").
// Checking that a slug is free and inserting it are two statements; on
// MySQL concurrent transactions (also from other huimin processes) could
// both pick the same free slug, so they take turns under a named lock held
// until commit. SQLite write transactions already run one at a time.
func (db *DB) slugTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if db.dialect != dialectMySQL {
		return db.tx(ctx, fn)
	}
	return translate(db.w.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		var got sql.NullInt64
		if err := conn.Raw("SELECT GET_LOCK(?, ?)", slugLock, 30).Row().Scan(&got); err != nil {
			return err
		}
		if got.Int64 != 1 {
			return cms.Errorf(cms.EUNAVAILABLE, "系统繁忙，请稍后重试")
		}
		// Released even if ctx is cancelled: a pooled connection must not keep it.
		defer conn.WithContext(context.WithoutCancel(ctx)).Exec("SELECT RELEASE_LOCK(?)", slugLock)
		return retryDeadlock(ctx, func() error { return conn.Transaction(versioned(fn)) })
	}))
}

// txSlug is tx for a transaction that, when deriving is true, derives slugs:
// on MySQL it then runs under slugLock, and it runs again if a slug it
// derived was taken anyway by a writer that chose that slug itself.
func (db *DB) txSlug(ctx context.Context, deriving bool, fn func(tx *gorm.DB) error) error {
	if !deriving {
		return db.tx(ctx, fn)
	}
	return retrySlug(func() error { return db.slugTx(ctx, fn) })
}
