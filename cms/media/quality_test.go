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
// would show here. PSNR alone forgives blur, so the variant's detail (mean
// absolute Laplacian) must also be close to the reference's. (From the same
// levels, nearest-neighbour or box scores 39 to 41 dB on the worst variant;
// imaging's Linear passes on PSNR, 42.7 dB, but keeps only 66% of the
// detail of w1600; Catmull-Rom keeps 89 to 96%.)
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
		q, d := psnr(ours, ref), detail(ours)/detail(ref)
		t.Logf("%s (%dx%d from the 1/%d level): PSNR %.1f dB against imaging Lanczos from the full image, %.0f%% of its detail",
			sp.Name, ow, oh, l.k, q, 100*d)
		if q < 42 {
			t.Errorf("%s: PSNR %.1f dB", sp.Name, q)
		}
		if d < 0.85 || d > 1.15 {
			t.Errorf("%s: %.0f%% of the reference's detail", sp.Name, 100*d)
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

// detail is the mean absolute Laplacian of a's colour channels: high for
// sharp pictures, low for blurred ones.
func detail(a *image.NRGBA) float64 {
	var sum float64
	var n int
	at := func(x, y, c int) float64 { return float64(a.Pix[y*a.Stride+4*x+c]) }
	for y := 1; y < a.Rect.Dy()-1; y++ {
		for x := 1; x < a.Rect.Dx()-1; x++ {
			for c := 0; c < 3; c++ {
				sum += math.Abs(4*at(x, y, c) - at(x-1, y, c) - at(x+1, y, c) - at(x, y-1, c) - at(x, y+1, c))
				n++
			}
		}
	}
	return sum / float64(n)
}
