package media_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/media"
	"github.com/huimin/huimin/cms/objstore"
	"github.com/huimin/huimin/cms/objstore/objstoretest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// halves is a 2000×1000 JPEG, red on the left, blue on the right: a square
// crop shows which side the focal point is on.
func halves(tb testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2000, 1000))
	for y := range 1000 {
		for x := range 2000 {
			c := color.RGBA{200, uint8(x % 37), 30, 255}
			if x >= 1000 {
				c = color.RGBA{30, uint8(y % 41), 200, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// redness is how much redder than blue a JPEG is on average.
func redness(tb testing.TB, b []byte) int {
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	var sum int
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 4 {
		for x := r.Min.X; x < r.Max.X; x += 4 {
			cr, _, cb, _ := img.At(x, y).RGBA()
			sum += int(cr>>8) - int(cb>>8)
		}
	}
	return sum / ((r.Dx() / 4) * (r.Dy() / 4))
}

// TestBucketStorage_Lifecycle runs an upload, a focal-point change and a
// deletion through the real pipeline into a real bucket: variants under
// media/ (public), the original under private/, the re-rendered crop
// replacing the old one, and nothing left after deletion.
func TestBucketStorage_Lifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := objstoretest.MustOpen(t)
	db := storetest.MustOpen(t)
	in := media.NewIngest(media.NewProcessor(media.Options{}), media.NewBucketStorage(root), db)

	m, created, err := in.IngestMedia(ctx, halves(t), "halves.jpg")
	if err != nil || !created {
		t.Fatalf("IngestMedia: %v (created %v)", err, created)
	}
	var want []string
	for _, v := range m.Variants {
		want = append(want, "media/"+m.Hash+"/"+v.Name+".jpg")
	}
	slices.Sort(want)
	if got := objstoretest.Keys(t, root, "media/"); !slices.Equal(got, want) {
		t.Errorf("public objects = %q, want %q", got, want)
	}
	if got := objstoretest.Keys(t, root, "private/"); !slices.Equal(got, []string{"private/media/" + m.Hash + "/original"}) {
		t.Errorf("private objects = %q, want only the original", got)
	}
	info, err := root.Stat(ctx, "media/"+m.Hash+"/cover11.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "image/jpeg" || !strings.HasPrefix(info.CacheControl, "public") {
		t.Errorf("variant served as %q with Cache-Control %q", info.ContentType, info.CacheControl)
	}
	// The prefix media/ can be served straight from the bucket at the
	// paths the site links to.
	resp, err := http.Get(publicURL(root, "media/"+m.Hash+"/w480.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("GET the variant from the bucket: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The private original is never served through the media handler.
	if _, err := in.OpenMediaFile(ctx, m.Hash+"/original"); cms.ErrorCode(err) != cms.ENOTFOUND {
		t.Errorf("OpenMediaFile(original) = %v, want ENOTFOUND", err)
	}

	readCrop := func(in *media.Ingest) []byte {
		rc, err := in.OpenMediaFile(ctx, m.Hash+"/cover11.jpg")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return b
	}
	left, right := 0.05, 0.95
	m, err = db.UpdateMedia(ctx, m.ID, cms.MediaUpdate{Version: m.Version, FocusX: &left})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.RerenderMedia(ctx, m); err != nil {
		t.Fatal(err)
	}
	before := readCrop(in)
	if r := redness(t, before); r < 100 {
		t.Errorf("crop around the left focal point has redness %d, want a red square", r)
	}

	// Another server on the same bucket (a replica) moves the focal point;
	// a third reads the crop: the bytes are the ones the second rendered.
	b := media.NewIngest(media.NewProcessor(media.Options{}), media.NewBucketStorage(root), db)
	m, err = db.UpdateMedia(ctx, m.ID, cms.MediaUpdate{Version: m.Version, FocusX: &right})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.RerenderMedia(ctx, m); err != nil {
		t.Fatal(err)
	}
	rendered, err := root.ReadAll(ctx, "media/"+m.Hash+"/cover11.jpg")
	if err != nil {
		t.Fatal(err)
	}
	c := media.NewIngest(media.NewProcessor(media.Options{}), media.NewBucketStorage(root), db)
	after := readCrop(c)
	if !bytes.Equal(after, rendered) {
		t.Error("a third server reads other bytes than the re-rendered crop")
	}
	if bytes.Equal(after, before) {
		t.Error("the crop did not change with the focal point")
	}
	if r := redness(t, after); r > -100 {
		t.Errorf("crop around the right focal point has redness %d, want a blue square", r)
	}

	if err := in.DeleteMediaFiles(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := objstoretest.Keys(t, root, ""); len(got) != 0 {
		t.Errorf("objects left after deletion: %q", got)
	}
	if _, err := in.OpenMediaFile(ctx, m.Hash+"/w480.jpg"); cms.ErrorCode(err) != cms.ENOTFOUND {
		t.Errorf("OpenMediaFile after deletion = %v, want ENOTFOUND", err)
	}
}

func TestBucketStorage_Keys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := media.NewBucketStorage(objstoretest.MustOpen(t))
	for _, k := range []string{"../x", "a/b/c", ".hidden/x", "UPPER/x", "nohash"} {
		if err := s.Put(ctx, k, []byte("x")); cms.ErrorCode(err) != cms.EINVALID {
			t.Errorf("Put(%q) = %v, want EINVALID", k, err)
		}
	}
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	key := media.VariantKey(hash, "w480")
	if ok, err := s.Exists(ctx, key); ok || err != nil {
		t.Fatalf("Exists before Put = %v, %v", ok, err)
	}
	if _, err := s.Open(ctx, key); cms.ErrorCode(err) != cms.ENOTFOUND {
		t.Fatalf("Open before Put = %v, want ENOTFOUND", err)
	}
	if err := s.Put(ctx, key, []byte("jpeg")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, key); !ok || err != nil {
		t.Fatalf("Exists after Put = %v, %v", ok, err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

func publicURL(s *objstore.Store, key string) string {
	l := s.Location()
	scheme := "http"
	if l.Secure {
		scheme = "https"
	}
	return scheme + "://" + l.Endpoint + "/" + l.Bucket + "/" + l.Prefix + key
}
