package media

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"github.com/disintegration/imaging"
)

// TestQuality compares the fast path (YCbCr box shrink, Catmull-Rom to the
// intermediate, triangle to the variant) with imaging's Lanczos straight from
// the full decode: the shortcuts must not visibly change the picture.
func TestQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("12 MP")
	}
	data := bigPhotoJPEG(t)
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	base, w, h := prepare(full, 1)
	for _, sp := range specs[:3] {
		ow, oh := variantSize(w, h, sp)
		ours := resample(base, ow, oh, derivedFilter)
		ref := imaging.Resize(full, ow, oh, imaging.Lanczos)
		p := psnr(ours, ref)
		t.Logf("%s: PSNR %.1f dB against imaging Lanczos from the full image", sp.Name, p)
		if p < 40 {
			t.Errorf("%s: PSNR %.1f dB", sp.Name, p)
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
