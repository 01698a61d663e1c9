package media_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/media"
	"github.com/huimin/huimin/cms/media/mediatest"
	"github.com/huimin/huimin/cms/objstore/objstoretest"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// twoSites opens a library with the default site and site "jy", and the
// per-site storage of a data directory the way the command wires it.
func twoSites(t *testing.T) (db *store.DB, dir string, files *media.SiteStorage, jy context.Context) {
	t.Helper()
	db = storetest.MustOpen(t)
	site := &cms.Site{Slug: "jy", Name: "江阴市民政局", Hosts: []string{"jy.example.gov.cn"}}
	if err := db.CreateSite(context.Background(), site); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	files = media.NewSiteStorage(media.NewDirStorage(filepath.Join(dir, "media")),
		func(slug string) media.Storage {
			return media.NewDirStorage(filepath.Join(dir, "sites", slug, "media"))
		},
		slugOf(db))
	return db, dir, files, cms.NewContextWithSite(context.Background(), site.ID)
}

func slugOf(db *store.DB) func(context.Context, int64) (string, error) {
	return func(ctx context.Context, id int64) (string, error) {
		s, err := db.FindSiteByID(ctx, id)
		if err != nil {
			return "", err
		}
		return s.Slug, nil
	}
}

func readKey(t *testing.T, ctx context.Context, s media.Storage, key string) []byte {
	t.Helper()
	rc, err := s.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSiteStorage_Ingest uploads one picture on two sites: each keeps its
// own files in its own place, a site's crop and deletion touch only its
// own, and a site cannot open the other's.
func TestSiteStorage_Ingest(t *testing.T) {
	t.Parallel()
	db, dir, files, jy := twoSites(t)
	main := context.Background()
	in := media.NewIngest(media.NewProcessor(media.Options{}), files, db)
	photo, err := mediatest.PhotoJPEG(1200, 900, 5, 85)
	if err != nil {
		t.Fatal(err)
	}
	m1, created1, err := in.IngestMedia(main, photo, "a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	m2, created2, err := in.IngestMedia(jy, photo, "a.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !created1 || !created2 || m1.ID == m2.ID || m1.Hash != m2.Hash {
		t.Fatalf("the same picture on two sites: items %d (created %v) and %d (created %v), want two", m1.ID, created1, m2.ID, created2)
	}
	if again, created, err := in.IngestMedia(jy, photo, "b.jpg"); err != nil || created || again.ID != m2.ID {
		t.Fatalf("again on jy: item %v created %v err %v, want item %d", again, created, err, m2.ID)
	}
	want := []string{"original"}
	for _, sp := range media.Specs() {
		want = append(want, sp.Name+".jpg")
	}
	slices.Sort(want)
	for _, d := range []string{filepath.Join(dir, "media", m1.Hash), filepath.Join(dir, "sites", "jy", "media", m1.Hash)} {
		if got := names(t, d); !slices.Equal(got, want) {
			t.Errorf("%s holds %q, want %q", d, got, want)
		}
	}
	if got := names(t, dir); !slices.Equal(got, []string{"media", "sites"}) {
		t.Errorf("data directory holds %q", got)
	}

	// A new focal point on jy re-renders jy's crops only.
	key := media.VariantKey(m1.Hash, "cover11")
	before := readKey(t, main, files, key)
	x, y := 0.9, 0.9
	m2, err = db.UpdateMedia(jy, m2.ID, cms.MediaUpdate{Version: m2.Version, FocusX: &x, FocusY: &y})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.RerenderMedia(jy, m2); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(readKey(t, jy, files, key), before) {
		t.Error("jy's crop did not change with its focal point")
	}
	if !bytes.Equal(readKey(t, main, files, key), before) {
		t.Error("the default site's crop changed with jy's focal point")
	}

	// jy's files go with jy's item; the default site's stay.
	if err := in.DeleteMediaFiles(jy, m2); err != nil {
		t.Fatal(err)
	}
	if _, err := in.OpenMediaFile(jy, media.VariantKey(m1.Hash, "w480")); cms.ErrorCode(err) != cms.ENOTFOUND {
		t.Errorf("jy's variant after its deletion: %v, want ENOTFOUND", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sites", "jy", "media", m1.Hash)); !os.IsNotExist(err) {
		t.Errorf("jy's directory of the picture is still there: %v", err)
	}
	rc, err := in.OpenMediaFile(main, media.VariantKey(m1.Hash, "w480"))
	if err != nil {
		t.Fatalf("the default site's variant after jy's deletion: %v", err)
	}
	rc.Close()

	// A site the library does not know has no files, not the default site's.
	if _, err := files.Open(cms.NewContextWithSite(main, 99), media.VariantKey(m1.Hash, "w480")); err == nil {
		t.Error("site 99 opened a file")
	}
}

// TestSiteStorage_MoveSharedFiles starts from what the release before
// per-site media left: every site's files at the shared root, one picture
// on both sites, one on jy only. The move gives jy its own copies, removes
// from the root only the picture the default site does not have, and
// finds nothing to do the second time.
func TestSiteStorage_MoveSharedFiles(t *testing.T) {
	t.Parallel()
	db, dir, files, jy := twoSites(t)
	main := context.Background()
	root := media.NewDirStorage(filepath.Join(dir, "media"))
	old := media.NewIngest(media.NewProcessor(media.Options{}), root, db) // the shared layout
	shared, err := mediatest.PhotoJPEG(800, 600, 6, 85)
	if err != nil {
		t.Fatal(err)
	}
	own, err := mediatest.PhotoJPEG(800, 600, 7, 85)
	if err != nil {
		t.Fatal(err)
	}
	s1, _, err := old.IngestMedia(main, shared, "s.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := old.IngestMedia(jy, shared, "s.jpg"); err != nil {
		t.Fatal(err)
	}
	o, _, err := old.IngestMedia(jy, own, "o.jpg")
	if err != nil {
		t.Fatal(err)
	}
	wantOwn := readKey(t, main, root, media.VariantKey(o.Hash, "cover235"))
	if got := names(t, filepath.Join(dir, "media")); len(got) != 2 {
		t.Fatalf("the shared root holds %q, want two pictures", got)
	}

	sites, err := db.FindSites(cms.NewContextAllSites(main))
	if err != nil {
		t.Fatal(err)
	}
	moved, err := files.MoveSharedFiles(main, sites, db)
	if err != nil || moved != 2 {
		t.Fatalf("MoveSharedFiles = %d, %v; want 2 items", moved, err)
	}
	if got := names(t, filepath.Join(dir, "sites", "jy", "media")); !slices.Equal(got, sortedPair(s1.Hash, o.Hash)) {
		t.Errorf("jy's media directory holds %q", got)
	}
	if got := names(t, filepath.Join(dir, "media")); !slices.Equal(got, []string{s1.Hash}) {
		t.Errorf("after the move the root holds %q, want only the default site's %s", got, s1.Hash)
	}
	if got := readKey(t, jy, files, media.VariantKey(o.Hash, "cover235")); !bytes.Equal(got, wantOwn) {
		t.Error("jy's moved variant differs from the original file")
	}
	if ok, err := files.Exists(jy, media.OriginalKey(o.Hash)); !ok || err != nil {
		t.Errorf("jy's original after the move: %v %v", ok, err)
	}
	if ok, _ := files.Exists(main, media.VariantKey(o.Hash, "w480")); ok {
		t.Error("the default site still serves jy's picture")
	}
	if ok, _ := files.Exists(main, media.VariantKey(s1.Hash, "w480")); !ok {
		t.Error("the default site lost its own picture")
	}
	if moved, err := files.MoveSharedFiles(main, sites, db); err != nil || moved != 0 {
		t.Errorf("second MoveSharedFiles = %d, %v; want nothing to do", moved, err)
	}
}

func sortedPair(a, b string) []string {
	s := []string{a, b}
	slices.Sort(s)
	return s
}

// TestSiteStorage_Bucket keeps site N's variants below
// sites/<slug>/media/ and its original below sites/<slug>/private/media/,
// the default site's where they always were.
func TestSiteStorage_Bucket(t *testing.T) {
	t.Parallel()
	root := objstoretest.MustOpen(t)
	db, _, _, jy := twoSites(t)
	files := media.NewSiteStorage(media.NewBucketStorage(root),
		func(slug string) media.Storage { return media.NewBucketStorage(root.Sub("sites/" + slug)) }, slugOf(db))
	in := media.NewIngest(media.NewProcessor(media.Options{}), files, db)
	photo, err := mediatest.PhotoJPEG(640, 480, 8, 85)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := in.IngestMedia(jy, photo, "p.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range m.Variants {
		want = append(want, "sites/jy/media/"+m.Hash+"/"+v.Name+".jpg")
	}
	want = append(want, "sites/jy/private/media/"+m.Hash+"/original")
	slices.Sort(want)
	if got := objstoretest.Keys(t, root, ""); !slices.Equal(got, want) {
		t.Errorf("bucket keys = %q, want %q", got, want)
	}
	if _, _, err := in.IngestMedia(context.Background(), photo, "p.jpg"); err != nil {
		t.Fatal(err)
	}
	if got := objstoretest.Keys(t, root, "media/"); len(got) != len(m.Variants) {
		t.Errorf("the default site's variants: %q", got)
	}
}
