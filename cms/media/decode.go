package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"
)

// header is what we learn about an upload without decoding its pixels.
type header struct {
	format        string // jpeg, png, gif, webp
	width, height int    // as stored, before orientation
	orientation   int    // EXIF orientation 1..8
	model         color.Model
	// decodeBytes estimates the memory the decoder itself allocates.
	decodeBytes int64
}

// maxScans caps progressive JPEG scans: each scan is a pass over every block,
// so a file with thousands of tiny scans is a CPU bomb that is small on disk.
// Real encoders use about ten.
const maxScans = 100

// sniff names the format from magic bytes. It deliberately ignores file
// names, Content-Type and the image package's global registry (which any
// imported package can extend), so only the four formats below get decoded.
func sniff(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// inspect reads the header of data (already sniffed as format). It never
// allocates in proportion to the claimed dimensions.
func inspect(format string, data []byte) (h header, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("media: header decoder panic: %v", r)
		}
	}()
	var cfg image.Config
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(r)
	case "png":
		cfg, err = png.DecodeConfig(r)
	case "gif":
		cfg, err = gif.DecodeConfig(r)
	case "webp":
		cfg, err = webp.DecodeConfig(r)
	default:
		return h, fmt.Errorf("media: unknown format %q", format)
	}
	if err != nil {
		return h, err
	}
	h = header{format: format, width: cfg.Width, height: cfg.Height, orientation: 1, model: cfg.ColorModel}
	px := int64(h.width) * int64(h.height)
	h.decodeBytes = px * bytesPerPixel(cfg.ColorModel)
	switch format {
	case "jpeg":
		var j jpegInfo
		if j, err = scanJPEG(data); err != nil {
			return h, err
		}
		h.orientation = j.orientation
		if j.planeBytes > 0 {
			h.decodeBytes = j.planeBytes
			if j.progressive {
				h.decodeBytes += 4 * j.planeBytes // image/jpeg keeps an int32 per coefficient
			}
		}
	case "png":
		h.orientation = exifOrientation(pngExif(data))
	case "webp":
		// VP8X flags: x/image/webp cannot decode animation, and a frame of
		// one would be a misleading still.
		if len(data) >= 21 && string(data[12:16]) == "VP8X" && data[20]&0x02 != 0 {
			return h, unsupportedError("animated WebP")
		}
		h.orientation = exifOrientation(webpExif(data))
	}
	return h, nil
}

// unsupportedError is a valid image using a feature we do not decode.
type unsupportedError string

func (e unsupportedError) Error() string { return "media: unsupported: " + string(e) }

// bytesPerPixel is the size of the decoder's output for model.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel:
		return 3 // worst case, 4:4:4
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// jpegInfo is what scanJPEG finds in the marker segments.
type jpegInfo struct {
	orientation int
	progressive bool
	scans       int
	planeBytes  int64 // bytes of all decoded component planes
}

// scanJPEG walks the marker segments of a JPEG: it finds the EXIF
// orientation, the sampling factors (for the memory estimate) and counts
// scans so CPU bombs are refused before decoding. Anything malformed is left
// for the decoder to reject.
func scanJPEG(data []byte) (info jpegInfo, err error) {
	info.orientation = 1
	seenExif := false
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			// image/jpeg skips stray bytes between segments, so must we,
			// or scans hidden behind one would go uncounted.
			j := bytes.IndexByte(data[i:], 0xFF)
			if j < 0 {
				return info, nil
			}
			i += j
			continue
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x00, marker == 0x01, marker >= 0xD0 && marker <= 0xD8: // stray, TEM, RSTn, SOI: no length
			i += 2
			continue
		case marker == 0xD9: // EOI
			return info, nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return info, nil
		}
		seg := data[i+4 : i+2+n]
		i += 2 + n
		switch {
		case marker == 0xE1 && !seenExif && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
			seenExif = true
			info.orientation = exifOrientation(seg[6:])
		case marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
			info.progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE
			info.planeBytes = jpegPlaneBytes(seg)
		case marker == 0xDA:
			info.scans++
			if info.scans > maxScans {
				return info, fmt.Errorf("media: JPEG has more than %d scans", maxScans)
			}
			// Skip entropy-coded data up to the next marker that is not a
			// stuffed zero or a restart marker.
			for i+1 < len(data) {
				j := bytes.IndexByte(data[i:], 0xFF)
				if j < 0 || i+j+1 >= len(data) {
					return info, nil
				}
				i += j
				if m := data[i+1]; m != 0x00 && !(m >= 0xD0 && m <= 0xD7) && m != 0xFF {
					break
				}
				i++
			}
		}
	}
	return info, nil
}

// jpegPlaneBytes sums the sizes of the component planes an SOF declares,
// padded to whole MCUs as the decoder allocates them.
func jpegPlaneBytes(sof []byte) int64 {
	if len(sof) < 6 {
		return 0
	}
	h := int64(binary.BigEndian.Uint16(sof[1:]))
	w := int64(binary.BigEndian.Uint16(sof[3:]))
	nc := int(sof[5])
	if len(sof) < 6+3*nc || nc == 0 {
		return 0
	}
	hmax, vmax := int64(1), int64(1)
	for c := 0; c < nc; c++ {
		s := sof[6+3*c+1]
		hmax = max(hmax, int64(s>>4))
		vmax = max(vmax, int64(s&15))
	}
	mcuW, mcuH := 8*hmax, 8*vmax
	mw, mh := (w+mcuW-1)/mcuW, (h+mcuH-1)/mcuH
	var total int64
	for c := 0; c < nc; c++ {
		s := sof[6+3*c+1]
		total += mw * 8 * int64(s>>4) * mh * 8 * int64(s&15)
	}
	return total
}

// pngExif returns the payload of a PNG eXIf chunk, if any, before the image data.
func pngExif(data []byte) []byte {
	for i := 8; i+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n < 0 || n > len(data)-i-12 || typ == "IDAT" {
			return nil
		}
		if typ == "eXIf" {
			return data[i+8 : i+8+n]
		}
		i += 12 + n
	}
	return nil
}

// webpExif returns the payload of a WebP EXIF chunk, if any.
func webpExif(data []byte) []byte {
	for i := 12; i+8 <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		if n < 0 || n > len(data)-i-8 {
			return nil
		}
		if string(data[i:i+4]) == "EXIF" {
			return bytes.TrimPrefix(data[i+8:i+8+n], []byte("Exif\x00\x00"))
		}
		i += 8 + n + n&1
	}
	return nil
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF-structured EXIF blob,
// returning 1 (upright) whenever it is absent or malformed.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(tiff[2:]) != 42 {
		return 1
	}
	off := int64(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > int64(len(tiff)) {
		return 1
	}
	n := int64(bo.Uint16(tiff[off:]))
	for e := off + 2; e+12 <= int64(len(tiff)) && n > 0; e, n = e+12, n-1 {
		if bo.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		if bo.Uint16(tiff[e+2:]) != 3 { // SHORT
			return 1
		}
		if v := int(bo.Uint16(tiff[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// decode decodes the pixels. A decoder panic becomes an error: the fuzzer
// and hostile uploads must never take the process down.
func decode(format string, data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("media: %s decoder panic: %v", format, r)
		}
	}()
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		return jpeg.Decode(r)
	case "png":
		return png.Decode(r)
	case "gif":
		return gif.Decode(r) // first frame only
	case "webp":
		return webp.Decode(r)
	}
	return nil, fmt.Errorf("media: unknown format %q", format)
}
