package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/huimin/huimin/cms/store"
)

// template is a MySQL database that store.Open migrated once for this test
// process; fresh databases copy its tables and rows. Like announce, it is
// process-wide because it stands for the process: a test binary migrates
// once, whatever its tests.
var template struct {
	once sync.Once
	// copy creates the tables and copies the rows the migrations wrote.
	copy []string
	err  error
	// hold keeps the template's lock, named after it, for as long as the
	// process lives (it is never closed): a template whose lock is free
	// belongs to a test process that is gone, and the next one drops it.
	hold *sql.Conn
}

// templatePrefix starts the name of every template database.
const templatePrefix = "huimin_tpl_"

// copyTemplate gives the empty database cfg names the template's tables
// and rows, making the template on first use.
func copyTemplate(cfg *gomysql.Config, server string) error {
	template.once.Do(func() { template.err = makeTemplate(server) })
	if template.err != nil {
		return fmt.Errorf("template database: %w", template.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg = cfg.Clone()
	cfg.Params = map[string]string{"foreign_key_checks": "0"} // tables come in name order
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, stmt := range template.copy {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%.80s: %w", stmt, err)
		}
	}
	return nil
}

// makeTemplate drops the templates of test processes that have ended,
// then creates and migrates this process's and reads its tables.
func makeTemplate(server string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg, err := gomysql.ParseDSN(server)
	if err != nil {
		return err
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN()) // never closed: hold lives in it
	if err != nil {
		return err
	}
	if template.hold, err = admin.Conn(ctx); err != nil {
		return err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := templatePrefix + hex.EncodeToString(b)
	var got sql.NullInt64
	if err := template.hold.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil || got.Int64 != 1 {
		return fmt.Errorf("lock %s: %v", name, err)
	}
	ended, err := column(ctx, admin, "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'huimin\\_tpl\\_%' AND IS_FREE_LOCK(schema_name) = 1")
	if err != nil {
		return err
	}
	for _, n := range ended {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+n+"`"); err != nil {
			return err
		}
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return err
	}
	data, err := os.MkdirTemp("", "huimin-template-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	cfg.DBName = name
	db, err := store.Open(ctx, "mysql://"+cfg.FormatDSN(), data, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	db.Close()
	if views, err := column(ctx, admin, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type <> 'BASE TABLE'", name); err != nil || len(views) > 0 {
		return fmt.Errorf("only tables can be copied, not %v (%v)", views, err)
	}
	tables, err := column(ctx, admin, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name", name)
	if err != nil {
		return err
	}
	var fill []string
	for _, t := range tables {
		var create string
		var rows int
		if err := admin.QueryRowContext(ctx, "SHOW CREATE TABLE `"+name+"`.`"+t+"`").Scan(&t, &create); err != nil {
			return err
		}
		if err := admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+name+"`.`"+t+"`").Scan(&rows); err != nil {
			return err
		}
		template.copy = append(template.copy, create)
		if rows > 0 {
			fill = append(fill, "INSERT INTO `"+t+"` SELECT * FROM `"+name+"`.`"+t+"`")
		}
	}
	template.copy = append(template.copy, fill...)
	return nil
}

// column runs a query of one string column and returns its values.
func column(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
