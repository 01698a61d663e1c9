package cli_test

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// phonePhoto makes a 4000×3000 photo-like JPEG and tags it the way phones
// do: rotated (Orientation 6), with GPS, camera and artist metadata.
func phonePhoto(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	noise := make([]byte, len(img.Y))
	rand.Read(noise)
	for y := range 3000 {
		for x := range 4000 {
			img.Y[y*img.YStride+x] = uint8((x/16+y/12)%200) + noise[y*4000+x]%40
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 100+uint8(i%50), 140
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "phone.jpg")
	os.WriteFile(path, buf.Bytes(), 0o644)
	cmd := exec.Command("exiftool", "-q", "-overwrite_original", "-Orientation#=6",
		"-GPSLatitude=30.2741", "-GPSLatitudeRef=N", "-GPSLongitude=120.1551", "-GPSLongitudeRef=E",
		"-Make=HuaXia", "-Model=Phone X9", "-Artist=Zhang San", "-XMP:Creator=Zhang San", "-Comment=home", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("exiftool: %v %s", err, out)
	}
	b, _ := os.ReadFile(path)
	return b
}

// bombPNG is a 30000×30000 greyscale PNG of about 1 MB: tiny on disk,
// 900 MB once decoded.
func bombPNG(tb testing.TB) []byte {
	tb.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 30000)
	binary.BigEndian.PutUint32(ihdr[4:], 30000)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 30001)
	for range 30000 {
		zw.Write(row)
	}
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

func TestServe_Media(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("exiftool"); err != nil {
		t.Skip("exiftool not installed (Debian: libimage-exiftool-perl)")
	}
	s := clitest.MustRunServe(t, "", "--demo=false")
	token := s.Login(t, "admin", s.Password)
	photo := phonePhoto(t)

	// Acceptance 1: upright, every variant served without metadata.
	code, m, _ := s.Upload(t, token, "IMG_0001.JPG", photo)
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, m)
	}
	if clitest.Num(m["width"]) != 3000 || clitest.Num(m["height"]) != 4000 {
		t.Fatalf("media is %vx%v, want 3000x4000 (upright)", m["width"], m["height"])
	}
	variants := m["variants"].([]any)
	names := map[string]bool{}
	dir := t.TempDir()
	for _, v := range variants {
		v := v.(map[string]any)
		names[v["name"].(string)] = true
		b := getBytes(t, s, v["url"].(string))
		cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != clitest.Num(v["width"]) || cfg.Height != clitest.Num(v["height"]) {
			t.Errorf("variant %v: decoded %dx%d (%v), JSON says %vx%v", v["name"], cfg.Width, cfg.Height, err, v["width"], v["height"])
		}
		if !strings.HasPrefix(v["name"].(string), "cover") && v["name"] != "thumb" && cfg.Height <= cfg.Width {
			t.Errorf("variant %v is %dx%d: not upright", v["name"], cfg.Width, cfg.Height)
		}
		p := filepath.Join(dir, v["name"].(string)+".jpg")
		os.WriteFile(p, b, 0o644)
		out, _ := exec.Command("exiftool", "-j", "-G", "-a", p).Output()
		for _, leak := range []string{"GPS", "HuaXia", "Phone X9", "Zhang San", "Orientation", "home", "XMP"} {
			if strings.Contains(string(out), leak) {
				t.Errorf("variant %v still carries %q: %s", v["name"], leak, out)
			}
		}
	}
	for _, want := range []string{"w480", "w960", "w1600", "cover235", "cover11", "thumb"} {
		if !names[want] {
			t.Errorf("variant %s missing; got %v", want, names)
		}
	}
	hash := m["hash"].(string)
	if code, _ := s.Get(t, "/media/"+hash+"/original"); code != http.StatusNotFound {
		t.Errorf("the original is served: %d", code)
	}

	// Acceptance 4: the same file twice is one media item.
	code, again, _ := s.Upload(t, token, "copy.jpg", photo)
	if code != http.StatusOK || again["id"] != m["id"] {
		t.Errorf("second upload: %d id %v, want 200 and id %v", code, again["id"], m["id"])
	}

	// Acceptance 2: moving the focal point moves the crops.
	cover := func() []byte {
		_, cur := s.Call(t, "GET", fmt.Sprintf("/api/v1/media/%v", m["id"]), token, nil)
		for _, v := range cur["variants"].([]any) {
			if v := v.(map[string]any); v["name"] == "cover235" {
				_, b := s.Get(t, v["url"].(string))
				return []byte(b)
			}
		}
		t.Fatal("no cover235")
		return nil
	}
	version := m["version"]
	// The upright photo is portrait: a 2.35:1 crop spans its full width, so
	// the focal point moves it vertically.
	for _, fy := range []float64{0.1, 0.9} {
		upd := s.Must(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/media/%v", m["id"]), token, map[string]any{"version": version, "focus_x": 0.5, "focus_y": fy})
		version = upd["version"]
		if fy == 0.1 {
			left := cover()
			defer func() {
				if bytes.Equal(left, cover()) {
					t.Errorf("the 2.35:1 crop did not move with the focal point")
				}
			}()
		}
	}

	// Uploading the same file again must not reset crops an editor placed.
	placed := cover()
	if code, again, _ := s.Upload(t, token, "again.jpg", photo); code != http.StatusOK || again["id"] != m["id"] || again["focus_y"] != 0.9 {
		t.Errorf("re-upload after a focal change: %d id %v focus_y %v", code, again["id"], again["focus_y"])
	}
	if !bytes.Equal(placed, cover()) {
		t.Errorf("re-uploading the same file reset the editor's crop")
	}

	// Acceptance 3: hostile input is refused quickly and the server stays healthy.
	jpegPrefix := photo[:len(photo)/3]
	random := make([]byte, 200<<10)
	rand.Read(random)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
	for _, tt := range []struct {
		name string
		data []byte
		code int
	}{
		{"random.jpg", random, 415},
		{"truncated.jpg", jpegPrefix, 422},
		{"script.svg", svg, 415},
		{"renamed.png", svg, 415},
		{"bomb.png", bombPNG(t), 422},
	} {
		code, out, took := s.Upload(t, token, tt.name, tt.data)
		if code != tt.code {
			t.Errorf("%s: %d %v, want %d", tt.name, code, out, tt.code)
		}
		if took > 3*time.Second {
			t.Errorf("%s took %v to refuse", tt.name, took)
		}
	}
	if code, _ := s.Get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("server unhealthy after hostile uploads: %d", code)
	}

	// Acceptance 5: an image without alt text blocks publication.
	_, p := s.Call(t, "POST", "/api/v1/projects", token, map[string]any{"name": "幸福起航", "kind": "window", "area": "marriage"})
	_, st := s.Call(t, "POST", "/api/v1/stories", token, map[string]any{
		"title": "七夕集体颁证", "project_id": p["id"], "cover_media_id": m["id"],
		"body": `<p>新人合影</p><img src="` + variants[0].(map[string]any)["url"].(string) + `">`,
	})

	code, out := s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), token, nil)
	if code != 422 || clitest.Fields(out)["cover_media_id"] == nil || clitest.Fields(out)["body"] == nil {
		t.Fatalf("publish without alt text: %d %v, want 422 naming cover_media_id and body", code, out)
	}
	s.Call(t, "PATCH", fmt.Sprintf("/api/v1/media/%v", m["id"]), token, map[string]any{"version": version, "alt": "新人在颁证厅宣读誓言"})
	code, upd := s.Call(t, "PATCH", fmt.Sprintf("/api/v1/stories/%v", st["id"]), token, map[string]any{"version": st["version"],
		"body": fmt.Sprintf(`<p>新人合影</p><figure data-media-id="%[1]v"><img src="/x.jpg" alt="新人合影" data-media-id="%[1]v"><figcaption>合影</figcaption></figure>`, m["id"])})

	if code != http.StatusOK || !strings.Contains(upd["body"].(string), `srcset="/media/`+hash+`/w480.jpg`) || !strings.Contains(upd["body"].(string), `width="960"`) {
		t.Fatalf("media-library image not made responsive: %d %v", code, upd["body"])
	}
	code, out = s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), token, nil)
	if code != http.StatusOK {
		t.Fatalf("publish with alt text: %d %v", code, out)
	}
	s.WaitBuild(t, token, out["build_id"])
	if _, page := s.Get(t, out["url"].(string)); !strings.Contains(page, `<p>新人合影</p><figure data-media-id="`) || !strings.Contains(page, `w1600.jpg?v=3 1600w" sizes=`) || !strings.Contains(page, `height="1280" alt="新人合影"`) {
		t.Errorf("public page body image lacks srcset or intrinsic size")
	}
	code, share := s.Call(t, "GET", fmt.Sprintf("/api/v1/stories/%v/share", st["id"]), token, nil)
	if code != http.StatusOK || len(share["covers"].([]any)) != 2 || !strings.HasSuffix(share["short_url"].(string), fmt.Sprintf("/s/%v/", st["id"])) {
		t.Fatalf("share info: %d %v", code, share)
	}
	_, png := clitest.Send(t, nil, clitest.Request(t, "GET", s.URL+share["qr_code_url"].(string), token, nil))
	if _, format, err := image.Decode(bytes.NewReader(png)); err != nil || format != "png" {
		t.Errorf("QR code: %v %q", err, format)
	}
}
