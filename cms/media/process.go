package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/color"
	"image/jpeg"
	"image/png"
	"strconv"

	"github.com/huimin/huimin/cms"
)

// fixedFootprint covers what does not scale with the source: variant
// buffers, the focus-detection copy, encoder state.
const fixedFootprint = 16 << 20

// Process validates data, decodes it once and renders every allow-listed
// variant. focus, when non-nil, places the crops; otherwise one is detected
// and returned in Result.Focus. GIFs yield their first frame. Callers should
// read uploads through a limit of Options().MaxBytes+1 so a huge body is
// never buffered.
//
// Errors (Fields["file"] or Fields["focus"] says what is wrong, in Chinese):
// ETOOLARGE over MaxBytes; EUNSUPPORTED for anything but JPEG, PNG, GIF or
// still WebP, judged from the bytes; EINVALID for corrupt or truncated data,
// images over MaxPixels (refused from the header, before decoding) or a focus
// outside 0..1; EUNAVAILABLE when no slot frees up or the work outlasts
// Timeout or ctx's deadline; context.Canceled if the caller cancels.
func (p *Processor) Process(ctx context.Context, data []byte, focus *Point) (res *Result, err error) {
	return p.process(ctx, data, focus, "", nil, nil)
}

// process is Process for callers that hashed data already (hash, or "" to
// hash it here) and want to start work of their own, such as writing the
// original, once the upload has passed validation and holds a slot (accepted
// is called then, when not nil), and to store each variant as soon as it is
// encoded (rendered is called with it then, from the rendering goroutine,
// when not nil; possibly after process has returned an error).
func (p *Processor) process(ctx context.Context, data []byte, focus *Point, hash string, accepted func(), rendered func(Variant)) (res *Result, err error) {
	if int64(len(data)) > p.opts.MaxBytes {
		return nil, errTooLarge(p.opts.MaxBytes)
	}
	if focus != nil && !focus.Valid() {
		return nil, cms.Invalid(map[string]string{"focus": "焦点坐标须在 0 到 1 之间"})
	}
	format := sniff(data)
	if format == "" {
		return nil, errUnsupported()
	}
	h, err := inspect(format, data)
	if err != nil {
		return nil, decodeError(err)
	}
	if h.width <= 0 || h.height <= 0 {
		return nil, errCorrupt()
	}
	if px := int64(h.width) * int64(h.height); px > int64(p.opts.MaxPixels) || h.width > maxSide || h.height > maxSide {
		return nil, cms.Invalid(map[string]string{"file": fmt.Sprintf(
			"图片尺寸过大（%d×%d），最多 %d 万像素、边长不超过 %d 像素", h.width, h.height, p.opts.MaxPixels/10_000, maxSide)})
	}

	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	w := p.weight(h)
	if err := p.slots.Acquire(ctx, w); err != nil {
		return nil, ctxError(ctx, err)
	}
	if accepted != nil {
		accepted()
	}
	// The work runs in its own goroutine so a timeout returns promptly. The
	// slot is released only when the work really stops, so abandoned work
	// still counts against the memory budget.
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer p.slots.Release(w)
		var o outcome
		defer func() {
			if r := recover(); r != nil {
				o = outcome{err: fmt.Errorf("media: panic: %v", r)}
			}
			done <- o
		}()
		o.res, o.err = render(ctx, h, data, focus, hash, rendered)
	}()
	select {
	case o := <-done:
		if o.err != nil && ctx.Err() != nil {
			return nil, ctxError(ctx, o.err)
		}
		return o.res, o.err
	case <-ctx.Done():
		return nil, ctxError(ctx, ctx.Err())
	}
}

// ctxError reports why ctx ended: a deadline (ours or the caller's) means
// we were too busy or the image too slow, EUNAVAILABLE; a cancellation means
// nobody is waiting for the answer and passes through.
func ctxError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w (%v)", errBusy(), err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// weight is how many slots an image needs: one per MemoryBudget/Concurrency
// bytes of its estimated footprint, so a few huge images cannot together
// exceed the budget while ordinary photos run Concurrency at a time.
func (p *Processor) weight(h header) int64 {
	n := int64(p.opts.Concurrency)
	slot := p.opts.MemoryBudget / n
	w := (footprint(h) + slot - 1) / slot
	return min(max(w, 1), n)
}

// footprint estimates the peak bytes of rendering h: the decoder's output,
// a full-size NRGBA copy unless the decode is YCbCr (shrunk straight from
// its planes) or already RGBA, the pyramid's levels, and for each of the
// variants rendered at once imaging's two passes over the largest.
func footprint(h header) int64 {
	var convert int64
	switch h.model {
	case color.YCbCrModel, color.NRGBAModel, color.RGBAModel:
	default:
		convert = 4 * int64(h.width) * int64(h.height)
	}
	w, ht := h.width, h.height
	if h.orientation >= 5 {
		w, ht = ht, w
	}
	var largest int64
	for _, sp := range specs {
		ow, oh := variantSize(w, ht, sp)
		largest = max(largest, 4*int64(ow)*int64(oh))
	}
	return h.decodeBytes + convert + pyramidBytes(w, ht, h.orientation) + 3*largest + fixedFootprint
}

func decodeError(err error) error {
	var je jpeg.UnsupportedError
	var pe png.UnsupportedError
	var me unsupportedError
	if errors.As(err, &je) || errors.As(err, &pe) || errors.As(err, &me) {
		return fmt.Errorf("%w (%v)", &cms.Error{Code: cms.EUNSUPPORTED, Message: "不支持此种图片编码，请另存为普通 JPEG 或 PNG 后重试",
			Fields: map[string]string{"file": "图片编码方式不受支持"}}, err)
	}
	return fmt.Errorf("%w (%v)", errCorrupt(), err)
}

// render does the pixel work for one upload.
func render(ctx context.Context, h header, data []byte, focus *Point, known string, rendered func(Variant)) (*Result, error) {
	hash := make(chan string, 1)
	if known != "" {
		hash <- known
	} else {
		go func() {
			sum := sha256.Sum256(data)
			hash <- hex.EncodeToString(sum[:])
		}()
	}
	img, err := decode(h.format, data)
	if err != nil {
		return nil, decodeError(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The decoded bounds, not the header, size everything from here: a
	// GIF's first frame may be smaller than its logical screen.
	if img.Bounds().Empty() {
		return nil, errCorrupt()
	}
	pyr := buildPyramid(img, h.orientation)
	img = nil // the decode is garbage once the pyramid is built
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vs, f, err := renderVariants(ctx, pyr, focus, rendered)
	if err != nil {
		return nil, err
	}
	return &Result{Format: h.format, Width: pyr.w, Height: pyr.h, Hash: <-hash, Focus: f, Variants: vs}, nil
}

func formatMiB(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MB"
	}
	return strconv.FormatInt(n, 10) + " 字节"
}
