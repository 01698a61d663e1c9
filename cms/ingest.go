package cms

import (
	"context"
	"io"
)

// MediaIngester is the media pipeline as the HTTP layer sees it: pictures
// in (uploads, pasted pictures), files out. It validates and decodes a
// picture, keeps the original privately, renders the allow-listed
// variants, and records the item through a MediaService.
type MediaIngester interface {
	// IngestMedia returns the library item holding data, created false when
	// the same bytes were already there (its crops are kept). EUNSUPPORTED,
	// ETOOLARGE or EINVALID for a picture the pipeline refuses; EUNAVAILABLE
	// when it is too busy.
	IngestMedia(ctx context.Context, data []byte, filename string) (m *Media, created bool, err error)
	// RerenderMedia renders m's crops again around its focal point, from
	// the kept original, and records the new variants on m and in the library.
	RerenderMedia(ctx context.Context, m *Media) error
	// DeleteMediaFiles removes m's original and variants; missing files are
	// not an error.
	DeleteMediaFiles(ctx context.Context, m *Media) error
	// OpenMediaFile opens a public variant by key ("<hash>/<name>.jpg");
	// ENOTFOUND for anything else, the private original included.
	OpenMediaFile(ctx context.Context, key string) (io.ReadCloser, error)
	// BodyVariants names, smallest first, the variants that show the whole
	// picture (crops are for covers), for a body image's srcset.
	BodyVariants() []string
}
