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
	name string
	// tables are the CREATE TABLE statements, filled holds the tables
	// the migrations wrote rows into.
	tables []string
	filled []string
	err    error
	// hold keeps the template's lock, named after it, for as long as the
	// process lives: a template whose lock is free belongs to a test
	// process that is gone, and the next one drops it. Neither it nor its
	// pool is ever closed.
	pool *sql.DB
	hold *sql.Conn
}

// templatePrefix starts the name of every template database.
const templatePrefix = "huimin_tpl_"

// copyTemplate gives the empty database of dsn the template's tables and
// rows, making the template on first use.
func copyTemplate(dsn, server string) error {
	template.once.Do(func() { template.err = makeTemplate(server) })
	if template.err != nil {
		return fmt.Errorf("template database: %w", template.err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx) // FOREIGN_KEY_CHECKS holds per connection
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET FOREIGN_KEY_CHECKS = 0"); err != nil {
		return err
	}
	for _, stmt := range template.tables {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	for _, t := range template.filled {
		if _, err := conn.ExecContext(ctx, "INSERT INTO `"+t+"` SELECT * FROM `"+template.name+"`.`"+t+"`"); err != nil {
			return fmt.Errorf("rows of %s: %w", t, err)
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
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	template.pool = admin
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := templatePrefix + hex.EncodeToString(b)
	hold, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	template.hold = hold
	var got sql.NullInt64
	if err := hold.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil || got.Int64 != 1 {
		return fmt.Errorf("lock %s: %v", name, err)
	}
	if err := dropEndedTemplates(ctx, admin); err != nil {
		return err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return err
	}
	template.name = name
	cfg.DBName = name
	data, err := os.MkdirTemp("", "huimin-template-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	db, err := store.Open(ctx, "mysql://"+cfg.FormatDSN(), data, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	db.Close()
	rows, err := hold.QueryContext(ctx, "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name", name)
	if err != nil {
		return err
	}
	type table struct{ name, kind string }
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.kind); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		if t.kind != "BASE TABLE" {
			return fmt.Errorf("%s is a %s: only tables can be copied", t.name, t.kind)
		}
		var tname, create string
		if err := hold.QueryRowContext(ctx, "SHOW CREATE TABLE `"+name+"`.`"+t.name+"`").Scan(&tname, &create); err != nil {
			return err
		}
		template.tables = append(template.tables, create)
		var n int64
		if err := hold.QueryRowContext(ctx, "SELECT COUNT(*) FROM `"+name+"`.`"+t.name+"`").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			template.filled = append(template.filled, t.name)
		}
	}
	return nil
}

// dropEndedTemplates drops every template whose lock nobody holds.
func dropEndedTemplates(ctx context.Context, admin *sql.DB) error {
	rows, err := admin.QueryContext(ctx, "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?", strings.ReplaceAll(templatePrefix, "_", `\_`)+"%")
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		var free sql.NullInt64
		if err := admin.QueryRowContext(ctx, "SELECT IS_FREE_LOCK(?)", n).Scan(&free); err != nil {
			return err
		}
		if free.Int64 == 1 {
			if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+n+"`"); err != nil {
				return err
			}
		}
	}
	return nil
}
