package web

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// Security headers, by what a response is.
//
// The admin UI gets a strict Content-Security-Policy: scripts only from its
// own origin (the Vite build has no inline script and nothing evaluates
// strings), no plugins, no framing. Styles may be inline because Element
// Plus sets style attributes at run time; that allows restyling, not code.
// Images may come from anywhere over http(s), data: and blob:, because the
// editor shows pictures pasted from WeChat until they are copied into the
// media library, and upload previews.
//
// The bearer token stays in localStorage rather than moving to an HttpOnly
// cookie: a cookie would need CSRF protection on every state-changing
// route and a new login flow, while the token already never rides along on
// cross-site requests (no CSRF by construction). What a script-readable
// token needs is that no foreign script runs on the origin, which the admin
// CSP enforces. The public pages share the origin and keep two small inline
// scripts of the theme (large text, WeChat loader), so their policy allows
// inline scripts but no other origin except WeChat's SDK; story bodies are
// sanitised before they are stored. Moving those two scripts into files
// would let the site drop 'unsafe-inline' too.
//
// API answers (JSON, media files) are never documents: nothing may load or
// frame them. The public site is opened inside WeChat and may be framed by
// portals, so it carries no framing restriction.
const (
	adminCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob: http: https:; font-src 'self' data:; connect-src 'self'; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'"
	apiCSP  = "default-src 'none'; frame-ancestors 'none'; sandbox"
	siteCSP = "default-src 'self'; script-src 'self' 'unsafe-inline' https://res.wx.qq.com; " +
		"style-src 'self' 'unsafe-inline'; img-src 'self' data: https://res.wx.qq.com https://open.weixin.qq.com; " +
		"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"
)

// securityHeaders sets the headers above before any handler runs; a
// handler may still override them (previews send no referrer at all).
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	p := c.Request.URL.Path
	switch {
	case p == "/admin" || strings.HasPrefix(p, "/admin/"):
		h.Set("Content-Security-Policy", adminCSP)
		h.Set("X-Frame-Options", "DENY")
	case strings.HasPrefix(p, "/api/") || p == "/healthz" || strings.HasPrefix(p, "/media/"):
		h.Set("Content-Security-Policy", apiCSP)
		h.Set("X-Frame-Options", "DENY")
	default:
		h.Set("Content-Security-Policy", siteCSP)
	}
	c.Next()
}
