package media

import (
	"image"
	"math"
)

// This file is a small fixed-point resampler for opaque NRGBA images.
// imaging.Resize converts every tap to float64 and weights by alpha, and its
// vertical pass walks columns; profiled in this pipeline it used more CPU
// than the JPEG decode. Images here are always opaque (flatten runs first),
// so 14-bit integer weights over whole rows do the same filtering at a
// fraction of the cost, the way libvips and Pillow do it. TestQuality checks
// the result against imaging.

// filter is a separable resampling kernel.
type filter struct {
	support float64
	kernel  func(float64) float64
}

var (
	// catmullRom is the cubic with B=0, C=0.5: sharp, little ringing.
	catmullRom = filter{2, func(x float64) float64 {
		x = math.Abs(x)
		switch {
		case x < 1:
			return 1.5*x*x*x - 2.5*x*x + 1
		case x < 2:
			return -0.5*x*x*x + 2.5*x*x - 4*x + 2
		}
		return 0
	}}
	// triangle (bilinear when scaled) is the cheap filter for deriving
	// small variants from an already filtered intermediate.
	triangle = filter{1, func(x float64) float64 {
		x = math.Abs(x)
		if x < 1 {
			return 1 - x
		}
		return 0
	}}
)

const weightBits = 14

// axis holds the fixed-point weights mapping n source samples to the
// destination along one axis: output i is the sum over t < taps of
// w[i*taps+t] * src[start[i]+t].
type axis struct {
	taps  int
	start []int
	w     []int32
}

func newAxis(dst, src int, f filter) axis {
	ratio := float64(src) / float64(dst)
	scale := math.Max(ratio, 1) // widen the kernel when shrinking, to antialias
	support := f.support * scale
	// Sample j (centred at j+0.5) contributes when strictly inside the
	// support around c: at most ceil(2*support) samples.
	taps := max(1, min(int(math.Ceil(2*support)), src))
	a := axis{taps: taps, start: make([]int, dst), w: make([]int32, dst*taps)}
	tmp := make([]float64, taps)
	for i := 0; i < dst; i++ {
		c := (float64(i) + 0.5) * ratio
		lo := max(int(math.Floor(c-support-0.5))+1, 0)
		hi := min(int(math.Ceil(c+support-0.5)), src, lo+taps)
		start := max(min(lo, src-taps), 0)
		var sum float64
		clear(tmp)
		for j := lo; j < hi; j++ {
			v := f.kernel((float64(j) + 0.5 - c) / scale)
			tmp[j-start] = v
			sum += v
		}
		if sum == 0 { // cannot happen for these kernels; stay safe
			tmp[min(max(int(c)-start, 0), taps-1)], sum = 1, 1
		}
		// Round to fixed point and put the rounding error on the largest
		// tap, so flat areas (and the alpha channel) stay exact.
		ws := a.w[i*taps : (i+1)*taps]
		var total int32
		big := 0
		for t, v := range tmp {
			ws[t] = int32(math.Round(v / sum * (1 << weightBits)))
			total += ws[t]
			if ws[t] > ws[big] {
				big = t
			}
		}
		ws[big] += 1<<weightBits - total
		a.start[i] = start
	}
	return a
}

// resample scales src (which must be opaque) to w×h with f.
func resample(src *image.NRGBA, w, h int, f filter) *image.NRGBA {
	sb := src.Bounds()
	if sb.Dx() == w && sb.Dy() == h {
		return src
	}
	tmp := src
	if sb.Dx() != w {
		tmp = resampleH(src, w, newAxis(w, sb.Dx(), f))
	}
	if sb.Dy() != h {
		tmp = resampleV(tmp, h, newAxis(h, sb.Dy(), f))
	}
	return tmp
}

func resampleH(src *image.NRGBA, w int, ax axis) *image.NRGBA {
	sb := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, w, sb.Dy()))
	taps := ax.taps
	parallelRows(sb.Dy(), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			o := src.PixOffset(sb.Min.X, sb.Min.Y+y)
			srow := src.Pix[o : o+4*sb.Dx()]
			drow := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			for x := 0; x < w; x++ {
				ws := ax.w[x*taps : x*taps+taps : x*taps+taps]
				// newAxis keeps start+taps within the row, so the taps'
				// pixels are one slice and the loop needs no length test.
				s := srow[4*ax.start[x] : 4*(ax.start[x]+taps)]
				var r, g, b int32
				for t, wt := range ws {
					p := s[4*t : 4*t+3 : 4*t+3]
					r += int32(p[0]) * wt
					g += int32(p[1]) * wt
					b += int32(p[2]) * wt
				}
				d := drow[4*x : 4*x+4 : 4*x+4]
				d[0], d[1], d[2], d[3] = clamp8(r), clamp8(g), clamp8(b), 255
			}
		}
	})
	return dst
}

func resampleV(src *image.NRGBA, h int, ax axis) *image.NRGBA {
	sb := src.Bounds()
	rowLen := 4 * sb.Dx()
	dst := image.NewNRGBA(image.Rect(0, 0, sb.Dx(), h))
	taps := ax.taps
	parallelRows(h, func(y0, y1 int) {
		acc := make([]int32, rowLen)
		for y := y0; y < y1; y++ {
			clear(acc)
			ws := ax.w[y*taps : y*taps+taps]
			row := func(t int) []uint8 {
				o := src.PixOffset(sb.Min.X, sb.Min.Y+ax.start[y]+t)
				return src.Pix[o : o+rowLen]
			}
			// Two source rows per sweep halve the traffic through acc.
			t := 0
			for ; t+1 < len(ws); t += 2 {
				w0, w1 := ws[t], ws[t+1]
				r0, r1 := row(t), row(t+1)
				r1 = r1[:len(r0)]
				acc := acc[:len(r0)]
				for i, v := range r0 {
					acc[i] += int32(v)*w0 + int32(r1[i])*w1
				}
			}
			if t < len(ws) {
				w0, r0 := ws[t], row(t)
				acc := acc[:len(r0)]
				for i, v := range r0 {
					acc[i] += int32(v) * w0
				}
			}
			drow := dst.Pix[y*dst.Stride : y*dst.Stride+rowLen]
			for i, v := range acc {
				drow[i] = clamp8(v)
			}
		}
	})
	return dst
}

func clamp8(v int32) uint8 {
	v = (v + 1<<(weightBits-1)) >> weightBits
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// boxShrink averages k×k blocks of an NRGBA image: the cheap first step for
// large non-JPEG sources, and the focus-detection copy.
func boxShrink(src *image.NRGBA, k int) *image.NRGBA {
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
