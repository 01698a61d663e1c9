package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/huimin/huimin/cms"
)

const testHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestDirStorage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewDirStorage(filepath.Join(dir, "media"))
	key := VariantKey(testHash, "w480")

	if ok, err := s.Exists(ctx, key); ok || err != nil {
		t.Fatalf("Exists before Put = %v, %v", ok, err)
	}
	if _, err := s.Open(ctx, key); cms.ErrorCode(err) != cms.ENOTFOUND {
		t.Fatalf("Open before Put: %v", err)
	}
	for _, data := range [][]byte{[]byte("first"), []byte("second, longer")} {
		if err := s.Put(ctx, key, data); err != nil {
			t.Fatal(err)
		}
		rc, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("read %q, want %q", got, data)
		}
	}
	if ok, err := s.Exists(ctx, key); !ok || err != nil {
		t.Errorf("Exists after Put = %v, %v", ok, err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if ok, _ := s.Exists(ctx, key); ok {
		t.Error("exists after Delete")
	}
	if _, err := os.Stat(filepath.Join(dir, "media", testHash)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty media directory left behind: %v", err)
	}
}

// TestDirStorage_ConcurrentPut: many writers of one key leave one complete
// value and no temporary files, and readers never see a torn file.
func TestDirStorage_ConcurrentPut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewDirStorage(dir)
	key := OriginalKey(testHash)
	values := make([][]byte, 8)
	for i := range values {
		values[i] = bytes.Repeat([]byte{byte('a' + i)}, 256<<10)
	}
	if err := s.Put(ctx, key, values[0]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range values {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := s.Put(ctx, key, values[i]); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			rc, err := s.Open(ctx, key)
			if err != nil {
				t.Error(err)
				return
			}
			defer rc.Close()
			got, _ := io.ReadAll(rc)
			if len(got) != 256<<10 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
				t.Errorf("torn read: %d bytes", len(got))
			}
		}()
	}
	wg.Wait()
	entries, _ := os.ReadDir(filepath.Join(dir, testHash))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files left: %v", names)
	}
}

func TestDirStorage_BadKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewDirStorage(filepath.Join(dir, "media"))
	for _, key := range []string{
		"", "original", "/etc/passwd", "../x", testHash + "/../../x", testHash + "/..", "../" + testHash + "/original",
		testHash + "/a/b", testHash + `/a\b`, testHash + "/.put-123", ".hidden/x", testHash + "/W480.jpg", testHash + "/a b",
		testHash + "/\x00", "a//b", "/",
	} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			if err := s.Put(ctx, key, []byte("x")); cms.ErrorCode(err) != cms.EINVALID {
				t.Errorf("Put: %v", err)
			}
			if _, err := s.Open(ctx, key); cms.ErrorCode(err) != cms.EINVALID {
				t.Errorf("Open: %v", err)
			}
			if _, err := s.Exists(ctx, key); cms.ErrorCode(err) != cms.EINVALID {
				t.Errorf("Exists: %v", err)
			}
			if err := s.Delete(ctx, key); cms.ErrorCode(err) != cms.EINVALID {
				t.Errorf("Delete: %v", err)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad keys created files: %v", entries)
	}
}

func TestPublic(t *testing.T) {
	for key, want := range map[string]bool{
		VariantKey(testHash, "w480"):            true,
		VariantKey(testHash, "cover235"):        true,
		OriginalKey(testHash):                   false,
		VariantKey(testHash, "original"):        false,
		VariantKey(testHash, "w123"):            false,
		testHash + "/w480.png":                  false,
		"abc/w480.jpg":                          false,
		strings.ToUpper(testHash) + "/w480.jpg": false,
	} {
		if got := Public(key); got != want {
			t.Errorf("Public(%q) = %v", key, got)
		}
	}
}

// TestResult_Save stores a processed upload and reads it back by its keys.
func TestResult_Save(t *testing.T) {
	ctx := context.Background()
	data := encodeTestJPEG(t, photo(320, 240, 8), 80)
	res := process(t, data, nil)
	s := NewDirStorage(t.TempDir())
	if err := res.Save(ctx, s, data); err != nil {
		t.Fatal(err)
	}
	keys := res.Keys()
	if len(keys) != 1+len(specs) || keys[0] != OriginalKey(res.Hash) {
		t.Fatalf("keys %v", keys)
	}
	for i, key := range keys {
		rc, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		want := data
		if i > 0 {
			want = res.Variants[i-1].Data
			if !Public(key) {
				t.Errorf("%s not public", key)
			}
		} else if Public(key) {
			t.Errorf("original %s is public", key)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: stored bytes differ", key)
		}
	}
}

// TestDirStorage_Modes: originals, which keep the camera's metadata, are
// readable by Huimin alone; variants are public files.
func TestDirStorage_Modes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewDirStorage(dir)
	for key, want := range map[string]os.FileMode{
		OriginalKey(testHash):        0o600,
		VariantKey(testHash, "w480"): 0o644,
	} {
		if err := s.Put(ctx, key, []byte("x")); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, key))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", key, got, want)
		}
	}
}
