package media

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/huimin/huimin/cms"
)

// Storage holds media files by key. It is deliberately small so an
// S3-compatible implementation can replace the directory one later. Keys
// come from OriginalKey and VariantKey; any other shape is EINVALID.
//
// Originals are content addressed, so storing the same upload twice writes
// the same bytes. Variant keys are stable per original: re-rendering the
// crops after a focal-point change overwrites them, so anything caching
// public URLs must revalidate or version them.
type Storage interface {
	// Put stores data under key, replacing any previous value atomically:
	// readers see the old file or the new one, never a partial write.
	Put(ctx context.Context, key string, data []byte) error
	// Open returns the stored bytes; ENOTFOUND if there are none.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Exists reports whether key is stored.
	Exists(ctx context.Context, key string) (bool, error)
}

// OriginalKey is where the untouched upload is kept. It still carries its
// metadata (GPS and all), so it must never be served; it exists only so
// variants can be re-rendered, e.g. after an editor moves the focal point.
func OriginalKey(hash string) string { return hash + "/original" }

// VariantKey is where a variant is kept; these are public.
func VariantKey(hash, variant string) string { return hash + "/" + variant + ".jpg" }

// Public reports whether key may be served to anyone: only variants of
// allow-listed specs, never an original.
func Public(key string) bool {
	hash, file, ok := strings.Cut(key, "/")
	if !ok || !validHash(hash) {
		return false
	}
	name, ok := strings.CutSuffix(file, ".jpg")
	if !ok {
		return false
	}
	_, ok = LookupSpec(name)
	return ok
}

// Keys returns every key a processed upload is stored under, original first.
func (r *Result) Keys() []string {
	keys := []string{OriginalKey(r.Hash)}
	for _, v := range r.Variants {
		keys = append(keys, VariantKey(r.Hash, v.Name))
	}
	return keys
}

// Save stores the original and every variant of r. The original is written
// first, so a crash leaves at worst an original without variants, which a
// re-process repairs, rather than public files with no source. The variants
// are then written at once: the writes (and a directory's fsyncs, which the
// file system commits together) overlap instead of queueing one behind
// another.
func (r *Result) Save(ctx context.Context, s Storage, original []byte) error {
	if err := s.Put(ctx, OriginalKey(r.Hash), original); err != nil {
		return err
	}
	errs := make([]error, len(r.Variants))
	var wg sync.WaitGroup
	for i, v := range r.Variants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Put(ctx, VariantKey(r.Hash, v.Name), v.Data)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// DirStorage keeps files under a directory: key "h/name" is file dir/h/name.
type DirStorage struct {
	dir string
}

// NewDirStorage returns a Storage rooted at dir, which is created on first Put.
func NewDirStorage(dir string) *DirStorage { return &DirStorage{dir: dir} }

// path maps a key to a file, refusing anything that could escape dir, once
// it has checked that ctx is not done.
func (d *DirStorage) path(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	hash, name, _ := strings.Cut(key, "/")
	return filepath.Join(d.dir, hash, name), nil
}

// checkKey refuses keys that could escape a directory or be read
// differently on another system: keys are "<hash>/<name>" in a small
// alphabet, with no dot segments.
func checkKey(key string) error {
	hash, name, ok := strings.Cut(key, "/")
	if !ok || hash == "" || name == "" || strings.HasPrefix(name, ".") || strings.HasPrefix(hash, ".") {
		return errBadKey()
	}
	for _, c := range key {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/') {
			return errBadKey()
		}
	}
	if strings.Contains(name, "/") {
		return errBadKey()
	}
	return nil
}

func errBadKey() error {
	return cms.Invalid(map[string]string{"key": "无效的文件路径"})
}

// Put implements Storage, writing a temporary file and renaming it.
func (d *DirStorage) Put(ctx context.Context, key string, data []byte) (err error) {
	defer cms.Wrap(&err, "DirStorage.Put(%q)", key)
	p, err := d.path(ctx, key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	// Write beside the target and rename over it: rename within a
	// directory is atomic, so readers never see a half-written image.
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil { // the data must be on disk before the name is
		return err
	}
	// Originals keep what the camera wrote (GPS, owner): only Huimin may
	// read them. Variants are public.
	mode := os.FileMode(0o644)
	if !Public(key) {
		mode = 0o600
	}
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// Open implements Storage.
func (d *DirStorage) Open(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer cms.Wrap(&err, "DirStorage.Open(%q)", key)
	p, err := d.path(ctx, key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, cms.Errorf(cms.ENOTFOUND, "文件不存在")
	}
	return f, err
}

// Delete implements Storage; it also removes the media item's directory once empty.
func (d *DirStorage) Delete(ctx context.Context, key string) (err error) {
	defer cms.Wrap(&err, "DirStorage.Delete(%q)", key)
	p, err := d.path(ctx, key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	os.Remove(filepath.Dir(p)) // fails harmlessly while other files remain
	return nil
}

// Exists implements Storage.
func (d *DirStorage) Exists(ctx context.Context, key string) (_ bool, err error) {
	defer cms.Wrap(&err, "DirStorage.Exists(%q)", key)
	p, err := d.path(ctx, key)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
