package media

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/huimin/huimin/cms"
)

// Ingest is the cms.MediaIngester of a processor, a file store and the
// media library.
type Ingest struct {
	proc    *Processor
	files   Storage
	library cms.MediaService
}

var _ cms.MediaIngester = (*Ingest)(nil)

// NewIngest returns the pipeline that runs pictures through p into files
// and records them in library.
func NewIngest(p *Processor, files Storage, library cms.MediaService) *Ingest {
	return &Ingest{proc: p, files: files, library: library}
}

// IngestMedia implements cms.MediaIngester.
//
// The bytes are hashed once, here; the original is written while it is
// decoded (the write is I/O, the decode CPU), and each variant as soon as it
// is encoded, while the others are still being rendered, so an upload waits
// for about one file's write rather than seven in a row. No variant is
// stored before the original is durable, so a crash leaves at worst an
// original without variants.
func (in *Ingest) IngestMedia(ctx context.Context, data []byte, filename string) (*cms.Media, bool, error) {
	// The same bytes again: answer with the existing item before any
	// decoding, so its crops (possibly around an editor's focal point) stay.
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if m, err := in.library.FindMediaByHash(ctx, hash); err == nil {
		return m, false, nil
	} else if cms.ErrorCode(err) != cms.ENOTFOUND {
		return nil, false, err
	}
	var (
		original func() error
		mu       sync.Mutex // guards the fields below
		closed   bool       // process returned: later variants are not wanted
		writes   sync.WaitGroup
		written  []string
		werrs    []error
	)
	res, err := in.proc.process(ctx, data, nil, hash, func() {
		// Called once the upload passed validation: only pictures we will
		// keep are written.
		original = background(func() error { return in.files.Put(ctx, OriginalKey(hash), data) })
	}, func(v Variant) {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return
		}
		key := VariantKey(hash, v.Name)
		written = append(written, key)
		writes.Add(1)
		go func() {
			defer writes.Done()
			err := original()
			if err == nil {
				err = in.files.Put(ctx, key, v.Data)
			}
			if err != nil {
				mu.Lock()
				werrs = append(werrs, err)
				mu.Unlock()
			}
		}()
	})
	mu.Lock()
	closed = true
	mu.Unlock()
	writes.Wait()
	if original != nil {
		werr := original()
		if err != nil {
			// Undecodable or abandoned after all: keep nothing of it.
			cleanup := context.WithoutCancel(ctx)
			for _, key := range written {
				_ = in.files.Delete(cleanup, key)
			}
			if werr == nil {
				_ = in.files.Delete(cleanup, OriginalKey(hash))
			}
		}
		err = cmp.Or(err, werr)
	}
	if err = cmp.Or(err, errors.Join(werrs...)); err != nil {
		return nil, false, err
	}
	m := &cms.Media{
		Hash: res.Hash, Filename: filename, Format: res.Format, Width: res.Width, Height: res.Height,
		Size: int64(len(data)), FocusX: res.Focus.X, FocusY: res.Focus.Y, Version: 1,
	}
	m.Variants = variantsOf(m, res.Variants)
	return in.library.CreateMedia(ctx, m)
}

// background runs fn in its own goroutine; the returned func waits for it
// and may be called any number of times.
func background(fn func() error) (wait func() error) {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	return sync.OnceValue(func() error { return <-done })
}

// RerenderMedia implements cms.MediaIngester.
func (in *Ingest) RerenderMedia(ctx context.Context, m *cms.Media) error {
	rc, err := in.files.Open(ctx, OriginalKey(m.Hash))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return err
	}
	res, err := in.proc.Process(ctx, data, &Point{X: m.FocusX, Y: m.FocusY})
	if err != nil {
		return err
	}
	if err := res.Save(ctx, in.files, data); err != nil {
		return err
	}
	m.Variants = variantsOf(m, res.Variants)
	return in.library.ReplaceVariants(ctx, m.ID, m.Variants)
}

// DeleteMediaFiles implements cms.MediaIngester.
func (in *Ingest) DeleteMediaFiles(ctx context.Context, m *cms.Media) error {
	for _, v := range m.Variants {
		_ = in.files.Delete(ctx, VariantKey(m.Hash, v.Name))
	}
	_ = in.files.Delete(ctx, OriginalKey(m.Hash))
	return nil
}

// OpenMediaFile implements cms.MediaIngester.
func (in *Ingest) OpenMediaFile(ctx context.Context, key string) (io.ReadCloser, error) {
	if !Public(key) {
		return nil, cms.Errorf(cms.ENOTFOUND, "图片不存在")
	}
	return in.files.Open(ctx, key)
}

// BodyVariants implements cms.MediaIngester.
func (in *Ingest) BodyVariants() []string {
	var out []string
	for _, sp := range specs {
		if !sp.Crop {
			out = append(out, sp.Name)
		}
	}
	return out
}

// variantsOf describes encoded variants as the public URLs of m; the
// version in the URL changes when re-rendered crops replace the files.
func variantsOf(m *cms.Media, vs []Variant) []cms.MediaVariant {
	out := make([]cms.MediaVariant, 0, len(vs))
	for _, v := range vs {
		out = append(out, cms.MediaVariant{Name: v.Name, Width: v.Width, Height: v.Height, URL: variantURL(m.Hash, v.Name, m.Version)})
	}
	return out
}

func variantURL(hash, name string, version int) string {
	return fmt.Sprintf("/media/%s/%s.jpg?v=%d", hash, name, version)
}
