package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// CORS for the content API. The default policy ("*") lets any web page read
// it: the API is read-only, needs no cookies or login, and serves exactly
// what the public site already shows, so restricting origins would protect
// nothing (CORS binds browsers only; any server can fetch the same JSON)
// while breaking the H5 pages of mini programs and the portals that embed a
// bureau's stories. Sites that want it narrower list origins instead
// (serve --cors-origins). The management API sends no CORS headers: only
// the admin UI, on the same origin, uses it.

// corsPolicy decides which origins may read the content API from a browser.
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

func newCORSPolicy(origins []string) *corsPolicy {
	p := &corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		switch o {
		case "":
		case "*":
			p.any = true
		default:
			p.origins[strings.ToLower(o)] = true
		}
	}
	if !p.any && len(p.origins) == 0 {
		return nil
	}
	return p
}

// Header values shared by every answer; net/http never modifies them.
var (
	hdrStar        = []string{"*"}
	hdrCORSMethods = []string{"GET, HEAD, OPTIONS"}
	hdrCORSHeaders = []string{"X-API-Key, If-None-Match"}
	hdrCORSExpose  = []string{"ETag, Retry-After, X-Content-Version"}
	hdrCORSMaxAge  = []string{"86400"}
)

// cors adds the CORS headers for an allowed origin; it answers preflight
// requests itself.
func (s *Server) cors(c *gin.Context) {
	origin := c.Request.Header.Get("Origin")
	if s.corsPolicy == nil || origin == "" {
		if c.Request.Method == http.MethodOptions {
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
		return
	}
	h := c.Writer.Header()
	switch {
	case s.corsPolicy.any:
		h["Access-Control-Allow-Origin"] = hdrStar
	case s.corsPolicy.origins[strings.ToLower(origin)]:
		h["Access-Control-Allow-Origin"] = []string{origin}
		h.Add("Vary", "Origin")
	default:
		h.Add("Vary", "Origin")
		if c.Request.Method == http.MethodOptions {
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
		return
	}
	if c.Request.Method == http.MethodOptions && c.Request.Header.Get("Access-Control-Request-Method") != "" {
		h["Access-Control-Allow-Methods"] = hdrCORSMethods
		h["Access-Control-Allow-Headers"] = hdrCORSHeaders
		h["Access-Control-Max-Age"] = hdrCORSMaxAge
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	h["Access-Control-Expose-Headers"] = hdrCORSExpose
	c.Next()
}

// handlePreflight ends an OPTIONS request that s.cors let through.
func (s *Server) handlePreflight(c *gin.Context) error {
	c.Status(http.StatusNoContent)
	return nil
}
