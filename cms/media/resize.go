package media

import (
	"image"
	"image/color"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/disintegration/imaging"
)

// A pyramid is the decoded picture box-shrunk by powers of two, the levels
// the variants are resampled from. This is shrink-on-load, which
// vipsthumbnail does too (libjpeg decodes the JPEG for it at 1/2, 1/4 or 1/8
// scale before the final resize): image/jpeg cannot decode at reduced
// scale, so blocks are averaged from the decoded YCbCr planes instead, which
// costs one read of the decode. Each variant is then resampled by imaging
// from the coarsest level still at least its own size, so imaging's filter
// only spans the last factor, between 1 and 2; for a 12 MP photo the levels
// are 1/2 (for w1600), 1/4 and 1/8, a quarter to a sixty-fourth of the
// original's pixels. That leaves the filter less to do than libvips, which
// keeps more of the shrink for its own filter; TestQuality checks that the
// variants still match a Lanczos resize of the full decode.
type pyramid struct {
	w, h        int // the upright original
	orientation int // EXIF, 1..8; the levels are in stored orientation
	levels      []*level
}

// level is the original shrunk by k, in stored orientation. Crops need it
// upright; that copy is made once, when first asked for.
type level struct {
	k      int
	stored *image.NRGBA
	once   sync.Once
	up     *image.NRGBA
}

// upright returns the level turned upright.
func (l *level) upright(orientation int) *image.NRGBA {
	l.once.Do(func() { l.up = orient(l.stored, orientation) })
	return l.up
}

// levelSize is the upright size of the level shrunk by k from an upright
// w×h original.
func levelSize(w, h, k int) (int, int) { return w / k, h / k }

// shrinkFor is the shrink factor of the level sp is made from, for an
// upright w×h original: the largest power of two that leaves the region sp
// takes (the whole picture, or its crop) at least as large as the output.
func shrinkFor(w, h int, sp Spec) int {
	ow, oh := variantSize(w, h, sp)
	k := 1
	for {
		lw, lh := levelSize(w, h, 2*k)
		rw, rh := lw, lh
		if sp.Crop {
			r := cropRect(lw, lh, sp, Point{X: 0.5, Y: 0.5})
			rw, rh = r.Dx(), r.Dy()
		}
		if rw < ow || rh < oh {
			return k
		}
		k *= 2
	}
}

// shrinks lists the shrink factors the specs need for an upright w×h
// original, ascending, without repeats.
func shrinks(w, h int) []int {
	ks := make([]int, 0, len(specs))
	for _, sp := range specs {
		ks = append(ks, shrinkFor(w, h, sp))
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// buildPyramid makes every level the specs need from a decoded image, the
// finest from the decode, each coarser one from the level before it.
func buildPyramid(img image.Image, orientation int) *pyramid {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if orientation >= 5 {
		w, h = h, w
	}
	p := &pyramid{w: w, h: h, orientation: orientation}
	ks := shrinks(w, h)
	var n *image.NRGBA
	if y, ok := img.(*image.YCbCr); ok && ks[0] >= 2 {
		n = shrinkYCbCr(y, ks[0])
	} else {
		n = toNRGBA(img)
		flatten(n)
		if ks[0] >= 2 {
			n = boxShrink(n, ks[0])
		}
	}
	prev := ks[0]
	p.levels = append(p.levels, &level{k: prev, stored: n})
	for _, k := range ks[1:] {
		n = boxShrink(n, k/prev)
		prev = k
		p.levels = append(p.levels, &level{k: k, stored: n})
	}
	return p
}

// level returns the level with shrink factor k.
func (p *pyramid) level(k int) *level {
	for _, l := range p.levels {
		if l.k == k {
			return l
		}
	}
	panic("media: no pyramid level for shrink factor " + strconv.Itoa(k))
}

// pyramidBytes is the memory of the levels an upright w×h original needs,
// their upright copies included when the picture is rotated or flipped.
func pyramidBytes(w, h, orientation int) int64 {
	var n int64
	for _, k := range shrinks(w, h) {
		lw, lh := levelSize(w, h, k)
		n += 4 * int64(lw) * int64(lh)
	}
	if orientation != 1 {
		n *= 2
	}
	return n
}

// cropSize is the largest region of a w×h image with sp's aspect ratio.
func cropSize(w, h int, sp Spec) (float64, float64) {
	a := float64(sp.Width) / float64(sp.Height)
	if float64(w)/float64(h) > a {
		return float64(h) * a, float64(h)
	}
	return float64(w), float64(w) / a
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

// parallelRows runs fn over [0,h) in bands: one goroutine per CPU, each
// taking the next band when done with one. With eight bands per CPU all
// CPUs stay busy to the end on a shared machine, where two even halves would
// wait for whichever CPU the scheduler gave less time. A panic in a band is
// re-raised in the caller, where Process recovers it; in the band's own
// goroutine it would kill the server.
func parallelRows(h int, fn func(y0, y1 int)) {
	procs := runtime.GOMAXPROCS(0)
	bands := min(8*procs, h)
	if procs <= 1 || bands <= 1 {
		fn(0, h)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	panics := make(chan any, procs)
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panics <- r
				}
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= bands {
					return
				}
				fn(h*i/bands, h*(i+1)/bands)
			}
		}()
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

// boxShrink averages k×k blocks of an NRGBA image: the pyramid's levels
// after the first, the first for non-JPEG sources, and the focus-detection copy.
func boxShrink(src *image.NRGBA, k int) *image.NRGBA {
	if k == 2 {
		return halve(src)
	}
	sb := src.Bounds()
	w, h := sb.Dx()/k, sb.Dy()/k
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	n := uint32(k * k)
	parallelRows(h, func(y0, y1 int) {
		acc := make([]uint32, 4*w)
		for y := y0; y < y1; y++ {
			clear(acc)
			for j := 0; j < k; j++ {
				o := src.PixOffset(sb.Min.X, sb.Min.Y+y*k+j)
				srow := src.Pix[o : o+4*w*k]
				for x := 0; x < w; x++ {
					a := acc[4*x : 4*x+4 : 4*x+4]
					p := srow[4*x*k : 4*(x+1)*k]
					for i := 0; i+3 < len(p); i += 4 {
						a[0] += uint32(p[i])
						a[1] += uint32(p[i+1])
						a[2] += uint32(p[i+2])
						a[3] += uint32(p[i+3])
					}
				}
			}
			drow := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			for i, v := range acc {
				drow[i] = uint8((v + n/2) / n)
			}
		}
	})
	return dst
}

// halve is boxShrink by 2, the step from one pyramid level to the next,
// unrolled: the common case, and two and a half times faster so (same
// pixels).
func halve(src *image.NRGBA) *image.NRGBA {
	sb := src.Bounds()
	w, h := sb.Dx()/2, sb.Dy()/2
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			o := src.PixOffset(sb.Min.X, sb.Min.Y+2*y)
			r0 := src.Pix[o : o+8*w]
			r1 := src.Pix[o+src.Stride : o+src.Stride+8*w]
			d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			for x := 0; x < w; x++ {
				a := r0[8*x : 8*x+8 : 8*x+8]
				b := r1[8*x : 8*x+8 : 8*x+8]
				p := d[4*x : 4*x+4 : 4*x+4]
				p[0] = uint8((uint32(a[0]) + uint32(a[4]) + uint32(b[0]) + uint32(b[4]) + 2) >> 2)
				p[1] = uint8((uint32(a[1]) + uint32(a[5]) + uint32(b[1]) + uint32(b[5]) + 2) >> 2)
				p[2] = uint8((uint32(a[2]) + uint32(a[6]) + uint32(b[2]) + uint32(b[6]) + 2) >> 2)
				p[3] = uint8((uint32(a[3]) + uint32(a[7]) + uint32(b[3]) + uint32(b[7]) + 2) >> 2)
			}
		}
	})
	return dst
}
