package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"sync"
	"testing"

	"github.com/huimin/huimin/cms/media/mediatest"
)

// photo returns a w×h photo-like image (see mediatest.Photo).
func photo(w, h int, seed int64) *image.RGBA { return mediatest.Photo(w, h, seed) }

func encodeTestJPEG(tb testing.TB, img image.Image, q int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

var (
	bigOnce sync.Once
	bigJPEG []byte
)

// bigPhotoJPEG is a 4000×3000 (12 MP) photo-like JPEG at quality 90, about
// 4.5 MB, made once per test binary.
func bigPhotoJPEG(tb testing.TB) []byte {
	bigOnce.Do(func() { bigJPEG = encodeTestJPEG(tb, photo(4000, 3000, 1), 90) })
	return bigJPEG
}

// quadrants returns a w×h image with a solid colour per quadrant.
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, quadColors[2*(2*y/h)+2*x/w])
		}
	}
	return img
}

// quadColors are top-left, top-right, bottom-left, bottom-right.
var quadColors = [4]color.RGBA{
	{230, 30, 30, 255},  // red
	{30, 200, 30, 255},  // green
	{30, 30, 230, 255},  // blue
	{240, 230, 30, 255}, // yellow
}

// tiffIFD builds a TIFF structure by hand: IFD0 with the given ASCII tags
// and orientation, and a GPS IFD with a latitude and longitude, the way a
// phone writes them.
func tiffIFD(bo binary.ByteOrder, orientation int, ascii map[uint16]string) []byte {
	type entry struct {
		tag, typ uint16
		count    uint32
		data     []byte // value bytes; placed inline when ≤ 4
	}
	build := func(entries []entry, base uint32, next func(dataOff uint32) []byte) []byte {
		// layout: count, entries, next-IFD offset, then out-of-line data
		size := uint32(2 + 12*len(entries) + 4)
		var ifd, data bytes.Buffer
		binary.Write(&ifd, bo, uint16(len(entries)))
		for _, e := range entries {
			binary.Write(&ifd, bo, e.tag)
			binary.Write(&ifd, bo, e.typ)
			binary.Write(&ifd, bo, e.count)
			if len(e.data) <= 4 {
				v := make([]byte, 4)
				copy(v, e.data)
				ifd.Write(v)
			} else {
				binary.Write(&ifd, bo, base+size+uint32(data.Len()))
				data.Write(e.data)
				if data.Len()%2 == 1 {
					data.WriteByte(0)
				}
			}
		}
		binary.Write(&ifd, bo, uint32(0))
		ifd.Write(data.Bytes())
		if next != nil {
			ifd.Write(next(base + uint32(ifd.Len())))
		}
		return ifd.Bytes()
	}
	short := func(v uint16) []byte { b := make([]byte, 2); bo.PutUint16(b, v); return b }
	long := func(v uint32) []byte { b := make([]byte, 4); bo.PutUint32(b, v); return b }
	rationals := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = append(b, long(v)...)
			b = append(b, long(1)...)
		}
		return b
	}
	var entries []entry
	for _, tag := range []uint16{0x010F, 0x0110} { // Make, Model
		if s, ok := ascii[tag]; ok {
			entries = append(entries, entry{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)})
		}
	}
	entries = append(entries, entry{0x0112, 3, 1, short(uint16(orientation))})
	if s, ok := ascii[0x013B]; ok { // Artist
		entries = append(entries, entry{0x013B, 2, uint32(len(s) + 1), append([]byte(s), 0)})
	}
	gpsAt := len(entries)
	entries = append(entries, entry{0x8825, 4, 1, nil}) // GPS IFD pointer, patched below
	gps := []entry{
		{0x0000, 1, 4, []byte{2, 3, 0, 0}},        // GPSVersionID
		{0x0001, 2, 2, []byte("N\x00")},           // GPSLatitudeRef
		{0x0002, 5, 3, rationals(31, 13, 47)},     // GPSLatitude: someone's home
		{0x0003, 2, 2, []byte("E\x00")},           // GPSLongitudeRef
		{0x0004, 5, 3, rationals(121, 28, 29)},    // GPSLongitude
		{0x0006, 5, 1, rationals(12)},             // GPSAltitude
		{0x001D, 2, 11, []byte("2024:05:20\x00")}, // GPSDateStamp
	}
	// IFD0 starts at offset 8; its size is fixed by the entry count, so the
	// GPS IFD offset is computable before building.
	ifd0 := build(entries, 8, nil)
	gpsOff := uint32(8 + len(ifd0))
	entries[gpsAt].data = long(gpsOff)
	ifd0 = build(entries, 8, nil)
	gpsIFD := build(gps, gpsOff, nil)

	var out bytes.Buffer
	if bo == binary.LittleEndian {
		out.WriteString("II")
	} else {
		out.WriteString("MM")
	}
	binary.Write(&out, bo, uint16(42))
	binary.Write(&out, bo, uint32(8))
	out.Write(ifd0)
	out.Write(gpsIFD)
	return out.Bytes()
}

// segment returns a JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

// withMetadata inserts, after SOI, what a phone or desktop editor leaves in
// a photo: EXIF (orientation, GPS, make, model, artist), XMP, IPTC and a
// comment.
func withMetadata(jpg []byte, bo binary.ByteOrder, orientation int) []byte {
	exif := append([]byte("Exif\x00\x00"), tiffIFD(bo, orientation, map[uint16]string{
		0x010F: "HuiminPhone", 0x0110: "Model X-12", 0x013B: "Zhang San",
	})...)
	xmp := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), []byte(
		`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`+
			`<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Zhang San</rdf:li></rdf:Seq></dc:creator>`+
			`</rdf:Description></rdf:RDF></x:xmpmeta>`)...)
	// Photoshop IRB with one IPTC record: 2:80 By-line.
	iptcRec := append([]byte{0x1C, 2, 80, 0, 9}, []byte("Zhang San")...)
	irb := []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00")
	irb = binary.BigEndian.AppendUint32(irb, uint32(len(iptcRec)))
	irb = append(irb, iptcRec...)
	if len(irb)%2 == 1 {
		irb = append(irb, 0)
	}
	var out []byte
	out = append(out, jpg[:2]...)
	out = append(out, segment(0xE1, exif)...)
	out = append(out, segment(0xE1, xmp)...)
	out = append(out, segment(0xED, irb)...)
	out = append(out, segment(0xFE, []byte("home: 12 Lane 3, Zhangjiang"))...)
	return append(out, jpg[2:]...)
}

// markers lists the marker bytes of a JPEG's segments up to the first scan.
func markers(tb testing.TB, jpg []byte) []byte {
	tb.Helper()
	if len(jpg) < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		tb.Fatalf("not a JPEG")
	}
	var ms []byte
	for i := 2; i+4 <= len(jpg); {
		if jpg[i] != 0xFF {
			tb.Fatalf("bad marker at %d", i)
		}
		m := jpg[i+1]
		ms = append(ms, m)
		if m == 0xDA {
			return ms
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	return ms
}

// assertNoMetadata fails if a JPEG has any APPn or COM segment: EXIF and XMP
// live in APP1, IPTC in APP13, ICC in APP2, comments in COM.
func assertNoMetadata(tb testing.TB, name string, jpg []byte) {
	tb.Helper()
	for _, m := range markers(tb, jpg) {
		if m >= 0xE0 && m <= 0xEF || m == 0xFE {
			tb.Errorf("%s: has metadata segment %#x", name, m)
		}
	}
	for _, s := range []string{"Exif", "http://ns.adobe.com", "Photoshop", "Zhang San", "HuiminPhone"} {
		if bytes.Contains(jpg, []byte(s)) {
			tb.Errorf("%s: contains %q", name, s)
		}
	}
}

func decodeJPEG(tb testing.TB, data []byte) image.Image {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// meanColor averages r over the whole of img's rectangle r.
func meanColor(img image.Image, r image.Rectangle) (float64, float64, float64) {
	var sr, sg, sb, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			sr, sg, sb, n = sr+float64(cr>>8), sg+float64(cg>>8), sb+float64(cb>>8), n+1
		}
	}
	return sr / n, sg / n, sb / n
}

// nearestQuad returns the index of the quadrant colour closest to c.
func nearestQuad(r, g, b float64) int {
	best, bestD := -1, math.MaxFloat64
	for i, q := range quadColors {
		d := math.Pow(r-float64(q.R), 2) + math.Pow(g-float64(q.G), 2) + math.Pow(b-float64(q.B), 2)
		if d < bestD {
			best, bestD = i, d
		}
	}
	return best
}
