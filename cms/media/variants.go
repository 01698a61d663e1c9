package media

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/disintegration/imaging"
	"github.com/muesli/smartcrop"
)

// jpegQuality is a common web setting: artefacts are invisible at phone
// sizes and files are far smaller than at 90 and above.
const jpegQuality = 82

// filter is imaging's resampling filter for the step from a pyramid level
// to a variant, a factor between 1 and 2: Catmull-Rom is sharp with little
// ringing, and at these factors spans only four to eight source pixels.
// TestQuality measures the whole chain against imaging's Lanczos from the
// full decode.
var filter = imaging.CatmullRom

// renderVariants resizes, crops and encodes every spec from the pyramid of
// an upright w×h original. Variants are rendered and encoded concurrently,
// largest first, while the focal point is still being found; rendered, when
// not nil, is called with each as soon as it is encoded.
func renderVariants(ctx context.Context, p *pyramid, focus *Point, rendered func(Variant)) ([]Variant, Point, error) {
	out := make([]Variant, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	limit := make(chan struct{}, runtime.GOMAXPROCS(0))
	run := func(i int, f Point) {
		sp := specs[i]
		ow, oh := variantSize(p.w, p.h, sp)
		wg.Add(1)
		go func() {
			limit <- struct{}{}
			defer func() {
				if r := recover(); r != nil { // see parallelRows
					errs[i] = fmt.Errorf("media: rendering %s: panic: %v", sp.Name, r)
				}
				<-limit
				wg.Done()
			}()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			img := p.render(sp, f)
			data, err := encodeJPEG(img)
			out[i], errs[i] = Variant{Name: sp.Name, Width: ow, Height: oh, Data: data, ContentType: "image/jpeg"}, err
			if err == nil && rendered != nil {
				rendered(out[i])
			}
		}()
	}
	order := largestFirst()
	for _, i := range order {
		if !specs[i].Crop {
			run(i, Point{})
		}
	}
	var f Point
	if focus != nil {
		f = *focus
	} else {
		coarsest := p.levels[len(p.levels)-1]
		f = detectFocus(coarsest.upright(p.orientation))
	}
	for _, i := range order {
		if specs[i].Crop {
			run(i, f)
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, f, err
		}
	}
	return out, f, nil
}

// render makes sp's pixels: the whole picture, or its crop around f.
func (p *pyramid) render(sp Spec, f Point) *image.NRGBA {
	ow, oh := variantSize(p.w, p.h, sp)
	l, r := p.region(sp, f)
	if sp.Crop {
		return resize(l.upright(p.orientation).SubImage(r).(*image.NRGBA), ow, oh)
	}
	// The whole picture: resize in stored orientation and turn the
	// (smaller) result upright.
	if p.orientation >= 5 {
		ow, oh = oh, ow
	}
	return orient(resize(l.stored, ow, oh), p.orientation)
}

// region is the level sp is made from and the part of it, upright, that
// sp shows: the whole level or sp's crop around f. The same rectangle
// scaled by the level's shrink factor is the region of the original.
func (p *pyramid) region(sp Spec, f Point) (*level, image.Rectangle) {
	l := p.level(shrinkFor(p.w, p.h, sp))
	lw, lh := levelSize(p.w, p.h, l.k)
	if !sp.Crop {
		return l, image.Rect(0, 0, lw, lh)
	}
	return l, cropRect(lw, lh, sp, f)
}

// resize scales src to w×h with imaging, or returns it as it is when it is
// that size already.
func resize(src *image.NRGBA, w, h int) *image.NRGBA {
	if b := src.Bounds(); b.Dx() == w && b.Dy() == h {
		return src
	}
	return imaging.Resize(src, w, h, filter)
}

// largestFirst orders spec indexes by output area, so the longest encode
// starts first and the small ones fill in around it.
func largestFirst() []int {
	idx := make([]int, len(specs))
	for i := range idx {
		idx[i] = i
	}
	area := func(i int) int {
		if specs[i].Crop {
			return specs[i].Width * specs[i].Height
		}
		return specs[i].Width * specs[i].Width * 3 / 4
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(area(j), area(i)) })
	return idx
}

// encodeJPEG encodes an opaque image. Viewing the NRGBA pixels as RGBA
// (identical when alpha is 255) puts image/jpeg on its fast path instead of
// a per-pixel interface call, which halves encode time.
func encodeJPEG(img *image.NRGBA) ([]byte, error) {
	rgba := &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	var buf bytes.Buffer
	buf.Grow(img.Rect.Dx()*img.Rect.Dy()/4 + 1024)
	if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// focusSize is the side of the copy smartcrop analyses. Saliency needs
// only coarse detail, and the analysis cost grows with the pixel count.
const focusSize = 256

// detectFocus finds a focal point with smartcrop: the centre of the best
// square crop gives x for landscape images (a square spans their height),
// the best 2.35:1 crop gives y (it spans their width); portrait images take
// y from the square. It falls back to the centre if analysis fails.
func detectFocus(base *image.NRGBA) (p Point) {
	p = Point{X: 0.5, Y: 0.5}
	b := base.Bounds()
	if b.Dx() < 16 || b.Dy() < 16 {
		return p
	}
	defer func() {
		if recover() != nil {
			p = Point{X: 0.5, Y: 0.5}
		}
	}()
	small := base
	if k := int(math.Round(float64(max(b.Dx(), b.Dy())) / focusSize)); k >= 2 {
		small = boxShrink(base, k)
	}
	sw, sh := float64(small.Rect.Dx()), float64(small.Rect.Dy())
	a := smartcrop.NewAnalyzer(resizer{})
	sq, err := a.FindBestCrop(small, 1, 1)
	if err != nil || sq.Empty() {
		return p
	}
	if sw > sh {
		p.X = float64(sq.Min.X+sq.Max.X) / 2 / sw
		wide, err := a.FindBestCrop(small, 235, 100)
		if err == nil && !wide.Empty() {
			p.Y = float64(wide.Min.Y+wide.Max.Y) / 2 / sh
		}
	} else {
		p.Y = float64(sq.Min.Y+sq.Max.Y) / 2 / sh
	}
	p.X, p.Y = min(max(p.X, 0), 1), min(max(p.Y, 0), 1)
	return p
}

// resizer lets smartcrop use imaging instead of pulling in nfnt/resize.
type resizer struct{}

func (resizer) Resize(img image.Image, w, h uint) image.Image {
	return imaging.Resize(img, int(w), int(h), imaging.Linear)
}
