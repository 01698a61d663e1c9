//go:build unix

package store_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/huimin/huimin/cms/store"
)

// TestSecrets_FileModes: whatever the umask, the SQLite database, its -wal
// and -shm, the key file and the directory the store creates for them are
// its owner's alone; files an older version left readable are fixed.
func TestSecrets_FileModes(t *testing.T) {
	old := syscall.Umask(0) // the worst case: nothing masked
	defer syscall.Umask(old)
	data := filepath.Join(t.TempDir(), "data")
	dsn := "sqlite://" + filepath.Join(data, "huimin.db")
	db := openStore(t, dsn, "")
	setWechatSecret(t, db, wechatSecret)
	if _, err := db.Secret(context.Background(), "preview"); err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{
		data: 0o700, filepath.Join(data, "huimin.db"): 0o600, filepath.Join(data, "huimin.db-wal"): 0o600,
		filepath.Join(data, "huimin.db-shm"): 0o600, filepath.Join(data, store.KeyFile): 0o600,
	}
	for path, mode := range want {
		if got := modeOf(t, path); got != mode {
			t.Errorf("%s: mode %o, want %o", path, got, mode)
		}
	}
	db.Close()

	// A database, WAL and key file left world-readable become private.
	for _, f := range []string{"huimin.db", "huimin.db-wal", store.KeyFile} {
		path := filepath.Join(data, f)
		if _, err := os.Stat(path); err == nil {
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	db = openStore(t, dsn, "")
	wantWechatSecret(t, db, wechatSecret)
	for path, mode := range want {
		if got := modeOf(t, path); got != mode && path != data {
			t.Errorf("reopened: %s: mode %o, want %o", path, got, mode)
		}
	}
}
