package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// FuzzProcess feeds arbitrary bytes through validation, decoding and
// rendering. Whatever the input, Process must not panic, hang or return an
// internal error: it either produces clean variants or a 4xx-class error.
// Seeds (testdata/fuzz/FuzzProcess) cover each format, EXIF orientation,
// progressive JPEG, transparency and truncation. Run:
//
//	go test -run '^$' -fuzz FuzzProcess -fuzztime 30s ./cms/media/
func FuzzProcess(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\xff\xd8\xff"))
	f.Add([]byte("GIF89a"))
	// Small limits keep each iteration fast; the logic is the same.
	p := NewProcessor(Options{MaxBytes: 1 << 20, MaxPixels: 1 << 20, Timeout: 20 * time.Second})
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := p.Process(context.Background(), data, nil)
		if err != nil {
			switch code := cms.ErrorCode(err); code {
			case cms.EINVALID, cms.EUNSUPPORTED, cms.ETOOLARGE:
			default:
				t.Fatalf("code %s: %v", code, err)
			}
			if cms.ErrorMessage(err) == "" {
				t.Fatal("no user message")
			}
			return
		}
		sum := sha256.Sum256(data)
		if res.Hash != hex.EncodeToString(sum[:]) {
			t.Fatal("wrong hash")
		}
		if res.Width <= 0 || res.Height <= 0 || !res.Focus.Valid() || len(res.Variants) != len(specs) {
			t.Fatalf("bad result %dx%d focus %v, %d variants", res.Width, res.Height, res.Focus, len(res.Variants))
		}
		for _, v := range res.Variants {
			if v.Width <= 0 || v.Height <= 0 || v.Width > res.Width && v.Width > 1 {
				t.Fatalf("%s: %dx%d from %dx%d", v.Name, v.Width, v.Height, res.Width, res.Height)
			}
			img := decodeJPEG(t, v.Data)
			if b := img.Bounds(); b.Dx() != v.Width || b.Dy() != v.Height {
				t.Fatalf("%s: decodes to %v, claims %dx%d", v.Name, b.Size(), v.Width, v.Height)
			}
			if bytes.Contains(v.Data, []byte("Exif")) {
				t.Fatalf("%s: carries EXIF", v.Name)
			}
			assertNoMetadata(t, v.Name, v.Data)
		}
	})
}
