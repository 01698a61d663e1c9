package site

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/huimin/huimin/cms/objstore"
)

// Bucket is the object store each build that goes live is copied to, so a
// CDN or nginx can serve the public site straight from it and every replica
// sees the same site. *objstore.Store implements it.
type Bucket interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, o objstore.PutOptions) error
	ReadAll(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string) iter.Seq2[objstore.Info, error]
}

// The bucket's layout below the storage prefix. site/ is the public site,
// file for file as in a build directory; private/ must never be public.
//
//	site/...                            the live site
//	private/site/live.json              names the live build and its manifest; written last
//	private/site/manifests/<t>-<id>.json.gz  every site file's content hash, for the next diff
//	private/site/pending.json           keys an unfinished copy may have written or left behind
const (
	bucketSite      = "site/"
	bucketLive      = "private/site/live.json"
	bucketPending   = "private/site/pending.json"
	bucketManifests = "private/site/manifests/"
)

// Cache-Control of site objects in the bucket. A CDN in front of the
// bucket may keep fingerprinted assets for good, and must ask the bucket
// again before serving a page: pages change in place on every publish.
const (
	bucketCachePage = "no-cache"
)

// uploadConcurrency is how many objects are sent at once: most are small
// pages, and each PUT waits mostly on the object store.
const uploadConcurrency = 16

// liveMarker is private/site/live.json: which build the bucket's site/ holds.
type liveMarker struct {
	Build       int64     `json:"build"`  // build record id
	Output      string    `json:"output"` // build directory name on the builder
	Manifest    string    `json:"manifest"`
	Files       int       `json:"files"`
	Bytes       int64     `json:"bytes"`
	PublishedAt time.Time `json:"published_at"`

	// Base, Changed and Gone let a replica that follows the manifest Base
	// follow this one without reading it (follow.go): the files whose
	// hash changed or that are new, and those removed. Left out when the
	// build changed more than maxDelta files.
	Base    string            `json:"base,omitempty"`
	Changed map[string]string `json:"changed,omitempty"`
	Gone    []string          `json:"gone,omitempty"`
}

// maxDelta is how many changed files live.json lists at most: a publish
// changes a few dozen, a full build after a template change every page.
const maxDelta = 2000

// bucketManifest lists the files of a published build.
type bucketManifest struct {
	Build int64             `json:"build"`
	Files map[string]string `json:"files"` // path below site/ → content hash
}

// pendingKeys is private/site/pending.json.
type pendingKeys struct {
	Keys []string `json:"keys"`
}

// mirror copies the live build directory to a Bucket. Only files whose
// content differs from the bucket's manifest are sent, in an order that
// keeps every page's links working for readers of the bucket:
//
//  1. assets and other non-page files (fingerprinted ones have new names,
//     so a page never refers to an asset not yet there);
//  2. pages new to the bucket, deepest first (a story before the lists
//     that link to it);
//  3. changed pages, deepest first (home last);
//  4. the manifest, then live.json naming the build: the commit point;
//  5. deletion of what the build no longer has.
//
// Every object is replaced by one PUT, which S3 makes atomic, so no reader
// gets part of a file. Before step 1 the keys the copy adds or will delete
// are written to pending.json: if the copy fails half-way, the next one
// treats them as unknown, so neither a page the failed copy changed nor one
// it added, whose story was unpublished since, can linger. A failed step stops the copy; the bucket keeps the
// previous site (with, at worst, some of the new pages and assets already
// in place), and the next build copies again.
type mirror struct {
	bucket Bucket
	log    *slog.Logger
	now    func() time.Time
	// fence, when set, is asked before the copy starts and again before
	// live.json is written: a replica that lost the builder lease must not
	// name its build live (replica.go).
	fence func() error

	// What this process last published: the manifest key and its files,
	// so an unchanged live.json spares reading the manifest again.
	prevKey string
	prev    map[string]string

	// Hashes of the files of one build directory, reused while size and
	// modification time are unchanged (incremental builds rename in only
	// the files they change, and name them: hashTree). stale says a build
	// changed the directory without a sync: the next one walks it.
	sumDir string
	sums   map[string]fileSum
	stale  bool

	last mirrorStats // of the last copy, for tests and logs
}

type fileSum struct {
	size int64
	mod  time.Time
	sum  string
}

type mirrorStats struct {
	put     []string // keys below site/ sent
	deleted []string
	files   int
}

func newMirror(b Bucket, log *slog.Logger) *mirror {
	return &mirror{bucket: b, log: log, now: time.Now}
}

// mirrorError marks a build that went live locally but could not be copied
// to the bucket; only the copy needs trying again.
type mirrorError struct{ err error }

func (e *mirrorError) Error() string {
	return "网站已在本机生成，但上传到对象存储失败，从对象存储访问的网站仍是上一次成功发布的版本，稍后和下次生成时会重新上传: " + e.err.Error()
}

func (e *mirrorError) Unwrap() error { return e.err }

// toBucket copies the live build o (made by build b) to the bucket, if the
// site has one; touched, when not nil, are the only files of o changed
// since the last copy (hashTree). Callers hold the build lock.
func (s *Site) toBucket(ctx context.Context, buildID int64, o *output, touched []string) error {
	if s.mirror == nil || o == nil {
		return nil
	}
	if err := s.fenced(); err != nil {
		// Not retried: another replica builds now. The files this build
		// touched are not counted: the next copy walks the directory.
		s.mirror.stale = true
		return err
	}
	t := time.Now()
	if err := s.mirror.sync(ctx, buildID, o, touched); err != nil {
		if errors.Is(err, errLeaseLost) {
			return err
		}
		return &mirrorError{err}
	}
	st := s.mirror.last
	s.log.Info("site copied to bucket", "build", buildID, "files", st.files,
		"put", len(st.put), "deleted", len(st.deleted), "duration_ms", time.Since(t).Milliseconds())
	return nil
}

// timedToBucket is toBucket, returning the time it took.
func (s *Site) timedToBucket(ctx context.Context, buildID int64, o *output, touched []string) (time.Duration, error) {
	t := time.Now()
	err := s.toBucket(ctx, buildID, o, touched)
	return time.Since(t), err
}

// mirrorAgain copies the live build to the bucket again after a failed copy.
func (s *Site) mirrorAgain(ctx context.Context, buildID int64) error {
	unlock, err := s.lock.Lock()
	if err != nil {
		return fmt.Errorf("acquiring build lock: %w", err)
	}
	defer unlock()
	return s.toBucket(ctx, buildID, s.live.Load(), nil)
}

func (m *mirror) fenced() error {
	if m.fence == nil {
		return nil
	}
	return m.fence()
}

// sync makes the bucket's site/ hold exactly the files of o; touched, when
// not nil, are the only files of o changed since the last sync (hashTree).
func (m *mirror) sync(ctx context.Context, buildID int64, o *output, touched []string) error {
	m.last = mirrorStats{}
	local, sizes, err := m.hashTree(o.dir, touched)
	if err != nil {
		return err
	}
	prev, err := m.published(ctx)
	if err != nil {
		return err
	}
	base := m.prevKey // the manifest prev is, before pending keys are marked unknown
	pending, err := m.pending(ctx)
	if err != nil {
		return err
	}
	for _, k := range pending {
		prev[k] = "" // unknown: sent again if wanted, deleted if not
	}

	var assets, newPages, changedPages, gone []string
	for rel, sum := range local {
		old, ok := prev[rel]
		switch {
		case ok && old == sum:
		case !isPage(rel):
			assets = append(assets, rel)
		case !ok:
			newPages = append(newPages, rel)
		default:
			changedPages = append(changedPages, rel)
		}
	}
	for rel := range prev {
		if _, ok := local[rel]; !ok {
			gone = append(gone, rel)
		}
	}
	slices.Sort(assets)
	slices.Sort(gone)
	deepestFirst(newPages)
	deepestFirst(changedPages)

	// Every key this copy writes or deletes, in case it does not finish:
	// the next copy must not trust the manifest for them.
	risky := slices.Concat(assets, newPages, changedPages, gone)
	if len(risky) > 0 || len(pending) > 0 {
		risky = append(risky, pending...)
		slices.Sort(risky)
		if err := m.putJSON(ctx, bucketPending, pendingKeys{Keys: slices.Compact(risky)}); err != nil {
			return err
		}
	}

	for _, batch := range [][]string{assets, newPages, changedPages} {
		if err := m.upload(ctx, o.dir, batch); err != nil {
			return err
		}
	}

	var total int64
	for _, n := range sizes {
		total += n
	}
	// The manifest is the large object: when nothing changed, the new
	// live.json names the one the bucket has.
	key := m.prevKey
	if changed := len(risky) > 0 || key == ""; changed {
		key = fmt.Sprintf("%s%d-%d.json.gz", bucketManifests, m.now().UnixNano(), buildID)
		if err := m.putManifest(ctx, key, bucketManifest{Build: buildID, Files: local}); err != nil {
			return err
		}
	}
	marker := liveMarker{Build: buildID, Output: o.name, Manifest: key, Files: len(local), Bytes: total, PublishedAt: m.now().UTC()}
	// Every file whose hash differs from base's, unknown ones included,
	// is in assets, newPages or changedPages; every file base had and
	// the build has not is in gone.
	if n := len(assets) + len(newPages) + len(changedPages) + len(gone); base != "" && key != base && n <= maxDelta {
		marker.Base, marker.Changed, marker.Gone = base, map[string]string{}, gone
		for _, rel := range slices.Concat(assets, newPages, changedPages) {
			marker.Changed[rel] = local[rel]
		}
	}
	if err := m.fenced(); err != nil {
		return err
	}
	if err := m.putJSON(ctx, bucketLive, marker); err != nil {
		return err
	}
	oldKey := m.prevKey
	m.prevKey, m.prev = key, local

	if err := each(ctx, uploadConcurrency, gone, func(ctx context.Context, rel string) error {
		return m.bucket.Delete(ctx, bucketSite+rel)
	}); err != nil {
		return err
	}
	m.last.deleted = gone
	if len(risky) > 0 {
		if err := m.bucket.Delete(ctx, bucketPending); err != nil {
			return err
		}
	}
	if key != oldKey {
		m.pruneManifests(ctx, key, oldKey)
	}
	return nil
}

// published returns the files of the site the bucket holds: its manifest,
// or, before the first copy, whatever lies under site/ (hash unknown).
func (m *mirror) published(ctx context.Context) (map[string]string, error) {
	var marker liveMarker
	if ok, err := readJSON(ctx, m.bucket, bucketLive, &marker); err != nil {
		return nil, err
	} else if !ok {
		prev := map[string]string{}
		for info, err := range m.bucket.List(ctx, bucketSite) {
			if err != nil {
				return nil, err
			}
			prev[strings.TrimPrefix(info.Key, bucketSite)] = ""
		}
		m.prevKey, m.prev = "", nil
		return prev, nil
	}
	if marker.Manifest != m.prevKey || m.prev == nil {
		mf, err := m.readManifest(ctx, marker.Manifest)
		if err != nil {
			return nil, err
		}
		m.prevKey, m.prev = marker.Manifest, mf.Files
	}
	return maps.Clone(m.prev), nil
}

func (m *mirror) pending(ctx context.Context) ([]string, error) {
	var p pendingKeys
	_, err := readJSON(ctx, m.bucket, bucketPending, &p)
	return p.Keys, err
}

// readJSON decodes the object key into v; ok is false when there is none.
func readJSON(ctx context.Context, b Bucket, key string, v any) (ok bool, err error) {
	data, err := b.ReadAll(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s: %w", key, err)
	}
	return true, nil
}

func (m *mirror) readManifest(ctx context.Context, key string) (*bucketManifest, error) {
	if !strings.HasPrefix(key, bucketManifests) {
		return nil, fmt.Errorf("%s names manifest %q outside %s", bucketLive, key, bucketManifests)
	}
	b, err := m.bucket.ReadAll(ctx, key)
	if err != nil {
		return nil, err
	}
	return decodeManifest(b, key)
}

// decodeManifest reads a manifest as encodeManifest wrote it; name is for
// errors. The local manifests of the tamper check (manifest.go) are the
// same files.
func decodeManifest(b []byte, name string) (*bucketManifest, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var mf bucketManifest
	if err := json.NewDecoder(zr).Decode(&mf); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if mf.Files == nil {
		mf.Files = map[string]string{}
	}
	return &mf, nil
}

func encodeManifest(mf bucketManifest) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(mf); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (m *mirror) putManifest(ctx context.Context, key string, mf bucketManifest) error {
	b, err := encodeManifest(mf)
	if err != nil {
		return err
	}
	return m.bucket.Put(ctx, key, bytes.NewReader(b), int64(len(b)),
		objstore.PutOptions{ContentType: "application/gzip", CacheControl: "private, no-store"})
}

func (m *mirror) putJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return m.bucket.Put(ctx, key, bytes.NewReader(b), int64(len(b)),
		objstore.PutOptions{ContentType: "application/json", CacheControl: "private, no-store"})
}

// upload sends the files rels of dir to site/, several at a time; the first
// error stops it.
func (m *mirror) upload(ctx context.Context, dir string, rels []string) error {
	err := each(ctx, uploadConcurrency, rels, func(ctx context.Context, rel string) error {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		return m.bucket.Put(ctx, bucketSite+rel, f, fi.Size(), objectOptions(rel))
	})
	if err == nil {
		m.last.put = append(m.last.put, rels...)
	}
	return err
}

// each calls fn for every key, limit at a time; the first error cancels
// the calls not yet made and is returned.
func each(ctx context.Context, limit int, keys []string, fn func(context.Context, string) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, k := range keys {
		g.Go(func() error { return fn(ctx, k) })
	}
	return g.Wait()
}

// pruneManifests deletes the manifests older than the previous one; a
// failure only leaves a small object behind.
func (m *mirror) pruneManifests(ctx context.Context, keep ...string) {
	for info, err := range m.bucket.List(ctx, bucketManifests) {
		if err != nil {
			m.log.Warn("listing old site manifests", "err", err)
			return
		}
		if slices.Contains(keep, info.Key) {
			continue
		}
		if err := m.bucket.Delete(ctx, info.Key); err != nil {
			m.log.Warn("deleting old site manifest", "key", info.Key, "err", err)
		}
	}
}

// hashTree returns the content hash and size of every file below dir, by
// slash path; hidden files (temporary ones) are skipped, as the handler
// never serves them. With touched not nil, and dir the directory of the
// last call, only the files touched names are looked at again: an
// incremental build says which files it wrote or removed, and walking a
// large site for them would cost more than the build.
func (m *mirror) hashTree(dir string, touched []string) (map[string]string, map[string]int64, error) {
	if m.sumDir != dir || m.stale || touched == nil {
		if err := m.walkSums(dir); err != nil {
			return nil, nil, err
		}
	} else {
		for _, rel := range touched {
			name := filepath.Join(dir, filepath.FromSlash(rel))
			fi, err := os.Lstat(name)
			if errors.Is(err, fs.ErrNotExist) {
				delete(m.sums, rel)
				continue
			} else if err != nil {
				m.stale = true
				return nil, nil, err
			}
			if err := m.sum(rel, name, fi); err != nil {
				m.stale = true
				return nil, nil, err
			}
		}
	}
	sums := make(map[string]string, len(m.sums))
	sizes := make(map[string]int64, len(m.sums))
	for rel, c := range m.sums {
		sums[rel], sizes[rel] = c.sum, c.size
	}
	m.last.files = len(sums)
	return sums, sizes, nil
}

// walkSums brings m.sums up to date with every file below dir, hashing
// those whose size or time changed.
func (m *mirror) walkSums(dir string) error {
	if m.sumDir != dir {
		m.sumDir, m.sums = dir, map[string]fileSum{}
	}
	seen := map[string]bool{}
	err := walkFiles(dir, func(rel, name string, d fs.DirEntry) error {
		seen[rel] = true
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return m.sum(rel, name, fi)
	})
	if err != nil {
		m.stale = true
		return err
	}
	m.stale = false
	for rel := range m.sums {
		if !seen[rel] {
			delete(m.sums, rel)
		}
	}
	return nil
}

// sum hashes file name (rel below the directory) unless m.sums has it
// with the same size and time.
func (m *mirror) sum(rel, name string, fi fs.FileInfo) error {
	if c, ok := m.sums[rel]; ok && c.size == fi.Size() && c.mod.Equal(fi.ModTime()) {
		return nil
	}
	sum, err := hashFile(name)
	if err != nil {
		return err
	}
	m.sums[rel] = fileSum{size: fi.Size(), mod: fi.ModTime(), sum: sum}
	return nil
}

func hashFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// deepestFirst orders paths by depth, deepest first, then by name: a story
// page before the list that links to it, the home page last.
func deepestFirst(rels []string) {
	slices.SortFunc(rels, func(a, b string) int {
		if da, db := strings.Count(a, "/"), strings.Count(b, "/"); da != db {
			return db - da
		}
		return strings.Compare(a, b)
	})
}

// objectOptions are the headers a site file is served with from the bucket.
func objectOptions(rel string) objstore.PutOptions {
	ct := cmp.Or(contentType(strings.ToLower(path.Ext(rel))), "application/octet-stream")
	cc := cacheOther
	switch {
	case fingerprinted.MatchString(rel):
		cc = cacheImmutable
	case isPage(rel):
		cc = bucketCachePage
	}
	return objstore.PutOptions{ContentType: ct, CacheControl: cc}
}

// LiveBuild reports the build the bucket's site/ holds, 0 before the first
// copy; for readiness checks and tests.
func LiveBuild(ctx context.Context, b Bucket) (build int64, published time.Time, err error) {
	var marker liveMarker
	if _, err := readJSON(ctx, b, bucketLive, &marker); err != nil {
		return 0, time.Time{}, err
	}
	return marker.Build, marker.PublishedAt, nil
}

// subBucket returns b with every key below prefix (ending in "/"): the
// bucket of one site of a platform (sites/<slug>/), whose site/ and
// private/ are laid out as the default site's are at the bucket's root.
func subBucket(b Bucket, prefix string) Bucket {
	if st, ok := b.(*objstore.Store); ok {
		return st.Sub(prefix)
	}
	return &prefixBucket{b: b, prefix: prefix}
}

// prefixBucket is subBucket for a Bucket other than *objstore.Store.
type prefixBucket struct {
	b      Bucket
	prefix string
}

func (p *prefixBucket) Put(ctx context.Context, key string, r io.Reader, size int64, o objstore.PutOptions) error {
	return p.b.Put(ctx, p.prefix+key, r, size, o)
}

func (p *prefixBucket) ReadAll(ctx context.Context, key string) ([]byte, error) {
	return p.b.ReadAll(ctx, p.prefix+key)
}

func (p *prefixBucket) Delete(ctx context.Context, key string) error {
	return p.b.Delete(ctx, p.prefix+key)
}

func (p *prefixBucket) List(ctx context.Context, prefix string) iter.Seq2[objstore.Info, error] {
	return func(yield func(objstore.Info, error) bool) {
		for info, err := range p.b.List(ctx, p.prefix+prefix) {
			info.Key = strings.TrimPrefix(info.Key, p.prefix)
			if !yield(info, err) {
				return
			}
		}
	}
}
