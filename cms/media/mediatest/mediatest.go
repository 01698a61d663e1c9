// Package mediatest makes photo-like test images for the media pipeline's
// tests and for benchmarks in other packages that upload a real-sized photo.
package mediatest

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand"
	"path/filepath"
	"runtime"
	"sync"
)

// Photo returns a w×h image that compresses like a photograph: smooth
// gradients and shapes plus sensor-like noise, so neither the decoder nor the
// encoder gets an easy flat image. The same arguments give the same pixels.
func Photo(w, h int, seed int64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewSource(seed))
	noise := make([]float64, 4096)
	for i := range noise {
		noise[i] = r.NormFloat64() * 9
	}
	cx, cy, rad := 0.62*float64(w), 0.4*float64(h), 0.18*float64(min(w, h))
	rows := func(y0, y1 int) {
		n := (y0 * 7919) % len(noise)
		for y := y0; y < y1; y++ {
			fy := float64(y) / float64(h)
			row := img.Pix[y*img.Stride:]
			for x := 0; x < w; x++ {
				fx := float64(x) / float64(w)
				base := 0.5 + 0.3*math.Sin(fx*9+fy*4) + 0.15*math.Cos(fy*17-fx*3)
				R := 255 * (0.9*base + 0.1*fx)
				G := 255 * (0.7*base + 0.3*fy)
				B := 255*(1-base)*0.8 + 20*math.Sin(float64(x)/7)
				if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < rad*rad {
					R, G, B = 200+R/8, 145+G/8, 110+B/8 // a skin-toned disc: something to look at
				}
				n = (n + 13) % len(noise)
				e := noise[n]
				p := row[4*x : 4*x+4]
				p[0], p[1], p[2], p[3] = clamp(R+e), clamp(G+e), clamp(B+e), 255
			}
		}
	}
	// Bands of rows in parallel; each band's noise offset depends only on
	// its first row, so the split does not change the pixels.
	bands := min(runtime.GOMAXPROCS(0), h)
	if bands <= 1 {
		rows(0, h)
		return img
	}
	var wg sync.WaitGroup
	for i := range bands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows(h*i/bands, h*(i+1)/bands)
		}()
	}
	wg.Wait()
	return img
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, v))) }

// PhotoJPEG is Photo encoded as a baseline JPEG at quality q. At 4000×3000
// and q 90 it is a 12 MP phone-sized upload of about 4.5 MB.
func PhotoJPEG(w, h int, seed int64, q int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Photo(w, h, seed), &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// VipsArgs are the vipsthumbnail arguments that make, from the JPEG src, the
// same six outputs as the media pipeline (three widths, the two WeChat covers
// and the thumbnail) in dir: one process per output, as a shell script
// would; crops use libvips' own saliency ("attention"), as ours use
// smartcrop. The benchmarks that measure against libvips run them.
func VipsArgs(src, dir string) [][]string {
	outputs := []struct{ name, size, crop string }{
		{"w480", "480x", ""},
		{"w960", "960x", ""},
		{"w1600", "1600x", ""},
		{"cover235", "900x383", "attention"},
		{"cover11", "600x600", "attention"},
		{"thumb", "300x300", "attention"},
	}
	all := make([][]string, len(outputs))
	for i, o := range outputs {
		all[i] = []string{src, "--size", o.size, "-o", filepath.Join(dir, o.name+".jpg[Q=82,strip]")}
		if o.crop != "" {
			all[i] = append(all[i], "--smartcrop", o.crop)
		}
	}
	return all
}
