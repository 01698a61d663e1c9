package store

import (
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

// KeyFile is the key file in the data directory that seals secrets when no
// key is given with WithKeys (HUIMIN_SECRET_KEY): Open creates it on first
// start, mode 0600, holding the key in base64.
const KeyFile = "secret.key"

// A rotation (RotateKeyFile) writes the new key beside KeyFile before it
// seals anything with it, and keeps the key it replaces: Open reads secrets
// sealed with either, so neither a rotation cut short nor a backup taken
// before it becomes unreadable.
const (
	keyFileNext     = KeyFile + ".next"
	keyFilePrevious = KeyFile + ".previous"
)

// Keys are the keys secrets are sealed with, when they are not kept in the
// key file of the data directory.
type Keys struct {
	// Source names where Current comes from, for messages
	// ("HUIMIN_SECRET_KEY").
	Source string
	// Current seals; KeySize bytes.
	Current []byte
	// Previous keys only open: secrets sealed with them are sealed again
	// with Current when the store opens.
	Previous [][]byte
}

// Option configures Open.
type Option func(*options)

type options struct {
	keys *Keys
	now  func() time.Time // see WithClock
}

// WithKeys seals secrets with k instead of the key file of the data
// directory.
func WithKeys(k Keys) Option {
	return func(o *options) { o.keys = &k }
}

// keyDir is the directory of the key file: the data directory, or beside
// the database named by a sqlite:// DSN when there is none.
func keyDir(dsn, dataDir string) string {
	if dataDir != "" {
		return dataDir
	}
	if path, ok := cutSQLite(dsn); ok && path != "" {
		return filepath.Dir(path)
	}
	return "data"
}

// cutSQLite returns the file a SQLite DSN names ("" for the default) and
// whether dsn is one.
func cutSQLite(dsn string) (string, bool) {
	if dsn == "" {
		return "", true
	}
	path, ok := strings.CutPrefix(dsn, "sqlite://")
	return path, ok
}

// loadKeys returns the keyring of o, or of the key files in dir, creating
// the key file on first use.
func loadKeys(o options, dir string) (*keyring, error) {
	if o.keys != nil {
		return newKeyring(o.keys.Source, o.keys.Current, o.keys.Previous...)
	}
	path := filepath.Join(dir, KeyFile)
	current, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		current, err = createKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	var others [][]byte
	for _, name := range []string{keyFileNext, keyFilePrevious} {
		k, err := readKeyFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		others = append(others, k)
	}
	return newKeyring(path, current, others...)
}

// readKeyFile reads the key in path, first taking away any access others
// than its owner have to it.
func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, cms.Errorf(cms.EINVALID, "密钥文件 %s 的权限为 %o，其他用户可读，且无法改为 600：%v", path, fi.Mode().Perm(), err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseKey("密钥文件 "+path, string(b))
}

// createKeyFile writes a new key to path unless another process got there
// first, in which case it returns that one. The file appears complete or
// not at all: it is written under a temporary name and linked into place.
func createKeyFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key := NewKey()
	tmp, err := writeTemp(path, key)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	} else if err != nil {
		return nil, err
	}
	return key, syncDir(filepath.Dir(path))
}

// writeKeyFile writes key to path, replacing what is there.
func writeKeyFile(path string, key []byte) error {
	tmp, err := writeTemp(path, key)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes key, mode 0600 whatever the umask, to a synced
// temporary file beside path and returns its name.
func writeTemp(path string, key []byte) (name string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return "", err
	}
	if _, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// Rotation reports a key rotation.
type Rotation struct {
	Old, New string // key ids
	Resealed int    // secrets sealed again with the new key
	// Previous is the file that keeps the old key, for backups sealed
	// with it.
	Previous string
}

// RotateKeyFile replaces the key file of the database named by dsn and
// dataDir with a new key, sealing every secret again with it. No process
// may be using the database meanwhile: one that still holds the old key
// cannot read what is sealed with the new one until it is restarted.
//
// The steps are ordered so that stopping at any point loses nothing: the
// new key is written to secret.key.next first, then the secrets are sealed
// with it (one transaction), then the old key is kept in
// secret.key.previous, and last secret.key.next is renamed over secret.key.
// Open reads secrets sealed with any of these files' keys.
func RotateKeyFile(ctx context.Context, dsn, dataDir string, log *slog.Logger) (r *Rotation, err error) {
	defer cms.Wrap(&err, "RotateKeyFile")
	dir := keyDir(dsn, dataDir)
	cur := filepath.Join(dir, KeyFile)
	oldKey, err := readKeyFile(cur)
	if errors.Is(err, fs.ErrNotExist) {
		oldKey, err = createKeyFile(cur)
	}
	if err != nil {
		return nil, err
	}
	// What a rotation cut short sealed with its new key, and what a backup
	// restored from before the last rotation holds, must open too.
	previous := [][]byte{oldKey}
	for _, name := range []string{keyFileNext, keyFilePrevious} {
		k, err := readKeyFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		previous = append(previous, k)
	}
	key := NewKey()
	next := filepath.Join(dir, keyFileNext)
	if err := writeKeyFile(next, key); err != nil {
		return nil, err
	}
	db, err := Open(ctx, dsn, dataDir, log, WithKeys(Keys{Source: next, Current: key, Previous: previous}))
	if err != nil {
		return nil, err
	}
	n := db.resealed
	if err := db.Close(); err != nil {
		return nil, err
	}
	prev := filepath.Join(dir, keyFilePrevious)
	if err := writeKeyFile(prev, oldKey); err != nil {
		return nil, err
	}
	if err := os.Rename(next, cur); err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return &Rotation{Old: KeyID(oldKey), New: KeyID(key), Resealed: n, Previous: prev}, nil
}
