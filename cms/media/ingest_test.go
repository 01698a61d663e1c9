package media_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/media"
	"github.com/huimin/huimin/cms/media/mediatest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestIngest_Files checks what an upload leaves in a directory now that the
// original is written during the decode and the variants together: the
// private original and the six public variants for a good photo; nothing at
// all for a JPEG whose header passes but whose data is cut short.
func TestIngest_Files(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	in := media.NewIngest(media.NewProcessor(media.Options{}), media.NewDirStorage(dir), storetest.MustOpen(t))

	photo, err := mediatest.PhotoJPEG(1200, 900, 3, 85)
	if err != nil {
		t.Fatal(err)
	}
	m, created, err := in.IngestMedia(ctx, photo, "photo.jpg")
	if err != nil || !created {
		t.Fatalf("IngestMedia: %v (created %v)", err, created)
	}
	want := []string{"original"}
	for _, sp := range media.Specs() {
		want = append(want, sp.Name+".jpg")
	}
	slices.Sort(want)
	if got := names(t, filepath.Join(dir, m.Hash)); !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	for name, mode := range map[string]os.FileMode{"original": 0o600, "w480.jpg": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, m.Hash, name))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v (%v), want %v", name, fi.Mode().Perm(), err, mode)
		}
	}

	bad, err := mediatest.PhotoJPEG(1200, 900, 4, 85)
	if err != nil {
		t.Fatal(err)
	}
	bad = bad[:len(bad)/2]
	if _, _, err := in.IngestMedia(ctx, bad, "cut.jpg"); cms.ErrorCode(err) != cms.EINVALID {
		t.Fatalf("IngestMedia(truncated) = %v, want EINVALID", err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{m.Hash}) {
		t.Errorf("after a refused upload the directory holds %q, want only %s", got, m.Hash)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}
