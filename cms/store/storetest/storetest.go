// Package storetest opens real databases for tests: SQLite in a temporary
// directory always, and MySQL (MariaDB) when HUIMIN_TEST_MYSQL_DSN names a
// server, e.g. "mysql://root:@tcp(127.0.0.1:3306)/test". Every MySQL use
// gets a fresh database of its own, dropped when the test ends, so test
// packages running in parallel never see each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/huimin/huimin/cms/store"
)

// EnvMySQL names the environment variable with the MySQL server DSN.
const EnvMySQL = "HUIMIN_TEST_MYSQL_DSN"

// Backend is a database a test can run against.
type Backend struct {
	// Name is "sqlite" or "mysql"; subtests are named after it.
	Name string
	// server is the MySQL server DSN (without the mysql:// prefix).
	server string
}

// announce prints once per test binary which backends run, on stderr where
// CI logs show it even without -v. A package-level Once is the only way to
// say it once per process; it holds no configuration.
var announce sync.Once

// Backends returns SQLite and, when EnvMySQL is set, MySQL.
func Backends(tb testing.TB) []Backend {
	tb.Helper()
	bs := []Backend{{Name: "sqlite"}}
	server := MySQLServer()
	if server != "" {
		bs = append(bs, Backend{Name: "mysql", server: server})
	}
	announce.Do(func() {
		if server != "" {
			fmt.Fprintln(os.Stderr, "mysql backend: enabled ("+EnvMySQL+" is set)")
		} else {
			fmt.Fprintln(os.Stderr, "mysql backend: disabled (set "+EnvMySQL+" to run the MySQL tests)")
		}
	})
	return bs
}

// MySQLServer returns the server DSN from EnvMySQL without its mysql://
// prefix, or "" when MySQL tests are off.
func MySQLServer() string {
	return strings.TrimPrefix(strings.TrimSpace(os.Getenv(EnvMySQL)), "mysql://")
}

// DSN returns a DSN for store.Open naming a database nobody else uses: ""
// for SQLite (a file in the data directory), a freshly created MySQL
// database (dropped at cleanup) for MySQL. The MySQL database already has
// the current schema, copied from a template: migrating from empty costs
// seconds of DDL each time, a copy a fraction of that.
func (b Backend) DSN(tb testing.TB) string {
	tb.Helper()
	if b.Name != "mysql" {
		return ""
	}
	return "mysql://" + freshMySQL(tb, b.server, true)
}

// EmptyDSN is DSN for a database without tables, for tests of migrating
// from nothing or of an older release creating its own schema.
func (b Backend) EmptyDSN(tb testing.TB) string {
	tb.Helper()
	if b.Name != "mysql" {
		return ""
	}
	return "mysql://" + freshMySQL(tb, b.server, false)
}

// Open opens a migrated store on b with its data directory in tb.TempDir()
// and closes it at cleanup.
func (b Backend) Open(tb testing.TB) *store.DB {
	tb.Helper()
	return open(tb, b.DSN(tb), tb.TempDir())
}

// MustOpen opens a fresh SQLite store in tb.TempDir().
func MustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	return open(tb, "", tb.TempDir())
}

// MustOpenMySQL opens a store on a fresh MySQL database, skipping the test
// when EnvMySQL is not set.
func MustOpenMySQL(tb testing.TB) *store.DB {
	tb.Helper()
	server := MySQLServer()
	if server == "" {
		tb.Skip(EnvMySQL + " not set")
	}
	return open(tb, "mysql://"+freshMySQL(tb, server, true), tb.TempDir())
}

// ForEachBackend runs fn as a subtest per backend with a DSN of its own and
// an empty data directory; fn opens what it needs (a store, or the whole
// program through run()).
func ForEachBackend(t *testing.T, fn func(t *testing.T, dsn, dataDir string)) {
	t.Helper()
	forEach(t, Backend.DSN, fn)
}

// ForEachEmptyBackend is ForEachBackend with EmptyDSN.
func ForEachEmptyBackend(t *testing.T, fn func(t *testing.T, dsn, dataDir string)) {
	t.Helper()
	forEach(t, Backend.EmptyDSN, fn)
}

func forEach(t *testing.T, dsn func(Backend, testing.TB) string, fn func(t *testing.T, dsn, dataDir string)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, dsn(b, t), t.TempDir())
		})
	}
}

// ForEachDB runs fn as a subtest per backend with an open store.
func ForEachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, b.Open(t))
		})
	}
}

func open(tb testing.TB, dsn, dataDir string) *store.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := &testWriter{tb: tb}
	tb.Cleanup(func() { w.done.Store(true) }) // registered first, so it runs last
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(ctx, dsn, dataDir, log)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return db
}

// freshMySQL creates a database named huimin_t_<random> on the server,
// with the template's tables and rows when migrated, and returns a DSN for
// it; the database is dropped at cleanup. Cleanups run last-registered
// first, so stores opened on it afterwards close before the drop.
func freshMySQL(tb testing.TB, server string, migrated bool) string {
	tb.Helper()
	cfg, err := gomysql.ParseDSN(server)
	if err != nil {
		tb.Fatalf("%s: %v", EnvMySQL, err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		tb.Fatalf("mysql: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "huimin_t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	if migrated {
		if err := copyTemplate(cfg, server); err != nil {
			tb.Fatalf("copy the schema into %s: %v", name, err)
		}
	}
	return cfg.FormatDSN()
}

// testWriter sends store logs (slow queries) to the test log, or to stderr
// once the test is over: a server goroutine that outlives its test must not
// make testing panic.
type testWriter struct {
	tb   testing.TB
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if w.done.Load() {
		return os.Stderr.Write(p)
	}
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
