// Package objstore keeps files in one prefix of an S3-compatible bucket
// (Amazon S3, SeaweedFS, MinIO, Aliyun OSS, Tencent COS...), through
// minio-go. Media storage and the published site use it when Huimin runs
// with --storage s3://...; it knows nothing of either.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// ErrNotFound is returned (wrapped) for a key that holds no object.
var ErrNotFound = errors.New("object not found")

// Store is one prefix of one bucket. Keys given to its methods are relative
// to the prefix.
type Store struct {
	client *minio.Client
	loc    Location
}

// PutOptions are the headers an object is served with.
type PutOptions struct {
	ContentType  string
	CacheControl string
}

// Info describes a stored object.
type Info struct {
	Key          string // relative to the store's prefix
	Size         int64
	ETag         string
	ContentType  string
	CacheControl string
	LastModified time.Time
}

// Open connects to the bucket named by the storage URL raw (see Parse),
// creating the bucket if it does not exist. Credentials are read from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for temporary ones,
// AWS_SESSION_TOKEN through getenv; with none set, requests are anonymous
// (a SeaweedFS without identities, a public bucket).
func Open(ctx context.Context, raw string, getenv func(string) string) (*Store, error) {
	loc, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return OpenLocation(ctx, loc, getenv)
}

// OpenLocation is Open for a parsed location.
func OpenLocation(ctx context.Context, loc Location, getenv func(string) string) (*Store, error) {
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if (id == "") != (secret == "") {
		return nil, fmt.Errorf("storage: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither for anonymous access")
	}
	client, err := minio.New(loc.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(id, secret, getenv("AWS_SESSION_TOKEN")),
		Secure:    loc.Secure,
		Region:    loc.Region,
		Transport: transport(),
		// minio-go's default is 10 tries with growing pauses: a wrong
		// endpoint would take most of a minute to report. The callers
		// retry whole steps themselves.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("storage %s: %w", loc, err)
	}
	s := &Store{client: client, loc: loc}
	if err := s.ensureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// transport bounds how long an unreachable or stalled endpoint can hold a
// request; bodies may still take long (large uploads over slow links).
func transport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // the bucket is infrastructure, not the web: no HTTP_PROXY
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = time.Minute
	t.MaxIdleConnsPerHost = 32
	return t
}

func (s *Store) ensureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.loc.Bucket)
	if err != nil {
		return s.describe("checking bucket", err)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.loc.Bucket, minio.MakeBucketOptions{Region: s.loc.Region})
	if err != nil {
		if code := errorCode(err); code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
			return nil // made meanwhile by another process
		}
		return s.describe("creating bucket", err)
	}
	return nil
}

// Location returns where the store keeps its objects.
func (s *Store) Location() Location { return s.loc }

// String names the store without credentials.
func (s *Store) String() string { return s.loc.String() }

// Sub returns the store for a prefix below this one ("media/", "site/").
func (s *Store) Sub(prefix string) *Store {
	loc := s.loc
	loc.Prefix += strings.Trim(prefix, "/") + "/"
	return &Store{client: s.client, loc: loc}
}

func (s *Store) key(k string) (string, error) {
	// An empty key, and a leading or trailing slash, make an empty segment.
	if badSegment(k) {
		return "", fmt.Errorf("storage: invalid key %q", k)
	}
	return s.loc.Prefix + k, nil
}

// badSegment reports whether a key or prefix has an empty, . or .. segment.
func badSegment(p string) bool {
	return slices.ContainsFunc(strings.Split(p, "/"), func(seg string) bool {
		return seg == "" || seg == "." || seg == ".."
	})
}

// Put stores size bytes from r under key, replacing any object there. An
// S3 PUT is atomic: readers get the old object or the new one, never part.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, o PutOptions) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, s.loc.Bucket, k, r, size, minio.PutObjectOptions{
		ContentType:  o.ContentType,
		CacheControl: o.CacheControl,
		// Site files and variants are small: one request each, with the
		// body's MD5 checked by the server.
		SendContentMd5: true,
	})
	if err != nil {
		return s.describe("putting "+key, err)
	}
	return nil
}

// Get opens the object under key; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	k, err := s.key(key)
	if err != nil {
		return nil, Info{}, err
	}
	obj, err := s.client.GetObject(ctx, s.loc.Bucket, k, minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, s.describe("getting "+key, err)
	}
	// GetObject is lazy; Stat makes the request, so a missing object is
	// reported here and not on the first Read.
	oi, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Info{}, s.describe("getting "+key, err)
	}
	return obj, s.info(oi), nil
}

// ReadAll returns the bytes stored under key; ErrNotFound when there are none.
func (s *Store) ReadAll(ctx context.Context, key string) ([]byte, error) {
	rc, _, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, s.describe("reading "+key, err)
	}
	return b, nil
}

// Stat describes the object under key; ErrNotFound when there is none.
func (s *Store) Stat(ctx context.Context, key string) (Info, error) {
	k, err := s.key(key)
	if err != nil {
		return Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.loc.Bucket, k, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.describe("stat "+key, err)
	}
	return s.info(oi), nil
}

// Delete removes the object under key; a missing one is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.loc.Bucket, k, minio.RemoveObjectOptions{}); err != nil && !missing(err) {
		return s.describe("deleting "+key, err)
	}
	return nil
}

// List yields every object whose key starts with prefix (relative to the
// store's prefix; "" lists all), in key order.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // stops minio-go's listing goroutine if we stop early
		for oi := range s.client.ListObjects(ctx, s.loc.Bucket, minio.ListObjectsOptions{
			Prefix: s.loc.Prefix + prefix, Recursive: true,
		}) {
			if oi.Err != nil {
				yield(Info{}, s.describe("listing "+prefix, oi.Err))
				return
			}
			if !yield(s.info(oi), nil) {
				return
			}
		}
	}
}

func (s *Store) info(oi minio.ObjectInfo) Info {
	return Info{
		Key:          strings.TrimPrefix(oi.Key, s.loc.Prefix),
		Size:         oi.Size,
		ETag:         oi.ETag,
		ContentType:  oi.ContentType,
		CacheControl: oi.Metadata.Get("Cache-Control"),
		LastModified: oi.LastModified,
	}
}

func errorCode(err error) string {
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		return r.Code
	}
	return ""
}

// missing reports whether err says there is no object under the key.
func missing(err error) bool {
	var r minio.ErrorResponse
	return errors.As(err, &r) &&
		(r.Code == "NoSuchKey" || r.Code == "NoSuchObject" || r.StatusCode == http.StatusNotFound && r.Code == "")
}

// describe turns a client error into one naming the operation and the
// bucket, and ErrNotFound for a missing object.
func (s *Store) describe(op string, err error) error {
	where := fmt.Sprintf("storage s3://%s/%s at %s", s.loc.Bucket, s.loc.Prefix, s.loc.Endpoint)
	if missing(err) {
		return fmt.Errorf("%s: %s: %w", where, op, ErrNotFound)
	}
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		switch r.Code {
		case "NoSuchBucket":
			return fmt.Errorf("%s: %s: bucket %q does not exist", where, op, s.loc.Bucket)
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			return fmt.Errorf("%s: %s: access refused (%s): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", where, op, r.Code)
		}
		return fmt.Errorf("%s: %s: %s (%s)", where, op, r.Message, r.Code)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return fmt.Errorf("%s: %s: endpoint unreachable: %w", where, op, err)
	}
	return fmt.Errorf("%s: %s: %w", where, op, err)
}
