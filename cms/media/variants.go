package media

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"runtime"
	"sync"

	"github.com/disintegration/imaging"
	"github.com/muesli/smartcrop"
)

// jpegQuality is a common web setting: artefacts are invisible at phone
// sizes and files are far smaller than at 90 and above.
const jpegQuality = 82

// derivedFilter makes variants from the intermediate. That image is already
// filtered and at most a few times larger than any variant, so a short
// filter is enough (TestQuality measures the difference).
var derivedFilter = triangle

// renderVariants resizes, crops and encodes every spec from base, the upright
// intermediate of a w×h original. Encoding dominates, so variants are encoded
// concurrently, largest first, while the focal point is still being found.
func renderVariants(ctx context.Context, base *image.NRGBA, w, h int, focus *Point) ([]Variant, Point, error) {
	out := make([]Variant, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	limit := make(chan struct{}, runtime.GOMAXPROCS(0))
	run := func(i int, rect image.Rectangle) {
		sp := specs[i]
		ow, oh := variantSize(w, h, sp)
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
			img := resample(base.SubImage(rect).(*image.NRGBA), ow, oh, derivedFilter)
			data, err := encodeJPEG(img)
			out[i], errs[i] = Variant{Name: sp.Name, Width: ow, Height: oh, Data: data, ContentType: "image/jpeg"}, err
		}()
	}
	bounds := base.Bounds()
	order := largestFirst()
	for _, i := range order {
		if !specs[i].Crop {
			run(i, bounds)
		}
	}
	var f Point
	if focus != nil {
		f = *focus
	} else {
		f = detectFocus(base)
	}
	for _, i := range order {
		if specs[i].Crop {
			run(i, cropRect(bounds.Dx(), bounds.Dy(), specs[i], f))
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
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && area(idx[j]) > area(idx[j-1]); j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
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
	if k := max(b.Dx(), b.Dy()) / focusSize; k >= 2 {
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
