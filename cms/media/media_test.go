package media

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/png"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

func process(t *testing.T, data []byte, focus *Point) *Result {
	t.Helper()
	res, err := NewProcessor(Options{}).Process(context.Background(), data, focus)
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return res
}

func variant(t *testing.T, res *Result, name string) Variant {
	t.Helper()
	for _, v := range res.Variants {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no variant %q", name)
	return Variant{}
}

// checkVariants asserts every spec is present, in order, and that each
// variant is a clean JPEG of the size it claims.
func checkVariants(t *testing.T, res *Result) {
	t.Helper()
	if len(res.Variants) != len(specs) {
		t.Fatalf("%d variants, want %d", len(res.Variants), len(specs))
	}
	for i, v := range res.Variants {
		if v.Name != specs[i].Name || v.ContentType != "image/jpeg" {
			t.Errorf("variant %d = %q %q", i, v.Name, v.ContentType)
		}
		img := decodeJPEG(t, v.Data)
		if b := img.Bounds(); b.Dx() != v.Width || b.Dy() != v.Height {
			t.Errorf("%s: decoded %v, claims %dx%d", v.Name, b.Size(), v.Width, v.Height)
		}
		assertNoMetadata(t, v.Name, v.Data)
	}
}

// TestProcess_Orientation feeds a 400×300 photo with one colour per
// quadrant, tagged with each EXIF orientation (both byte orders), and checks
// the size and where each colour lands, against the EXIF spec's table.
func TestProcess_Orientation(t *testing.T) {
	// For each orientation, which stored quadrant appears at the displayed
	// TL, TR, BL, BR (indexes into quadColors).
	tests := []struct {
		orientation int
		want        [4]int
	}{
		{1, [4]int{0, 1, 2, 3}},
		{2, [4]int{1, 0, 3, 2}}, // mirrored
		{3, [4]int{3, 2, 1, 0}}, // rotated 180°
		{4, [4]int{2, 3, 0, 1}}, // flipped
		{5, [4]int{0, 2, 1, 3}}, // transposed
		{6, [4]int{2, 0, 3, 1}}, // needs 90° clockwise: the phone held upright
		{7, [4]int{3, 1, 2, 0}}, // transverse
		{8, [4]int{1, 3, 0, 2}}, // needs 90° counter-clockwise
	}
	plain := encodeTestJPEG(t, quadrants(400, 300), 92)
	for _, tt := range tests {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(strings.Join([]string{string(rune('0' + tt.orientation)), bo.String()}, "/"), func(t *testing.T) {
				data := withMetadata(plain, bo, tt.orientation)
				res := process(t, data, &Point{0.5, 0.5})
				wantW, wantH := 400, 300
				if tt.orientation >= 5 {
					wantW, wantH = 300, 400
				}
				if res.Width != wantW || res.Height != wantH {
					t.Fatalf("size %dx%d, want %dx%d", res.Width, res.Height, wantW, wantH)
				}
				checkVariants(t, res)
				for _, name := range []string{"w480", "w960", "w1600"} {
					v := variant(t, res, name)
					if v.Width != wantW || v.Height != wantH {
						t.Errorf("%s: %dx%d, want %dx%d (never upscaled)", name, v.Width, v.Height, wantW, wantH)
					}
					checkCorners(t, name, v, tt.want)
				}
			})
		}
	}
}

// TestProcess_OrientationPyramid: in a photo large enough that most
// variants come from shrunk pyramid levels (1/2 for w480 and cover11, 1/4
// for thumb), turned by its EXIF orientation, every variant, crops included,
// must show the quadrants where the upright picture has them.
func TestProcess_OrientationPyramid(t *testing.T) {
	data := withMetadata(encodeTestJPEG(t, quadrants(2400, 1800), 92), binary.LittleEndian, 6)
	want := [4]int{2, 0, 3, 1} // orientation 6, as in TestProcess_Orientation
	res := process(t, data, &Point{0.5, 0.5})
	if res.Width != 1800 || res.Height != 2400 {
		t.Fatalf("size %dx%d, want 1800x2400", res.Width, res.Height)
	}
	checkVariants(t, res)
	for _, name := range []string{"w480", "w1600", "cover11", "thumb"} {
		checkCorners(t, name, variant(t, res, name), want)
	}
}

// checkCorners checks that each corner of variant v (named name) shows the
// quadrant of the test picture want says: 0 top left, 1 top right, 2
// bottom left, 3 bottom right of the upright original.
func checkCorners(t *testing.T, name string, v Variant, want [4]int) {
	t.Helper()
	img := decodeJPEG(t, v.Data)
	w, h := v.Width, v.Height
	corners := []image.Rectangle{
		image.Rect(w/10, h/10, w/4, h/4), image.Rect(w*3/4, h/10, w*9/10, h/4),
		image.Rect(w/10, h*3/4, w/4, h*9/10), image.Rect(w*3/4, h*3/4, w*9/10, h*9/10),
	}
	for i, c := range corners {
		if got := nearestQuad(meanColor(img, c)); got != want[i] {
			t.Errorf("%s: corner %d shows quadrant %d, want %d", name, i, got, want[i])
		}
	}
}

// TestProcess_StripsMetadata checks with exiftool, independently of our own
// segment scan, that what a phone records is in the input and in no output.
func TestProcess_StripsMetadata(t *testing.T) {
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		t.Skip("exiftool not on PATH (apt-get install libimage-exiftool-perl)")
	}
	dir := t.TempDir()
	// Issue 7, acceptance 1: a 4000×3000 phone photo held upright.
	in := withMetadata(bigPhotoJPEG(t), binary.BigEndian, 6)
	res := process(t, in, nil)
	if res.Width != 3000 || res.Height != 4000 {
		t.Errorf("media is %dx%d, want 3000x4000", res.Width, res.Height)
	}
	if v := variant(t, res, "w1600"); v.Width != 1600 || v.Height != 2133 {
		t.Errorf("w1600 is %dx%d, want 1600x2133", v.Width, v.Height)
	}
	files := []string{filepath.Join(dir, "original.jpg")}
	if err := os.WriteFile(files[0], in, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Variants {
		f := filepath.Join(dir, v.Name+".jpg")
		if err := os.WriteFile(f, v.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// What the input must show (else the test image is wrong) and what no
	// output may show.
	inInput := []string{"[GPS]", "GPSLatitude", "[IFD0]", "Make", "Artist", "[XMP-dc]", "[IPTC]", "Comment", "Zhang San", "HuiminPhone", "Orientation"}
	leaks := append(inInput, "[ExifIFD]", "[XMP", "[Photoshop]", "[ICC_Profile]", "[JFIF]")
	for i, f := range files {
		out, err := exec.Command(exiftool, "-a", "-G1", "-s", f).CombinedOutput()
		if err != nil {
			t.Fatalf("exiftool %s: %v\n%s", f, err, out)
		}
		text := string(out)
		for _, s := range inInput {
			if i == 0 && !strings.Contains(text, s) {
				t.Errorf("input lacks %q; the test image is wrong:\n%s", s, text)
			}
		}
		for _, s := range leaks {
			if i > 0 && strings.Contains(text, s) {
				t.Errorf("%s leaks %q:\n%s", filepath.Base(f), s, text)
			}
		}
	}
}

// TestProcess_Rejects covers hostile and broken uploads: each must fail with
// the right code, quickly, and without decoding pixels it should not.
func TestProcess_Rejects(t *testing.T) {
	random := make([]byte, 64<<10)
	rand.New(rand.NewSource(7)).Read(random)
	good := encodeTestJPEG(t, photo(640, 480, 3), 85)
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">` +
		`<script>alert(document.cookie)</script><rect width="100" height="100"/></svg>`)
	tests := []struct {
		name  string
		data  []byte
		opts  Options
		code  string
		field string
	}{
		{"empty", nil, Options{}, cms.EUNSUPPORTED, "file"},
		{"random bytes named .jpg", random, Options{}, cms.EUNSUPPORTED, "file"},
		{"svg with script", svg, Options{}, cms.EUNSUPPORTED, "file"},
		{"svg renamed .png", append([]byte("\n  "), svg...), Options{}, cms.EUNSUPPORTED, "file"},
		{"html", []byte("<!doctype html><img src=x onerror=alert(1)>"), Options{}, cms.EUNSUPPORTED, "file"},
		{"bmp", append([]byte("BM"), random[:100]...), Options{}, cms.EUNSUPPORTED, "file"},
		{"truncated jpeg", good[:len(good)/2], Options{}, cms.EINVALID, "file"},
		{"jpeg header only", good[:200], Options{}, cms.EINVALID, "file"},
		{"jpeg, garbage after header", append(bytes.Clone(good[:600]), random[:4000]...), Options{}, cms.EINVALID, "file"},
		{"too many bytes", good, Options{MaxBytes: 1000}, cms.ETOOLARGE, "file"},
		{"too many pixels", good, Options{MaxPixels: 640*480 - 1}, cms.EINVALID, "file"},
		{"progressive scan bomb", scanBomb(t), Options{}, cms.EINVALID, "file"},
		{"png 1×70000", pngHeaderOnly(1, 70000), Options{}, cms.EINVALID, "file"},
		{"png truncated", pngHeaderOnly(64, 64), Options{}, cms.EINVALID, "file"},
		{"gif truncated", []byte("GIF89a\x10\x00\x10\x00\x00\x00\x00"), Options{}, cms.EINVALID, "file"},
		{"webp truncated", []byte("RIFF\x20\x00\x00\x00WEBPVP8 \x10\x00\x00\x00"), Options{}, cms.EINVALID, "file"},
		{"animated webp", []byte("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00\x0f\x00\x00\x0f\x00\x00"), Options{}, cms.EUNSUPPORTED, "file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := NewProcessor(tt.opts).Process(context.Background(), tt.data, nil)
			assertCode(t, err, tt.code, tt.field)
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func assertCode(t *testing.T, err error, code, field string) {
	t.Helper()
	var e *cms.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *cms.Error %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("code %s, want %s (%v)", e.Code, code, err)
	}
	if field != "" && e.Fields[field] == "" {
		t.Errorf("no message for field %q: %v", field, e)
	}
	if e.Message == "" {
		t.Error("no user message")
	}
}

// TestProcess_RefusesBombFromHeader builds a real 30000×30000 PNG (900 MP,
// about 1 MB compressed) and checks it is refused from its header: quickly,
// allocating nothing like the 900 MB decoding would take.
func TestProcess_RefusesBombFromHeader(t *testing.T) {
	bomb := pngBomb(t)
	t.Logf("30000×30000 PNG: %d bytes", len(bomb))
	if len(bomb) > 2<<20 {
		t.Fatalf("bomb is %d bytes, want about 1 MB", len(bomb))
	}
	p := NewProcessor(Options{})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := p.Process(context.Background(), bomb, nil)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	assertCode(t, err, cms.EINVALID, "file")
	if elapsed > 100*time.Millisecond {
		t.Errorf("took %v; the header alone should decide", elapsed)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}

var (
	bombOnce sync.Once
	bombPNG  []byte
)

// pngBomb writes a 30000×30000 grey PNG whose rows are all zero: 900 MB of
// pixels in about 1 MB of file.
func pngBomb(t *testing.T) []byte {
	bombOnce.Do(func() {
		const side = 30000
		var idat bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
		row := make([]byte, side+1) // filter byte 0, then zeros
		for i := 0; i < side; i++ {
			zw.Write(row)
		}
		zw.Close()
		bombPNG = pngFile(side, side, 0, idat.Bytes())
	})
	return bombPNG
}

// pngFile assembles a PNG from an IHDR (8-bit, colour type ct) and IDAT data.
func pngFile(w, h int, ct byte, idat []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, ct
	chunk("IHDR", ihdr)
	if idat != nil {
		chunk("IDAT", idat)
	}
	chunk("IEND", nil)
	return b.Bytes()
}

func pngHeaderOnly(w, h int) []byte { return pngFile(w, h, 0, nil) }

// scanBomb is a small JPEG declaring more progressive scans than any encoder
// writes; each scan would be a pass over every block. Stray bytes before the
// scans (which image/jpeg skips) must not hide them.
func scanBomb(t *testing.T) []byte {
	jpg := encodeTestJPEG(t, photo(64, 64, 4), 80)
	i := bytes.Index(jpg, []byte{0xFF, 0xDA})
	out := append(bytes.Clone(jpg[:i]), "stray\xff\x00"...)
	sos := segment(0xDA, []byte{1, 1, 0, 1, 1, 0}) // one component, spectral 1..1
	for n := 0; n <= maxScans; n++ {
		out = append(out, sos...)
		out = append(out, 0x00)
	}
	return append(out, 0xFF, 0xD9)
}

// TestProcess_Formats accepts the four formats, decoding transparency onto
// white and GIFs by their first frame.
func TestProcess_Formats(t *testing.T) {
	// PNG with a transparent left half over red.
	rgba := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 200; x++ {
			a := uint8(255)
			if x < 100 {
				a = 0
			}
			rgba.SetNRGBA(x, y, color.NRGBA{200, 20, 20, a})
		}
	}
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, rgba)

	// Two-frame GIF: blue first, green second.
	frame := func(c color.Color) *image.Paletted {
		m := image.NewPaletted(image.Rect(0, 0, 120, 80), palette.Plan9)
		draw.Draw(m, m.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
		return m
	}
	var gifBuf bytes.Buffer
	gif.EncodeAll(&gifBuf, &gif.GIF{Image: []*image.Paletted{frame(color.RGBA{0, 0, 255, 255}), frame(color.RGBA{0, 255, 0, 255})}, Delay: []int{10, 10}})

	gray := image.NewGray(image.Rect(0, 0, 90, 60))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		data   []byte
		format string
		w, h   int
		check  func(t *testing.T, img image.Image)
	}{
		{"png with alpha", pngBuf.Bytes(), "png", 200, 100, func(t *testing.T, img image.Image) {
			if r, g, b := meanColor(img, image.Rect(5, 5, 40, 40)); r < 240 || g < 240 || b < 240 {
				t.Errorf("transparent area is %.0f,%.0f,%.0f, want white", r, g, b)
			}
			if r, g, _ := meanColor(img, image.Rect(160, 5, 195, 40)); r < 170 || g > 60 {
				t.Errorf("opaque area lost its red")
			}
		}},
		{"gif first frame", gifBuf.Bytes(), "gif", 120, 80, func(t *testing.T, img image.Image) {
			if _, g, b := meanColor(img, img.Bounds()); b < 200 || g > 60 {
				t.Errorf("want the blue first frame")
			}
		}},
		{"grey jpeg", encodeTestJPEG(t, gray, 90), "jpeg", 90, 60, nil},
		{"progressive jpeg", read("tiny-progressive.jpg"), "jpeg", 24, 16, nil},
		{"cmyk jpeg", read("tiny-cmyk.jpg"), "jpeg", 24, 16, nil},
		{"lossy webp with alpha", read("tiny-lossy.webp"), "webp", 24, 16, nil},
		{"lossless webp", read("tiny-lossless.webp"), "webp", 24, 16, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := process(t, tt.data, nil)
			if res.Format != tt.format || res.Width != tt.w || res.Height != tt.h {
				t.Fatalf("got %s %dx%d, want %s %dx%d", res.Format, res.Width, res.Height, tt.format, tt.w, tt.h)
			}
			checkVariants(t, res)
			if tt.check != nil {
				tt.check(t, decodeJPEG(t, variant(t, res, "w480").Data))
			}
		})
	}
}

// TestProcess_OrientationOtherFormats: PNG (eXIf chunk) and WebP (EXIF
// chunk) can carry EXIF orientation too, and browsers honour it.
func TestProcess_OrientationOtherFormats(t *testing.T) {
	tiff := tiffIFD(binary.LittleEndian, 6, nil)
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, quadrants(40, 30))
	p := pngBuf.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	var exifChunk bytes.Buffer
	binary.Write(&exifChunk, binary.BigEndian, uint32(len(tiff)))
	exifChunk.WriteString("eXIf")
	exifChunk.Write(tiff)
	binary.Write(&exifChunk, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("eXIf"), tiff...)))
	pngWithExif := append(append(bytes.Clone(p[:ihdrEnd]), exifChunk.Bytes()...), p[ihdrEnd:]...)

	webp, err := os.ReadFile("testdata/tiny-lossy.webp") // VP8X, 24×16
	if err != nil {
		t.Fatal(err)
	}
	webp = bytes.Clone(webp)
	webp[20] |= 0x08 // EXIF flag
	webp = append(webp, "EXIF"...)
	webp = binary.LittleEndian.AppendUint32(webp, uint32(len(tiff)))
	webp = append(webp, tiff...)
	if len(tiff)%2 == 1 {
		webp = append(webp, 0)
	}
	binary.LittleEndian.PutUint32(webp[4:], uint32(len(webp)-8))

	for _, tt := range []struct {
		name         string
		data         []byte
		wantW, wantH int
	}{
		{"png eXIf", pngWithExif, 30, 40},
		{"webp EXIF", webp, 16, 24},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := process(t, tt.data, nil)
			if res.Width != tt.wantW || res.Height != tt.wantH {
				t.Errorf("%dx%d, want %dx%d", res.Width, res.Height, tt.wantW, tt.wantH)
			}
			checkVariants(t, res)
		})
	}
}

// TestProcess_Sizes checks each variant's size for typical and awkward shapes.
func TestProcess_Sizes(t *testing.T) {
	type size struct{ w, h int }
	tests := []struct {
		name string
		w, h int
		want map[string]size
	}{
		{"12 MP landscape", 4000, 3000, map[string]size{
			"w480": {480, 360}, "w960": {960, 720}, "w1600": {1600, 1200},
			"cover235": {900, 383}, "cover11": {600, 600}, "thumb": {300, 300}}},
		{"portrait", 1500, 2000, map[string]size{
			"w480": {480, 640}, "w960": {960, 1280}, "w1600": {1500, 2000},
			"cover235": {900, 383}, "cover11": {600, 600}, "thumb": {300, 300}}},
		{"small, never upscaled", 500, 400, map[string]size{
			"w480": {480, 384}, "w960": {500, 400}, "w1600": {500, 400},
			"cover235": {500, 213}, "cover11": {400, 400}, "thumb": {300, 300}}},
		{"panorama", 6000, 1000, map[string]size{
			"w480": {480, 80}, "w960": {960, 160}, "w1600": {1600, 267},
			"cover235": {900, 383}, "cover11": {600, 600}, "thumb": {300, 300}}},
		{"sliver", 3000, 2, map[string]size{
			"w480": {480, 1}, "w960": {960, 1}, "w1600": {1600, 1},
			"cover235": {4, 2}, "cover11": {2, 2}, "thumb": {2, 2}}},
		{"one pixel", 1, 1, map[string]size{
			"w480": {1, 1}, "w960": {1, 1}, "w1600": {1, 1},
			"cover235": {1, 0}, "cover11": {1, 1}, "thumb": {1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data []byte
			if tt.w == 4000 && tt.h == 3000 {
				data = bigPhotoJPEG(t) // shared with the other 12 MP tests
			} else {
				data = encodeTestJPEG(t, photo(tt.w, tt.h, 5), 80)
			}
			res := process(t, data, nil)
			checkVariants(t, res)
			for _, v := range res.Variants {
				want := tt.want[v.Name]
				if want.h == 0 {
					want.h = 1
				}
				if v.Width != want.w || v.Height != want.h {
					t.Errorf("%s: %dx%d, want %dx%d", v.Name, v.Width, v.Height, want.w, want.h)
				}
			}
		})
	}
}

// TestProcess_FocusMovesCrops uses an image whose halves differ: a focus on
// the left must crop the left, on the right the right; likewise top and
// bottom for the wide cover of a portrait photo.
func TestProcess_FocusMovesCrops(t *testing.T) {
	halves := func(w, h int, vertical bool) []byte {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.RGBA{220, 30, 30, 255}
				if (!vertical && x >= w/2) || (vertical && y >= h/2) {
					c = color.RGBA{30, 30, 220, 255}
				}
				img.SetRGBA(x, y, c)
			}
		}
		return encodeTestJPEG(t, img, 90)
	}
	wide, tall := halves(1600, 800, false), halves(800, 1600, true)
	tests := []struct {
		name    string
		data    []byte
		variant string
		focus   Point
		red     bool
	}{
		{"left", wide, "cover11", Point{0.1, 0.5}, true},
		{"right", wide, "cover11", Point{0.9, 0.5}, false},
		{"thumb left", wide, "thumb", Point{0.05, 0.2}, true},
		{"thumb right", wide, "thumb", Point{0.95, 0.8}, false},
		{"top", tall, "cover235", Point{0.5, 0.1}, true},
		{"bottom", tall, "cover235", Point{0.5, 0.9}, false},
		{"clamped beyond edge", tall, "cover235", Point{0.5, 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := process(t, tt.data, &tt.focus)
			if res.Focus != tt.focus {
				t.Errorf("Focus = %v, want %v", res.Focus, tt.focus)
			}
			img := decodeJPEG(t, variant(t, res, tt.variant).Data)
			r, _, b := meanColor(img, img.Bounds())
			if (r > b) != tt.red {
				t.Errorf("%s mean red %.0f blue %.0f; want red=%v", tt.variant, r, b, tt.red)
			}
		})
	}
}

// TestProcess_DetectsFocus: with no focus given, smartcrop should find the
// one detailed, skin-toned subject on an otherwise plain background.
func TestProcess_DetectsFocus(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1600, 900))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{120, 130, 140, 255}), image.Point{}, draw.Src)
	r := rand.New(rand.NewSource(9))
	for y := 250; y < 650; y++ {
		for x := 1150; x < 1450; x++ {
			v := uint8(r.Intn(40))
			img.SetRGBA(x, y, color.RGBA{200 + v/2, 140 + v, 110 + v, 255})
		}
	}
	res := process(t, encodeTestJPEG(t, img, 90), nil)
	if !res.Focus.Valid() {
		t.Fatalf("Focus %v outside 0..1", res.Focus)
	}
	if res.Focus.X < 0.6 {
		t.Errorf("Focus %v; the subject is at x≈0.8", res.Focus)
	}
	// The square crop must contain the whole subject.
	sp, _ := LookupSpec("cover11")
	if r := cropRect(1600, 900, sp, res.Focus); r.Min.X > 1150 || r.Max.X < 1450 {
		t.Errorf("cover11 crop %v misses the subject at x 1150..1450", r)
	}
}

func TestProcess_HashAndFocusValidation(t *testing.T) {
	data := encodeTestJPEG(t, photo(300, 200, 6), 80)
	res := process(t, data, nil)
	sum := sha256.Sum256(data)
	if res.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("Hash %s", res.Hash)
	}
	if again := process(t, bytes.Clone(data), nil); again.Hash != res.Hash || again.Focus != res.Focus {
		t.Errorf("same bytes, different result: %v %v", again.Hash, again.Focus)
	}
	for _, f := range []Point{{-0.1, 0.5}, {0.5, 1.01}, {nan(), 0.5}} {
		_, err := NewProcessor(Options{}).Process(context.Background(), data, &f)
		assertCode(t, err, cms.EINVALID, "focus")
	}
}

func nan() float64 { var z float64; return z / z }

// TestProcess_Bounded: with every slot taken, a call waits, then gives up
// with EUNAVAILABLE at its timeout; a cancelled caller gets its own error.
func TestProcess_Bounded(t *testing.T) {
	data := encodeTestJPEG(t, photo(300, 200, 6), 80)
	p := NewProcessor(Options{Concurrency: 2, Timeout: 50 * time.Millisecond})
	if err := p.slots.Acquire(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := p.Process(context.Background(), data, nil)
	assertCode(t, err, cms.EUNAVAILABLE, "")
	if d := time.Since(start); d < 50*time.Millisecond || d > time.Second {
		t.Errorf("gave up after %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Process(ctx, data, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	p.slots.Release(2)
	// Nothing leaked: the failed calls hold no slots.
	if !p.slots.TryAcquire(2) {
		t.Error("slots leaked")
	}
}

// TestWeight: ordinary photos take one slot; an image estimated to need more
// than a slot's share of the memory budget takes several, up to all.
func TestWeight(t *testing.T) {
	p := NewProcessor(Options{Concurrency: 4, MemoryBudget: 1 << 30})
	big, err := inspect("png", pngBomb(t))
	if err != nil {
		t.Fatal(err)
	}
	data := bigPhotoJPEG(t)
	photo, err := inspect("jpeg", data)
	if err != nil {
		t.Fatal(err)
	}
	if w := p.weight(photo); w != 1 {
		t.Errorf("12 MP photo weight %d (footprint %d MB)", w, footprint(photo)>>20)
	}
	if w := p.weight(big); w != 4 {
		t.Errorf("900 MP weight %d", w)
	}
}

// TestScanJPEG checks the pre-decode walk directly: it must see the EXIF
// orientation and count scans even past stray bytes.
func TestScanJPEG(t *testing.T) {
	if _, err := scanJPEG(scanBomb(t)); err == nil {
		t.Error("scan bomb not refused before decoding")
	}
	plain := encodeTestJPEG(t, photo(64, 48, 4), 80)
	for o := 1; o <= 8; o++ {
		info, err := scanJPEG(withMetadata(plain, binary.BigEndian, o))
		if err != nil || info.orientation != o || info.scans != 1 || info.progressive {
			t.Errorf("orientation %d: %+v, %v", o, info, err)
		}
	}
	prog, err := os.ReadFile("testdata/tiny-progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := scanJPEG(prog); !info.progressive || info.scans < 2 {
		t.Errorf("progressive: %+v", info)
	}
}
