package web

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// One server answers for every site of the platform (issue 15). siteScope
// runs first on every request and puts the site it acts in into the
// request context, where the store reads it to scope every query:
//
//   - the public site, the content API, preview links, the interaction
//     pages and beacons answer for the site their Host names (the default
//     site for a host no site names, 127.0.0.1 among them), or their
//     X-Forwarded-Host when a trusted proxy sent them (forwardedHost);
//   - management API calls act in the site their Huimin-Site header names
//     (an id or a slug), else in the Host's site. The header never changes
//     what a public route serves.
//
// A signed-in user acts in a site only with a role there (requireSiteRole).

// siteDirectory caches the platform's sites, re-read at most every
// siteDirectoryMaxAge and at once after a change made through this server,
// so a site created on the command line or on another replica answers
// within seconds.
type siteDirectory struct {
	src     cms.SiteService
	mu      sync.Mutex
	cur     atomic.Pointer[cms.SiteResolver]
	checked atomic.Int64
	dirty   atomic.Bool
}

const siteDirectoryMaxAge = 3 * time.Second

func (d *siteDirectory) resolver(ctx context.Context) *cms.SiteResolver {
	if d == nil || d.src == nil {
		return nil
	}
	fresh := func() bool {
		return d.cur.Load() != nil && !d.dirty.Load() && time.Now().UnixNano()-d.checked.Load() < int64(siteDirectoryMaxAge)
	}
	if fresh() {
		return d.cur.Load()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if fresh() {
		return d.cur.Load()
	}
	return d.read(ctx)
}

// since reads the sites again unless a read started at or after start
// (the arrival of the request that asks): concurrent requests naming a
// site the directory does not know share one read, and a site created
// before a request arrived is always found.
func (d *siteDirectory) since(ctx context.Context, start int64) *cms.SiteResolver {
	if d == nil || d.src == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur.Load() != nil && d.checked.Load() >= start {
		return d.cur.Load()
	}
	return d.read(ctx)
}

// read reads the sites; d.mu is held. On an error it keeps the last known
// sites (nil, the default site only, before any) and the next request
// tries again.
func (d *siteDirectory) read(ctx context.Context) *cms.SiteResolver {
	d.dirty.Store(false) // cleared first: an invalidate during the read marks it stale again
	start := time.Now().UnixNano()
	sites, err := d.src.FindSites(cms.NewContextAllSites(ctx))
	if err != nil {
		d.dirty.Store(true)
		return d.cur.Load()
	}
	r := cms.NewSiteResolver(sites)
	d.cur.Store(r)
	d.checked.Store(start)
	return r
}

// invalidate makes the next request read the sites again.
func (d *siteDirectory) invalidate() {
	if d != nil {
		d.dirty.Store(true)
	}
}

// siteScope puts the request's site into its context.
func (s *Server) siteScope(c *gin.Context) {
	arrived := time.Now().UnixNano()
	ctx := c.Request.Context()
	if h := s.forwardedHost(c); h != "" {
		// The host the reader asked for, for everything after this that
		// looks at it (the site, beacons' referrers, absolute links).
		c.Request.Host = h
	}
	r := s.sites.resolver(ctx)
	id := r.ByHost(c.Request.Host)
	if ref := strings.TrimSpace(c.GetHeader(cms.SiteHeader)); ref != "" && managementPath(c.Request.URL.Path) {
		site := r.ByRef(ref)
		if site == nil {
			// A site created a moment ago (on the command line, on another
			// replica) is named before the directory's next read.
			r = s.sites.since(ctx, arrived)
			site = r.ByRef(ref)
		}
		if site == nil {
			if r != nil || (ref != "1" && ref != "main") {
				s.writeError(c, cms.Errorf(cms.ENOTFOUND, "站点不存在：%s", ref))
				return
			}
		} else {
			id = site.ID
		}
	}
	c.Request = c.Request.WithContext(cms.NewContextWithSite(ctx, id))
	c.Next()
}

// managementPath reports whether path is a management API route, the only
// ones the Huimin-Site header applies to.
func managementPath(path string) bool {
	return strings.HasPrefix(path, "/api/v1/") && !strings.HasPrefix(path, "/api/v1/content/") &&
		path != "/api/v1/beacon" && path != "/api/v1/beacon.gif"
}

// requireSiteRole lets through only users with a role in the request's
// site (platform admins have one everywhere).
func (s *Server) requireSiteRole(c *gin.Context) {
	if u := currentUser(c); u == nil || u.Role == "" {
		s.writeError(c, cms.Errorf(cms.EFORBIDDEN, "您在该站点没有权限，请切换站点或联系平台管理员"))
		return
	}
	c.Next()
}

// siteID is the site a request acts in.
func siteID(c *gin.Context) int64 { return cms.SiteIDFromContext(c.Request.Context()) }

// forwardedHost returns the first X-Forwarded-Host of a request from a
// trusted proxy, "" for any other request or a value that is not a host.
// Trust is Gin's decision for X-Forwarded-For (--trusted-proxies): the
// peer's address is in one of the networks, or the server listens on a
// Unix socket. A reader's own X-Forwarded-Host is ignored, so nobody picks
// another site's pages from outside.
func (s *Server) forwardedHost(c *gin.Context) string {
	v := c.Request.Header.Values("X-Forwarded-Host")
	if len(v) == 0 || !s.trustedPeer(c.Request) {
		return ""
	}
	h, _, _ := strings.Cut(v[0], ",")
	h = strings.TrimSpace(h)
	if h == "" || len(h) > 261 {
		return ""
	}
	for _, r := range h {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune(".-:[]", r)) {
			return ""
		}
	}
	return h
}

// trustedPeer reports whether r came from a trusted proxy.
func (s *Server) trustedPeer(r *http.Request) bool {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && strings.HasPrefix(a.Network(), "unix") {
		return true
	}
	host, _, err := net.SplitHostPort(strings.TrimSpace(r.RemoteAddr))
	ip := net.ParseIP(host)
	if err != nil || ip == nil {
		return false
	}
	for _, n := range s.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// proxyNets parses trusted proxies as Gin's SetTrustedProxies does (an
// address is a network of one); the list was already accepted by Gin.
func proxyNets(list []string) []*net.IPNet {
	var out []*net.IPNet
	for _, p := range list {
		if !strings.Contains(p, "/") {
			ip := net.ParseIP(p)
			if ip == nil {
				continue
			}
			if ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}
