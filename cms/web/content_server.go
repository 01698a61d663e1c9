package web

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/singleflight"

	"github.com/huimin/huimin/cms"
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

	// Sites other than the default one each have their own content
	// version and answers (siteContent), made on first use.
	defaultSite   siteContent
	versionMaxAge time.Duration
	otherSites    *sync.Map // int64 → *siteContent
}

// siteContent is what one site's content delivery keeps: its content
// version, its cached answers and the pages its beacons may count.
type siteContent struct {
	versions *versionClock
	cache    *responseCache
	pages    *sitePages
}

// otherSiteCacheBytes bounds the cached answers of each site but the
// default one, so that many sites stay within memory.
const otherSiteCacheBytes = 8 << 20

// contentOf returns the content state of the site ctx acts in.
func (s *Server) contentOf(ctx context.Context) *siteContent {
	id := cms.SiteIDFromContext(ctx)
	if id == cms.DefaultSiteID {
		return &s.defaultSite
	}
	if v, ok := s.otherSites.Load(id); ok {
		return v.(*siteContent)
	}
	v, _ := s.otherSites.LoadOrStore(id, &siteContent{
		versions: newVersionClock(s.cfg.ContentVersion, s.versionMaxAge),
		cache:    newResponseCache(otherSiteCacheBytes),
		pages:    &sitePages{src: s.cfg.SitePages},
	})
	return v.(*siteContent)
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
		defaultSite: siteContent{versions: newVersionClock(cfg.ContentVersion, maxAge), cache: newResponseCache(size),
			pages: &sitePages{src: cfg.SitePages}},
		versionMaxAge: maxAge,
		otherSites:    &sync.Map{},
		cacheControl:  "public, max-age=" + strconv.Itoa(int(cc.Seconds())),
		anon:          newIPLimiter(cfg.ContentRate, cfg.ContentBurst),
		corsPolicy:    newCORSPolicy(cfg.CORSOrigins),
		openAPI:       newCachedResponse(http.StatusOK, openAPIDoc, 0, "public, max-age=300"),
		flight:        &singleflight.Group{},
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
	s.contentOf(c.Request.Context()).versions.invalidate()
}
