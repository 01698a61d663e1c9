package site

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// extraWriter writes the export's extra files: files the build publishes as
// they are, below the site root.
type extraWriter struct {
	root             string
	memo             map[string]uint64 // file → hash of what was written
	written, removed []string
	swept            bool
}

func (w *extraWriter) put(rel string, b []byte) error {
	h := maphash.Bytes(hashSeed, b)
	if old, ok := w.memo[rel]; ok && old == h {
		return nil
	}
	w.memo[rel] = h
	if changed, err := writeIfChanged(filepath.Join(w.root, filepath.FromSlash(rel)), b); err != nil || !changed {
		return err
	}
	w.written = append(w.written, rel)
	return nil
}

func (w *extraWriter) remove(rel string) error {
	delete(w.memo, rel)
	if err := os.Remove(filepath.Join(w.root, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	w.removed = append(w.removed, rel)
	return nil
}

// sweep removes, once per process, files an earlier process left that
// this one did not write.
func (w *extraWriter) sweep() error {
	if w.swept {
		return nil
	}
	w.swept = true
	var dirs []string
	err := filepath.WalkDir(w.root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name != w.root {
				dirs = append(dirs, name)
			}
			return nil
		}
		rel, err := filepath.Rel(w.root, name)
		if err != nil {
			return err
		}
		if _, ok := w.memo[filepath.ToSlash(rel)]; !ok {
			return w.remove(filepath.ToSlash(rel))
		}
		return nil
	})
	removeEmptyDirs(dirs)
	return err
}

func writeIfChanged(name string, b []byte) (bool, error) {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, b) {
		return false, nil
	}
	return true, writeFile(name, b)
}

// writeFile writes b to name, making its directory first.
func writeFile(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, b, 0o644)
}

// writeNewFile writes data to name, which must not exist yet.
func writeNewFile(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeContent writes the content file rel below dir.
func writeContent(dir, rel string, front any, body string) error {
	var b bytes.Buffer
	if err := encodeContent(&b, front, body); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, filepath.FromSlash(rel)), b.Bytes())
}

// writeAtomic replaces name with b so that readers see the old or the new
// file, never a part of one.
func writeAtomic(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// removeEmptyDirs removes the directories of dirs that are empty, deepest
// first.
func removeEmptyDirs(dirs []string) {
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
			os.Remove(d)
		}
	}
}

// hashSeed makes the content hashes the export compares; they never leave
// the process.
var hashSeed = maphash.MakeSeed()

// fileWriter keeps a directory in step with the files derived for it. It
// remembers, per file, a hash of what it wrote and the key the file was
// derived from: a file whose key is unchanged is not even encoded again.
type fileWriter struct {
	root    string
	memo    map[string]memoEntry
	seen    map[string]bool
	written []string
	swept   bool // files on disk from before this process were removed
	buf     bytes.Buffer
}

type memoEntry struct {
	key  any
	hash uint64
}

func newFileWriter(root string) *fileWriter {
	return &fileWriter{root: root, memo: map[string]memoEntry{}}
}

func (w *fileWriter) begin() {
	w.seen = map[string]bool{}
	w.written = nil
}

// emitAll writes every derived content file, calling yield before each.
func (w *fileWriter) emitAll(d *derived, yield func()) error {
	for _, f := range d.files {
		yield()
		if err := w.emit(f); err != nil {
			return err
		}
	}
	return nil
}

// emit writes f unless the file already holds it. Without a memo entry
// (the first export of this process) the file on disk is compared.
func (w *fileWriter) emit(f *file) error {
	if w.seen[f.rel] {
		return fmt.Errorf("two pages want the file %s", f.rel)
	}
	w.seen[f.rel] = true
	old, known := w.memo[f.rel]
	if known && f.key != nil && old.key == f.key {
		return nil
	}
	w.buf.Reset()
	front, body := f.make()
	if err := encodeContent(&w.buf, front, body); err != nil {
		return fmt.Errorf("%s: %w", f.rel, err)
	}
	b := w.buf.Bytes()
	h := maphash.Bytes(hashSeed, b)
	w.memo[f.rel] = memoEntry{key: f.key, hash: h}
	name := filepath.Join(w.root, filepath.FromSlash(f.rel))
	if known {
		if old.hash == h {
			return nil
		}
		if err := writeFile(name, b); err != nil {
			return err
		}
	} else if changed, err := writeIfChanged(name, b); err != nil {
		return err
	} else if !changed {
		return nil
	}
	w.written = append(w.written, f.rel)
	return nil
}

// end removes the files no longer derived and reports what changed. The
// first time it also removes files left on disk by an earlier process.
func (w *fileWriter) end() (written, removed []string) {
	var dirs []string
	for rel := range w.memo {
		if !w.seen[rel] {
			delete(w.memo, rel)
			name := filepath.Join(w.root, filepath.FromSlash(rel))
			if err := os.Remove(name); err == nil || errors.Is(err, fs.ErrNotExist) {
				removed = append(removed, rel)
			}
			dirs = append(dirs, filepath.Dir(name))
		}
	}
	if !w.swept {
		w.swept = true
		_ = filepath.WalkDir(w.root, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if name != w.root {
					dirs = append(dirs, name)
				}
				return nil
			}
			rel, err := filepath.Rel(w.root, name)
			if err == nil && !w.seen[filepath.ToSlash(rel)] {
				os.Remove(name)
				removed = append(removed, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	removeEmptyDirs(dirs)
	sort.Strings(removed)
	return w.written, removed
}
