package media

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"github.com/disintegration/imaging"
)

// TestQuality compares every variant as the pipeline renders it (a box
// pre-shrink of the decoded YCbCr to a pyramid level, then imaging's
// Catmull-Rom to the output size) with imaging's Lanczos resampling the same
// region straight from the full decode: the shortcuts must not visibly
// change the picture. The reference takes no shortcut of ours, so a
// pre-shrink that aliased or blurred, or a crop placed off by a pixel,
// would show here. (Nearest-neighbour or box from the same levels scores 39
// to 41 dB on the worst variant.)
func TestQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("12 MP")
	}
	data := bigPhotoJPEG(t)
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// Off-centre, so the crops are not all symmetric about the middle.
	focus := Point{X: 0.62, Y: 0.4}
	p := buildPyramid(full, 1)
	for _, sp := range specs {
		ow, oh := variantSize(p.w, p.h, sp)
		ours := p.render(sp, focus)
		if b := ours.Bounds(); b.Dx() != ow || b.Dy() != oh {
			t.Fatalf("%s: rendered %v, want %dx%d", sp.Name, b.Size(), ow, oh)
		}
		l, r := p.region(sp, focus)
		src := image.Rectangle{Min: r.Min.Mul(l.k), Max: r.Max.Mul(l.k)}
		ref := imaging.Resize(imaging.Crop(full, src), ow, oh, imaging.Lanczos)
		q := psnr(ours, ref)
		t.Logf("%s (%dx%d from the 1/%d level): PSNR %.1f dB against imaging Lanczos from the full image", sp.Name, ow, oh, l.k, q)
		if q < 42 {
			t.Errorf("%s: PSNR %.1f dB", sp.Name, q)
		}
	}
}

func psnr(a, b *image.NRGBA) float64 {
	var se float64
	var n int
	for y := 0; y < a.Rect.Dy(); y++ {
		ra, rb := a.Pix[y*a.Stride:], b.Pix[y*b.Stride:]
		for x := 0; x < a.Rect.Dx()*4; x++ {
			if x%4 == 3 {
				continue
			}
			d := float64(ra[x]) - float64(rb[x])
			se += d * d
			n++
		}
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}
