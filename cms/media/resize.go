package media

import (
	"image"
	"image/color"
	"math"
	"runtime"
	"sync"

	"github.com/disintegration/imaging"
)

// intermediateSize is the smallest size, for an upright w×h image, from
// which every variant is a downscale: resampling the full-resolution decode
// once to this size with a good filter, then deriving the variants from it,
// is most of the speed-up over resizing the original for each variant.
func intermediateSize(w, h int) (int, int) {
	s := 0.0
	for _, sp := range specs {
		if !sp.Crop {
			s = math.Max(s, float64(sp.Width)/float64(w))
			continue
		}
		cw, _ := cropSize(w, h, sp)
		s = math.Max(s, float64(sp.Width)/cw)
	}
	if s >= 1 {
		return w, h
	}
	return max(1, int(math.Ceil(float64(w)*s))), max(1, int(math.Ceil(float64(h)*s)))
}

// cropSize is the largest region of a w×h image with sp's aspect ratio.
func cropSize(w, h int, sp Spec) (float64, float64) {
	a := float64(sp.Width) / float64(sp.Height)
	if float64(w)/float64(h) > a {
		return float64(h) * a, float64(h)
	}
	return float64(w), float64(w) / a
}

// prepare turns a decoded image into the upright, opaque intermediate and
// returns it with the upright size of the original.
//
// Orientation is applied to the intermediate rather than the decode: the
// transforms commute with resampling and cost a sixth as much on a 2 MP
// intermediate as on a 12 MP decode.
func prepare(img image.Image, orientation int) (base *image.NRGBA, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	if orientation >= 5 {
		w, h = h, w
	}
	iw, ih := intermediateSize(w, h)
	rw, rh := iw, ih // in stored orientation
	if orientation >= 5 {
		rw, rh = ih, iw
	}
	// A JPEG decode is YCbCr. Averaging k×k blocks straight from its planes
	// (as libjpeg's scaled decoding does) turns 12 MP into 3 MP for the cost
	// of reading it once, leaving the windowed filter a ratio below 2.
	k := min(b.Dx()/rw, b.Dy()/rh)
	var n *image.NRGBA
	if y, ok := img.(*image.YCbCr); ok && k >= 2 {
		n = shrinkYCbCr(y, k)
	} else {
		n = toNRGBA(img)
		flatten(n)
		if k >= 2 {
			n = boxShrink(n, k)
		}
	}
	return orient(resample(n, rw, rh, catmullRom), orientation), w, h
}

// toNRGBA returns img as an NRGBA at the origin, converting only if needed.
// The result may share img's pixels; the caller owns img.
func toNRGBA(img image.Image) *image.NRGBA {
	switch m := img.(type) {
	case *image.NRGBA:
		if m.Rect.Min == (image.Point{}) {
			return m
		}
	case *image.RGBA:
		if m.Rect.Min == (image.Point{}) && m.Opaque() {
			return &image.NRGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
	}
	return imaging.Clone(img)
}

// orient applies an EXIF orientation, 1..8.
func orient(img *image.NRGBA, o int) *image.NRGBA {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img) // 90° clockwise
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img) // 90° counter-clockwise
	}
	return img
}

// flatten composites img onto white in place. JPEG has no alpha, and the
// encoder would otherwise show transparent areas of a logo as black.
func flatten(img *image.NRGBA) {
	for y := 0; y < img.Rect.Dy(); y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*img.Rect.Dx()]
		for i := 0; i < len(row); i += 4 {
			a := uint32(row[i+3])
			if a == 255 {
				continue
			}
			for c := 0; c < 3; c++ {
				row[i+c] = uint8((uint32(row[i+c])*a + 255*(255-a) + 127) / 255)
			}
			row[i+3] = 255
		}
	}
}

// shrinkYCbCr averages k×k blocks of src into an opaque NRGBA, converting
// colour on the way. When the chroma grid divides the block (4:2:0 with even
// k, the usual phone photo) each chroma sample is read once.
func shrinkYCbCr(src *image.YCbCr, k int) *image.NRGBA {
	r := src.Rect
	w, h := r.Dx()/k, r.Dy()/k
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	hs, vs := 1, 1
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	aligned := k%hs == 0 && k%vs == 0 && r.Min.X%hs == 0 && r.Min.Y%vs == 0
	cw, ch := k/hs, k/vs
	n, cn := k*k, cw*ch
	if aligned && k == 2 && hs == 2 && vs == 2 {
		shrink420(src, dst)
		return dst
	}
	parallelRows(h, func(y0, y1 int) {
		for oy := y0; oy < y1; oy++ {
			sy := r.Min.Y + oy*k
			d := dst.Pix[oy*dst.Stride : oy*dst.Stride+4*w]
			for ox := 0; ox < w; ox++ {
				sx := r.Min.X + ox*k
				var ys, cbs, crs int
				yi := src.YOffset(sx, sy)
				for j := 0; j < k; j++ {
					for _, v := range src.Y[yi : yi+k] {
						ys += int(v)
					}
					yi += src.YStride
				}
				m := n
				if aligned {
					ci := src.COffset(sx, sy)
					for j := 0; j < ch; j++ {
						cb, cr := src.Cb[ci:ci+cw], src.Cr[ci:ci+cw]
						for i := range cb {
							cbs += int(cb[i])
							crs += int(cr[i])
						}
						ci += src.CStride
					}
					m = cn
				} else {
					for j := 0; j < k; j++ {
						for i := 0; i < k; i++ {
							ci := src.COffset(sx+i, sy+j)
							cbs += int(src.Cb[ci])
							crs += int(src.Cr[ci])
						}
					}
				}
				rr, gg, bb := color.YCbCrToRGB(uint8((ys+n/2)/n), uint8((cbs+m/2)/m), uint8((crs+m/2)/m))
				p := d[4*ox : 4*ox+4 : 4*ox+4]
				p[0], p[1], p[2], p[3] = rr, gg, bb, 255
			}
		}
	})
	return dst
}

// shrink420 is shrinkYCbCr for the common case, 4:2:0 halved: each output
// pixel is four luma samples and exactly one chroma sample.
func shrink420(src *image.YCbCr, dst *image.NRGBA) {
	r := src.Rect
	w := dst.Rect.Dx()
	parallelRows(dst.Rect.Dy(), func(y0, y1 int) {
		for oy := y0; oy < y1; oy++ {
			sy := r.Min.Y + 2*oy
			y0 := src.Y[src.YOffset(r.Min.X, sy):]
			y1 := src.Y[src.YOffset(r.Min.X, sy+1):]
			ci := src.COffset(r.Min.X, sy)
			cb, cr := src.Cb[ci:ci+w], src.Cr[ci:ci+w]
			y0, y1 = y0[:2*w], y1[:2*w]
			d := dst.Pix[oy*dst.Stride : oy*dst.Stride+4*w]
			for x := range cb {
				yv := (int(y0[2*x]) + int(y0[2*x+1]) + int(y1[2*x]) + int(y1[2*x+1]) + 2) >> 2
				rr, gg, bb := color.YCbCrToRGB(uint8(yv), cb[x], cr[x])
				p := d[4*x : 4*x+4 : 4*x+4]
				p[0], p[1], p[2], p[3] = rr, gg, bb, 255
			}
		}
	})
}

// parallelRows splits [0,h) into one band per CPU. A panic in a band is
// re-raised in the caller, where Process recovers it; in the band's own
// goroutine it would kill the server.
func parallelRows(h int, fn func(y0, y1 int)) {
	n := min(runtime.GOMAXPROCS(0), h)
	if n <= 1 {
		fn(0, h)
		return
	}
	var wg sync.WaitGroup
	panics := make(chan any, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(y0, y1 int) {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panics <- r
				}
			}()
			fn(y0, y1)
		}(h*i/n, h*(i+1)/n)
	}
	wg.Wait()
	select {
	case r := <-panics:
		panic(r)
	default:
	}
}

// cropRect places a crop of sp's aspect ratio on base, centred on f as far as
// the image edges allow.
func cropRect(bw, bh int, sp Spec, f Point) image.Rectangle {
	cw, ch := cropSize(bw, bh, sp)
	w := min(bw, max(1, int(math.Round(cw))))
	h := min(bh, max(1, int(math.Round(ch))))
	x := int(math.Round(f.X*float64(bw) - float64(w)/2))
	y := int(math.Round(f.Y*float64(bh) - float64(h)/2))
	x = min(max(x, 0), bw-w)
	y = min(max(y, 0), bh-h)
	return image.Rect(x, y, x+w, y+h)
}

// variantSize is the output size of sp for an upright w×h original: the
// spec's size, shrunk (aspect kept) where the original has fewer pixels.
func variantSize(w, h int, sp Spec) (int, int) {
	if !sp.Crop {
		ow := min(sp.Width, w)
		return ow, max(1, int(math.Round(float64(h)*float64(ow)/float64(w))))
	}
	cw, _ := cropSize(w, h, sp)
	ow := min(sp.Width, max(1, int(math.Floor(cw))))
	return ow, max(1, int(math.Round(float64(ow)*float64(sp.Height)/float64(sp.Width))))
}
