package store

import (
	"context"
	"strings"
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
