package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// Content API responses are cached in memory, keyed by the content version
// and the request. The version changes in the transaction of every publish,
// unpublish, import or edit of public data (see cms.ContentVersionService),
// so a cached answer is never older than its key; a hot read is a map
// lookup and a write, with no database query.

// versionClock holds the content version. Reading it from the database on
// every request would defeat the cache, so it is re-read at most every
// maxAge, and at once after this process changed content (invalidate): a
// change made here is visible to the very next read, one made by another
// process (`huimin import`, another replica) within maxAge.
type versionClock struct {
	src    cms.ContentVersionService
	maxAge int64 // nanoseconds

	mu      sync.Mutex // serialises database reads
	v       atomic.Int64
	checked atomic.Int64 // when the last read started, in Unix nanoseconds
	dirty   atomic.Bool
}

func newVersionClock(src cms.ContentVersionService, maxAge time.Duration) *versionClock {
	c := &versionClock{src: src, maxAge: int64(maxAge)}
	c.dirty.Store(true)
	return c
}

// current returns the content version; ok is false when there is no
// version source, and responses must then not be cached.
func (c *versionClock) current(ctx context.Context) (v int64, ok bool, err error) {
	if c.src == nil {
		return 0, false, nil
	}
	if !c.dirty.Load() && time.Now().UnixNano()-c.checked.Load() < c.maxAge {
		return c.v.Load(), true, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty.Load() && time.Now().UnixNano()-c.checked.Load() < c.maxAge {
		return c.v.Load(), true, nil
	}
	// Cleared before reading: an invalidate during the read marks the
	// result as possibly stale again.
	c.dirty.Store(false)
	start := time.Now().UnixNano()
	v, err = c.src.ContentVersion(ctx)
	if err != nil {
		c.dirty.Store(true)
		return 0, false, err
	}
	c.v.Store(v)
	c.checked.Store(start)
	return v, true, nil
}

// invalidate makes the next current read the database.
func (c *versionClock) invalidate() { c.dirty.Store(true) }

// cachedResponse is a complete content API answer.
type cachedResponse struct {
	status  int
	body    []byte
	etag    string // quoted; empty for errors
	headers http.Header

	gzOnce    sync.Once
	gzBody    []byte
	gzHeaders http.Header
}

// gzipMin is the size below which compressing is not worth a header.
const gzipMin = 1024

var (
	hdrJSON    = []string{"application/json; charset=utf-8"}
	hdrNoSniff = []string{"nosniff"}
	hdrVary    = []string{"Accept-Encoding"}
	hdrGzip    = []string{"gzip"}
	hdrNoStore = []string{"no-store"}
)

func newCachedResponse(status int, body []byte, version int64, cacheControl string) *cachedResponse {
	e := &cachedResponse{status: status, body: body, headers: http.Header{
		"Content-Type":           hdrJSON,
		"X-Content-Type-Options": hdrNoSniff,
		"Content-Length":         {strconv.Itoa(len(body))},
	}}
	if version > 0 {
		e.headers["X-Content-Version"] = []string{strconv.FormatInt(version, 10)}
	}
	if status == http.StatusOK {
		sum := sha256.Sum256(body)
		e.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
		e.headers["Etag"] = []string{e.etag}
		e.headers["Cache-Control"] = []string{cacheControl}
	} else {
		e.headers["Cache-Control"] = hdrNoStore
	}
	return e
}

// gzip returns the compressed body and its headers, compressing once.
func (e *cachedResponse) gzip() ([]byte, http.Header) {
	e.gzOnce.Do(func() {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		w.Write(e.body)
		w.Close()
		h := make(http.Header, len(e.headers)+1)
		maps.Copy(h, e.headers)
		h["Content-Encoding"] = hdrGzip
		h["Content-Length"] = []string{strconv.Itoa(b.Len())}
		if e.etag != "" {
			// A different representation needs a different strong tag.
			h["Etag"] = []string{strings.TrimSuffix(e.etag, `"`) + `-gz"`}
		}
		e.gzBody, e.gzHeaders = b.Bytes(), h
	})
	return e.gzBody, e.gzHeaders
}

// write sends e, or 304 when the client already has it.
func (e *cachedResponse) write(c *gin.Context) {
	body, headers := e.body, e.headers
	if len(body) >= gzipMin && acceptsGzip(c.Request) {
		body, headers = e.gzip()
	}
	h := c.Writer.Header()
	maps.Copy(h, headers)
	if v, ok := h["Vary"]; ok { // CORS may vary by Origin
		h["Vary"] = append(v[:len(v):len(v)], hdrVary...)
	} else {
		h["Vary"] = hdrVary
	}
	if e.etag != "" && notModified(c.Request, e.etag) {
		delete(h, "Content-Length")
		delete(h, "Content-Encoding")
		c.Writer.WriteHeader(http.StatusNotModified)
		return
	}
	c.Writer.WriteHeader(e.status)
	if c.Request.Method != http.MethodHead {
		c.Writer.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header["Accept-Encoding"] {
		if strings.Contains(v, "gzip") {
			return true
		}
	}
	return false
}

// notModified reports whether If-None-Match names etag (or its gzip
// twin). RFC 9110 compares If-None-Match weakly, so W/ is ignored.
func notModified(r *http.Request, etag string) bool {
	vals := r.Header["If-None-Match"]
	if len(vals) == 0 {
		return false
	}
	bare := strings.Trim(etag, `"`)
	for _, v := range vals {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" {
				return true
			}
			t = strings.Trim(t, `"`)
			if t == bare || t == bare+"-gz" {
				return true
			}
		}
	}
	return false
}

// responseCache maps request keys to responses of one content version.
type responseCache struct {
	mu       sync.RWMutex
	version  int64
	entries  map[string]*cachedResponse
	size     int
	maxBytes int
}

func newResponseCache(maxBytes int) *responseCache {
	return &responseCache{entries: map[string]*cachedResponse{}, maxBytes: maxBytes}
}

func (c *responseCache) get(version int64, key string) *cachedResponse {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.version != version {
		return nil
	}
	return c.entries[key]
}

// put stores e under key for version. A newer version empties the cache;
// an answer computed for an older one is dropped. When full, random
// entries make room (map iteration order is random), so a flood of
// one-off queries cannot pin the cache.
func (c *responseCache) put(version int64, key string, e *cachedResponse) {
	cost := len(key) + len(e.body) + 256
	if cost > c.maxBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case version < c.version:
		return
	case version > c.version:
		clear(c.entries)
		c.version, c.size = version, 0
	}
	if old, ok := c.entries[key]; ok {
		c.size -= len(key) + len(old.body) + 256
	}
	for k, old := range c.entries {
		if c.size+cost <= c.maxBytes {
			break
		}
		c.size -= len(k) + len(old.body) + 256
		delete(c.entries, k)
	}
	c.entries[key] = e
	c.size += cost
}
