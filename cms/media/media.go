// Package media turns uploaded photos into the clean, upright variants the
// public site and WeChat need.
//
// Uploads come from phones: they carry EXIF orientation and often the GPS
// position of someone's home, and some are hostile (decompression bombs,
// truncated or fuzzed files, SVG with script). Process accepts only raster
// formats it can verify from the bytes, refuses oversized images from the
// header before decoding, decodes once with orientation applied, and
// re-encodes every variant so no metadata survives. It knows nothing of HTTP
// or databases; errors are *cms.Error values the web layer maps to statuses.
package media

import (
	"image/color"
	"runtime"
	"time"

	"github.com/huimin/huimin/cms"
	"golang.org/x/sync/semaphore"
)

// Spec is one allow-listed output. Crop specs are filled exactly (cut around
// the focal point); the others are responsive widths that keep the aspect
// ratio. Neither is ever upscaled: a small upload yields smaller variants.
type Spec struct {
	Name          string
	Width, Height int
	Crop          bool
}

// specs is the only place variant sizes are declared. Requests for any other
// size are impossible by construction, so nobody can make the server render
// arbitrary sizes.
var specs = []Spec{
	{Name: "w480", Width: 480},
	{Name: "w960", Width: 960},
	{Name: "w1600", Width: 1600},
	{Name: "cover235", Width: 900, Height: 383, Crop: true}, // WeChat article cover, 2.35:1
	{Name: "cover11", Width: 600, Height: 600, Crop: true},  // WeChat 1:1 cover
	{Name: "thumb", Width: 300, Height: 300, Crop: true},    // share thumbnail
}

// Specs returns a copy of the variant allow-list in output order.
func Specs() []Spec { return append([]Spec(nil), specs...) }

// LookupSpec returns the allow-listed spec with the given name.
func LookupSpec(name string) (Spec, bool) {
	for _, s := range specs {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Point is a focal point in relative coordinates, 0..1 from the top-left of
// the upright image, so it survives any resize.
type Point struct {
	X, Y float64
}

// Valid reports whether p lies inside the image.
func (p Point) Valid() bool {
	return p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1 // false for NaN too
}

// Result describes a processed upload.
type Result struct {
	Format        string // "jpeg", "png", "gif" or "webp": what the bytes are, not what the name said
	Width, Height int    // of the upright original
	Hash          string // sha256 hex of the original bytes: the content address
	Focus         Point  // the focal point used for the crops
	Variants      []Variant
}

// Variant is one encoded output. Data never carries metadata.
type Variant struct {
	Name          string
	Width, Height int
	Data          []byte
	ContentType   string
}

// Options bound the work one upload may cause. Zero fields take defaults.
type Options struct {
	MaxBytes  int64 // largest accepted file; default 30 MiB
	MaxPixels int   // largest accepted width×height, checked from the header; default 60 million
	// Concurrency is how many images may be decoded and resized at once;
	// default min(GOMAXPROCS, MemoryBudget/typical 12 MP photo).
	Concurrency int
	// MemoryBudget is the estimated working memory all in-flight images
	// may share; an image whose estimate exceeds one slot's share
	// (MemoryBudget/Concurrency) takes several slots. Default 1 GiB. The
	// process's RSS can exceed it by the garbage collector's headroom.
	MemoryBudget int64
	Timeout      time.Duration // per Process call, including the wait for a slot; default 60 s
}

const (
	defaultMaxBytes     = 30 << 20
	defaultMaxPixels    = 60_000_000
	defaultMemoryBudget = 1 << 30
	defaultTimeout      = 60 * time.Second
	// maxSide is the JPEG format's own limit; bigger images cannot be encoded.
	maxSide = 65535
)

// Processor validates uploads and renders their variants. It is safe for
// concurrent use; construct it once and share it so its limits are global.
type Processor struct {
	opts  Options
	slots *semaphore.Weighted
}

// NewProcessor returns a Processor with opts, defaults filled in.
func NewProcessor(opts Options) *Processor {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = defaultMaxBytes
	}
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = defaultMaxPixels
	}
	if opts.MemoryBudget <= 0 {
		opts.MemoryBudget = defaultMemoryBudget
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = max(1, min(runtime.GOMAXPROCS(0), int(opts.MemoryBudget/typicalFootprint())))
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	return &Processor{opts: opts, slots: semaphore.NewWeighted(int64(opts.Concurrency))}
}

// typicalFootprint is the estimate for the typical upload, a 12 MP 4:2:0
// phone photo: about 73 MB.
func typicalFootprint() int64 {
	return footprint(header{width: 4000, height: 3000, orientation: 1, model: color.YCbCrModel, decodeBytes: 18_000_000})
}

// Options returns the effective options, defaults filled in, so callers can
// cap request bodies at MaxBytes before reading them.
func (p *Processor) Options() Options { return p.opts }

// Errors shown to uploaders.
func errUnsupported() error {
	return &cms.Error{Code: cms.EUNSUPPORTED, Message: "不支持的文件类型：请上传 JPEG、PNG、GIF 或 WebP 图片",
		Fields: map[string]string{"file": "仅支持 JPEG、PNG、GIF、WebP 格式"}}
}

func errTooLarge(max int64) error {
	return &cms.Error{Code: cms.ETOOLARGE, Message: "文件过大",
		Fields: map[string]string{"file": "文件不能超过 " + formatMiB(max)}}
}

func errCorrupt() error {
	return cms.Invalid(map[string]string{"file": "图片已损坏或不完整，无法读取"})
}

func errBusy() error {
	return cms.Errorf(cms.EUNAVAILABLE, "图片处理繁忙或超时，请稍后重试")
}
