package media

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/objstore"
)

// Where BucketStorage keeps files below the storage prefix. Variants go
// under media/ with the paths the site links to (/media/<hash>/<name>.jpg),
// so a CDN or nginx can serve that prefix straight from the bucket;
// originals, which keep the camera's metadata, go under private/, which
// must never be made public.
const (
	bucketPublic  = "media"
	bucketPrivate = "private/media"
)

// variantCacheControl matches what the server sends for /media/: variant
// URLs carry ?v=<version>, which changes when a focal-point change
// re-renders the crops in place.
const variantCacheControl = "public, max-age=86400"

// BucketStorage keeps media files in an S3-compatible bucket, so every
// replica of the server sees the same originals and variants.
type BucketStorage struct {
	public, private *objstore.Store
}

var _ Storage = (*BucketStorage)(nil)

// NewBucketStorage returns a Storage in s (the root of the storage URL).
func NewBucketStorage(s *objstore.Store) *BucketStorage {
	return &BucketStorage{public: s.Sub(bucketPublic), private: s.Sub(bucketPrivate)}
}

func (b *BucketStorage) store(key string) (*objstore.Store, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if Public(key) {
		return b.public, nil
	}
	return b.private, nil
}

// Put implements Storage; an S3 PUT replaces the object atomically.
func (b *BucketStorage) Put(ctx context.Context, key string, data []byte) (err error) {
	defer cms.Wrap(&err, "BucketStorage.Put(%q)", key)
	s, err := b.store(key)
	if err != nil {
		return err
	}
	o := objstore.PutOptions{ContentType: "application/octet-stream", CacheControl: "private, no-store"}
	if s == b.public {
		o = objstore.PutOptions{ContentType: "image/jpeg", CacheControl: variantCacheControl}
	}
	return s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), o)
}

// Open implements Storage.
func (b *BucketStorage) Open(ctx context.Context, key string) (_ io.ReadCloser, err error) {
	defer cms.Wrap(&err, "BucketStorage.Open(%q)", key)
	s, err := b.store(key)
	if err != nil {
		return nil, err
	}
	rc, _, err := s.Get(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, cms.Errorf(cms.ENOTFOUND, "文件不存在")
	}
	return rc, err
}

// Delete implements Storage.
func (b *BucketStorage) Delete(ctx context.Context, key string) (err error) {
	defer cms.Wrap(&err, "BucketStorage.Delete(%q)", key)
	s, err := b.store(key)
	if err != nil {
		return err
	}
	return s.Delete(ctx, key)
}

// Exists implements Storage.
func (b *BucketStorage) Exists(ctx context.Context, key string) (_ bool, err error) {
	defer cms.Wrap(&err, "BucketStorage.Exists(%q)", key)
	s, err := b.store(key)
	if err != nil {
		return false, err
	}
	_, err = s.Stat(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
