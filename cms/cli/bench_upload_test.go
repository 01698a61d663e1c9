package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/media/mediatest"
)

// BenchmarkUploadVersusVips is DESIGN.md's image target as a user meets it:
// a 12 MP phone photo posted to a running server (POST /api/v1/media,
// multipart) until every one of its six variants has been served back over
// HTTP, ÷ vipsthumbnail making the same six files from the same JPEG. Each
// upload is a new file (a JPEG comment differs), so none is answered from
// the content-addressed library. Ours and theirs alternate; the medians of
// HUIMIN_BENCH_UPLOADS rounds (default 5) give the ratio (goal ≤ 0.5).
//
//	go test -run '^$' -bench BenchmarkUploadVersusVips -benchtime 1x ./cms/cli/
//
// Add -cpuprofile: the server runs in this process, so the profile is the
// upload path's (vipsthumbnail runs in children and is not in it).
func BenchmarkUploadVersusVips(b *testing.B) {
	const id = "media-upload"
	vips, err := exec.LookPath("vipsthumbnail")
	if err != nil {
		benchline.NotMeasured(id, "vipsthumbnail", "vipsthumbnail not on PATH (apt-get install libvips-tools)")
		b.Skip("vipsthumbnail not on PATH (apt-get install libvips-tools)")
	}
	rounds := envInt(b, "HUIMIN_BENCH_UPLOADS", 5)
	photo, err := mediatest.PhotoJPEG(4000, 3000, 1, 90)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "photo.jpg")
	vipsArgs := mediatest.VipsArgs(src, dir)
	if err := os.WriteFile(src, photo, 0o644); err != nil {
		b.Fatal(err)
	}

	data := b.TempDir()
	const password = "Bench-upload-2026"
	seedBench(b, 0, password, func(string) string { return "" }, "--data", data)
	s := clitest.MustRun(b, data, "", []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--demo=false"})
	token := s.Login(b, "bench", password)
	client := &http.Client{Timeout: 2 * time.Minute}

	upload := 0
	runOurs := func() time.Duration {
		upload++
		body, ctype := multipartPhoto(b, withComment(photo, fmt.Sprintf("upload %d", upload)))
		start := time.Now()
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/media", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("upload: %d %s", resp.StatusCode, raw)
		}
		var m struct {
			Variants []struct{ Name, URL string }
		}
		if err := json.Unmarshal(raw, &m); err != nil || len(m.Variants) != len(vipsArgs) {
			b.Fatalf("upload answered %s (%v)", raw, err)
		}
		for _, v := range m.Variants {
			resp, err := client.Get(s.URL + v.URL)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || n == 0 {
				b.Fatalf("GET %s: %d, %d bytes", v.URL, resp.StatusCode, n)
			}
		}
		return time.Since(start)
	}
	runVips := func() time.Duration {
		start := time.Now()
		for _, args := range vipsArgs {
			if out, err := exec.Command(vips, args...).CombinedOutput(); err != nil {
				b.Fatalf("vipsthumbnail %v: %v\n%s", args, err, out)
			}
		}
		return time.Since(start)
	}
	runOurs() // warm up: connections, page cache, the heap
	runVips()

	var ours, theirs []time.Duration
	for b.Loop() {
		for i := range rounds {
			// Alternate who goes first so drift on a shared machine hits both.
			if i%2 == 0 {
				ours = append(ours, runOurs())
				theirs = append(theirs, runVips())
			} else {
				theirs = append(theirs, runVips())
				ours = append(ours, runOurs())
			}
		}
	}
	o, t := benchline.Millis(ours), benchline.Millis(theirs)
	fmt.Printf("12 MP JPEG (%d bytes) uploaded over HTTP until its 6 variants are served: median %.0f ms (%.0f–%.0f); "+
		"vipsthumbnail ×6: median %.0f ms (%.0f–%.0f); ratio %.2f (goal ≤ 0.5), %d rounds\n",
		len(photo), o.Median, o.Min, o.Max, t.Median, t.Min, t.Max, o.Median/t.Median, len(ours))
	b.ReportMetric(o.Median/t.Median, "upload/vips")
	benchline.Emit(benchline.Row{ID: id, Unit: "ms", Ours: o, Peer: vipsVersion(vips) + " ×6, one process each", Theirs: t})
}

// withComment returns jpeg with a comment segment after its start marker:
// other bytes, the same pixels.
func withComment(jpeg []byte, text string) []byte {
	seg := []byte{0xFF, 0xFE, byte((len(text) + 2) >> 8), byte(len(text) + 2)}
	return slices.Concat(jpeg[:2], seg, []byte(text), jpeg[2:])
}

func multipartPhoto(tb testing.TB, data []byte) ([]byte, string) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("file", "IMG_0001.jpg")
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write(data)
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return body.Bytes(), w.FormDataContentType()
}

// vipsVersion names the vipsthumbnail that ran, e.g. "vipsthumbnail (libvips 8.14.1)".
func vipsVersion(bin string) string {
	out, err := exec.Command(bin, "--vips-version").Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return "vipsthumbnail (" + v + ")"
	}
	return "vipsthumbnail"
}
