package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// Issue 12 item 12: the database and its WAL are private, and the secrets in
// it (the WeChat app secret, the server keys) are sealed under a key kept
// outside it.

const wechatSecret = "wx-app-secret-3f9a2c7e5b1d4680"

// rawDB opens the database of a store behind its back, as someone holding
// a copy of it would.
func rawDB(t *testing.T, dsn, dataDir string) *gorm.DB {
	t.Helper()
	var d gorm.Dialector
	if strings.HasPrefix(dsn, "mysql://") {
		d = mysql.Open(strings.TrimPrefix(dsn, "mysql://"))
	} else {
		d = sqlite.Open(filepath.Join(dataDir, "huimin.db"))
	}
	g, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := g.DB()
	t.Cleanup(func() { sqlDB.Close() })
	return g
}

// rawSecrets returns the stored WeChat secret and the stored server keys.
func rawSecrets(t *testing.T, raw *gorm.DB) (wechat string, keys map[string]string) {
	t.Helper()
	if err := raw.Raw("SELECT wechat_secret FROM settings WHERE id = 1").Scan(&wechat).Error; err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Name, Value string }
	if err := raw.Raw("SELECT name, value FROM secrets").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	keys = map[string]string{}
	for _, r := range rows {
		keys[r.Name] = r.Value
	}
	return wechat, keys
}

func openStore(t *testing.T, dsn, dataDir string, opts ...store.Option) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, dataDir, nil, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func setWechatSecret(t *testing.T, db *store.DB, secret string) {
	t.Helper()
	s, err := db.FindSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateSettings(context.Background(), cms.SettingsUpdate{Version: s.Version, WechatSecret: &secret}); err != nil {
		t.Fatal(err)
	}
}

func wantWechatSecret(t *testing.T, db *store.DB, want string) {
	t.Helper()
	s, err := db.FindSettings(context.Background())
	if err != nil || s.WechatSecret != want {
		t.Fatalf("FindSettings: secret %q, %v; want %q", s.WechatSecret, err, want)
	}
}

func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestSecrets_SealedAtRest: what the database holds of the WeChat secret
// and the server keys is sealed; the store's users see them as they were.
func TestSecrets_SealedAtRest(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		db := openStore(t, dsn, dataDir)
		setWechatSecret(t, db, wechatSecret)
		key, err := db.Secret(context.Background(), "preview")
		if err != nil || len(key) != 32 {
			t.Fatalf("Secret = %x, %v", key, err)
		}
		wantWechatSecret(t, db, wechatSecret)
		if again, err := db.Secret(context.Background(), "preview"); err != nil || !bytes.Equal(again, key) {
			t.Fatalf("Secret again = %x, %v; want %x", again, err, key)
		}

		wechat, keys := rawSecrets(t, rawDB(t, dsn, dataDir))
		plainKey := base64.RawStdEncoding.EncodeToString(key)
		if strings.Contains(wechat, wechatSecret) || !strings.HasPrefix(wechat, "sealed:v1:") {
			t.Errorf("settings.wechat_secret stored as %q", wechat)
		}
		if v := keys["preview"]; strings.Contains(v, plainKey) || !strings.HasPrefix(v, "sealed:v1:") {
			t.Errorf("secrets.preview stored as %q", v)
		}
		if dsn == "" {
			// Nowhere in the files either: not in an old page, not in the WAL.
			for _, f := range []string{"huimin.db", "huimin.db-wal"} {
				b, _ := os.ReadFile(filepath.Join(dataDir, f))
				if bytes.Contains(b, []byte(wechatSecret)) || bytes.Contains(b, []byte(plainKey)) {
					t.Errorf("%s holds a secret in plain text", f)
				}
			}
		}
	})
}

// TestSecrets_PlainValuesSealedOnOpen: secrets an older version stored in
// plain text are sealed the next time the store opens, and read the same.
func TestSecrets_PlainValuesSealedOnOpen(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		db := openStore(t, dsn, dataDir)
		setWechatSecret(t, db, "placeholder")
		db.Close()
		legacy := base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		raw := rawDB(t, dsn, dataDir)
		if err := raw.Exec("UPDATE settings SET wechat_secret = ? WHERE id = 1", wechatSecret).Error; err != nil {
			t.Fatal(err)
		}
		if err := raw.Exec("INSERT INTO secrets (name, value, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)", "preview", legacy).Error; err != nil {
			t.Fatal(err)
		}

		db = openStore(t, dsn, dataDir)
		wechat, keys := rawSecrets(t, raw)
		if !strings.HasPrefix(wechat, "sealed:v1:") || !strings.HasPrefix(keys["preview"], "sealed:v1:") {
			t.Errorf("after open: wechat_secret %q, preview %q; want both sealed", wechat, keys["preview"])
		}
		wantWechatSecret(t, db, wechatSecret)
		if key, err := db.Secret(context.Background(), "preview"); err != nil || !bytes.Equal(key, bytes.Repeat([]byte{7}, 32)) {
			t.Errorf("Secret(preview) = %x, %v", key, err)
		}
		ev, _, err := db.FindAuditEvents(context.Background(), cms.AuditFilter{Action: "secrets.reseal"})
		if err != nil || len(ev) != 1 || !strings.Contains(ev[0].Detail, "2 项") {
			t.Errorf("reseal audit = %+v, %v", ev, err)
		}
	})
}

// TestSecrets_WrongKey: a store given another key than the one that sealed
// its secrets refuses to open, naming both keys, instead of reading garbage;
// an altered value is reported as such.
func TestSecrets_WrongKey(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		k1, k2 := store.NewKey(), store.NewKey()
		db := openStore(t, dsn, dataDir, store.WithKeys(store.Keys{Source: "HUIMIN_SECRET_KEY", Current: k1}))
		setWechatSecret(t, db, wechatSecret)
		db.Close()

		_, err := store.Open(context.Background(), dsn, dataDir, nil, store.WithKeys(store.Keys{Source: "HUIMIN_SECRET_KEY", Current: k2}))
		msg := cms.ErrorMessage(err)
		for _, want := range []string{"微信公众号密钥", store.KeyID(k1), store.KeyID(k2), "HUIMIN_SECRET_KEY"} {
			if !strings.Contains(msg, want) {
				t.Errorf("wrong key: message %q does not name %q (err %v)", msg, want, err)
			}
		}
		// Nor does the key file of the data directory open them.
		if _, err := store.Open(context.Background(), dsn, dataDir, nil); !strings.Contains(cms.ErrorMessage(err), store.KeyID(k1)) {
			t.Errorf("key file: %v", err)
		}

		raw := rawDB(t, dsn, dataDir)
		wechat, _ := rawSecrets(t, raw)
		last := wechat[len(wechat)-2:]
		altered := wechat[:len(wechat)-2] + map[bool]string{true: "AA", false: "BB"}[last != "AA"]
		if err := raw.Exec("UPDATE settings SET wechat_secret = ? WHERE id = 1", altered).Error; err != nil {
			t.Fatal(err)
		}
		_, err = store.Open(context.Background(), dsn, dataDir, nil, store.WithKeys(store.Keys{Source: "HUIMIN_SECRET_KEY", Current: k1}))
		if msg := cms.ErrorMessage(err); !strings.Contains(msg, "损坏") || !strings.Contains(msg, store.KeyID(k1)) {
			t.Errorf("altered value: %v", err)
		}
	})
}

// TestSecrets_Rotate: rotating the key file seals every secret with a new
// key and keeps the old one for backups; rotating an environment key is
// giving the new one with the old as previous.
func TestSecrets_Rotate(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		ctx := context.Background()
		db := openStore(t, dsn, dataDir)
		setWechatSecret(t, db, wechatSecret)
		preview, err := db.Secret(ctx, "preview")
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		keyFile := filepath.Join(dataDir, store.KeyFile)
		oldKey, _ := os.ReadFile(keyFile)

		r, err := store.RotateKeyFile(ctx, dsn, dataDir, nil)
		if err != nil {
			t.Fatal(err)
		}
		newKey, _ := os.ReadFile(keyFile)
		kept, _ := os.ReadFile(filepath.Join(dataDir, store.KeyFile+".previous"))
		if r.Resealed != 2 || r.Old == r.New || bytes.Equal(oldKey, newKey) || !bytes.Equal(kept, oldKey) {
			t.Fatalf("rotation %+v: key file changed %v, old key kept %v", r, !bytes.Equal(oldKey, newKey), bytes.Equal(kept, oldKey))
		}
		for _, f := range []string{store.KeyFile, store.KeyFile + ".previous"} {
			if m := modeOf(t, filepath.Join(dataDir, f)); m != 0o600 {
				t.Errorf("%s: mode %o", f, m)
			}
		}
		if _, err := os.Stat(filepath.Join(dataDir, store.KeyFile+".next")); !os.IsNotExist(err) {
			t.Errorf("secret.key.next left behind: %v", err)
		}
		wechat, keys := rawSecrets(t, rawDB(t, dsn, dataDir))
		for _, v := range []string{wechat, keys["preview"]} {
			if !strings.HasPrefix(v, "sealed:v1:"+r.New+":") {
				t.Errorf("after rotation stored %q, want sealed with %s", v, r.New)
			}
		}
		// Without the old key at all, the new key file alone opens them.
		if err := os.Remove(filepath.Join(dataDir, store.KeyFile+".previous")); err != nil {
			t.Fatal(err)
		}
		db = openStore(t, dsn, dataDir)
		wantWechatSecret(t, db, wechatSecret)
		if got, err := db.Secret(ctx, "preview"); err != nil || !bytes.Equal(got, preview) {
			t.Errorf("Secret after rotation = %x, %v; want %x", got, err, preview)
		}
		db.Close()

		// From the file to an environment key: the new key current, the
		// file's as previous; afterwards the new key alone.
		fileKey, err := store.ParseKey("secret.key", string(newKey))
		if err != nil {
			t.Fatal(err)
		}
		envKey := store.NewKey()
		env := store.Keys{Source: "HUIMIN_SECRET_KEY", Current: envKey}
		prev := env
		prev.Previous = [][]byte{fileKey}
		openStore(t, dsn, dataDir, store.WithKeys(prev)).Close()
		db = openStore(t, dsn, dataDir, store.WithKeys(env))
		wantWechatSecret(t, db, wechatSecret)
		if got, err := db.Secret(ctx, "preview"); err != nil || !bytes.Equal(got, preview) {
			t.Errorf("Secret under the environment key = %x, %v", got, err)
		}
	})
}

// TestParseKey: a key that is not 32 bytes of base64 is refused, naming
// where it came from.
func TestParseKey(t *testing.T) {
	t.Parallel()
	good := store.NewKey()
	for _, s := range []string{base64.StdEncoding.EncodeToString(good), base64.RawURLEncoding.EncodeToString(good) + "\n"} {
		if k, err := store.ParseKey("HUIMIN_SECRET_KEY", s); err != nil || !bytes.Equal(k, good) {
			t.Errorf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(good[:16])} {
		_, err := store.ParseKey("HUIMIN_SECRET_KEY", s)
		if msg := cms.ErrorMessage(err); !strings.Contains(msg, "HUIMIN_SECRET_KEY") || cms.ErrorCode(err) != cms.EINVALID {
			t.Errorf("ParseKey(%q): %v", s, err)
		}
	}
}
