package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/go-gormigrate/gormigrate/v2"
)

// BulkInsertForTest writes rows into a statistics table directly, for
// benchmarks that need rollups of more views than they could record.
func (s *StatsDB) BulkInsertForTest(ctx context.Context, table string, cols []string, rows [][]any) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	if s.dialect == dialectSQLite {
		tx, err := s.pool.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		st, err := tx.PrepareContext(ctx, head+one)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r...); err != nil {
				return err
			}
		}
		return tx.Commit()
	}
	for i := 0; i < len(rows); i += 500 {
		chunk := rows[i:min(len(rows), i+500)]
		q := head + strings.TrimSuffix(strings.Repeat(one+",", len(chunk)), ",")
		var args []any
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := s.pool.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// PathHashForTest is pathHash, for benchmarks that write rollups directly.
func PathHashForTest(p string) int64 { return pathHash(p) }

// MigrateStatsForTest migrates the statistics database of dsn (as
// OpenStats finds it) through the migration named through only, and returns
// its pool: a database as an earlier release left it, for upgrade tests.
func MigrateStatsForTest(ctx context.Context, dsn, dataDir, through string) (*sql.DB, error) {
	s, err := connectStats(dsn, dataDir, nil, StatsOptions{})
	if err != nil {
		return nil, err
	}
	var list []*gormigrate.Migration
	for _, m := range statsMigrations() {
		list = append(list, m)
		if m.ID == through {
			break
		}
	}
	if list[len(list)-1].ID != through {
		s.pool.Close()
		return nil, fmt.Errorf("no statistics migration %s", through)
	}
	if err := s.migrate(ctx, list); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s.pool, nil
}

// RerunStatsSitesMigrationForTest runs the per-site statistics migration
// once more on dsn, as a start after an interrupted run would.
func RerunStatsSitesMigrationForTest(ctx context.Context, dsn, dataDir string) error {
	s, err := connectStats(dsn, dataDir, nil, StatsOptions{})
	if err != nil {
		return err
	}
	defer s.pool.Close()
	g := s.g.WithContext(ctx)
	if s.dialect == dialectMySQL {
		g = g.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
	}
	return migrateStatsSites(g)
}
