package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/singleflight"
)

// contentState is what the content delivery API keeps in memory.
type contentState struct {
	versions     *versionClock
	cache        *responseCache
	cacheControl string
	keys         *keyCache
	anon         *ipLimiter
	corsPolicy   *corsPolicy
	openAPI      *cachedResponse
	flight       *singleflight.Group
}

// keyTTL is how long a key's authentication is remembered; a key revoked
// through another process stops working within it.
const keyTTL = 30 * time.Second

func newContentState(cfg Config) contentState {
	maxAge := cfg.ContentVersionMaxAge
	if maxAge <= 0 {
		maxAge = time.Second
	}
	size := cfg.ContentCacheBytes
	if size <= 0 {
		size = 64 << 20
	}
	cc := cfg.ContentMaxAge
	if cc <= 0 {
		cc = 30 * time.Second
	}
	st := contentState{
		versions:     newVersionClock(cfg.ContentVersion, maxAge),
		cache:        newResponseCache(size),
		cacheControl: "public, max-age=" + strconv.Itoa(int(cc.Seconds())),
		anon:         newIPLimiter(cfg.ContentRate, cfg.ContentBurst),
		corsPolicy:   newCORSPolicy(cfg.CORSOrigins),
		openAPI:      newCachedResponse(http.StatusOK, openAPIDoc, 0, "public, max-age=300"),
		flight:       &singleflight.Group{},
	}
	if cfg.APIKeys != nil {
		st.keys = newKeyCache(cfg.APIKeys, keyTTL)
	}
	return st
}

// noteContentChange runs around management requests: after one that may
// have changed content, the next content read re-reads the content version,
// so this process never serves its own stale answers.
func (s *Server) noteContentChange(c *gin.Context) {
	c.Next()
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return
	}
	s.versions.invalidate()
}
