package cms

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// DefaultSiteID is the site an installation starts with, and the one a
// database from before sites existed becomes: its URLs, paths and users
// stay as they were.
const DefaultSiteID int64 = 1

// Site is one bureau's campaign site (站点) on a platform that hosts
// several (政府网站集约化). Everything a bureau edits — settings, brands,
// projects, stories, media, pages, dictionary additions, API keys, builds
// and statistics — belongs to exactly one site; users and the platform-wide
// dictionary belong to the platform.
type Site struct {
	ID int64 `json:"id"`
	// Slug names the site in paths (its output directory, its prefix in
	// object storage) and in the management API's Huimin-Site header.
	Slug string `json:"slug"`
	Name string `json:"name"`
	// Hosts are the host names the public site, the content API and
	// preview links answer to (without port). The default site also
	// answers to every host no site names, 127.0.0.1 among them.
	Hosts []string `json:"hosts"`
	// Overview marks the site whose home lists the platform's sites and
	// whose 全市服务品牌 page gathers highlights from them.
	Overview  bool      `json:"overview"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

var siteSlugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
var hostRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$|^\[[0-9a-f:.]+\]$`)

// Validate normalises s's host names (lower case, no port, no duplicates)
// and reports the fields that are wrong.
func (s *Site) Validate() error {
	f := map[string]string{}
	s.Slug = strings.TrimSpace(s.Slug)
	if !siteSlugRe.MatchString(s.Slug) {
		f["slug"] = "站点代号只能由小写字母、数字和连字符组成，以字母或数字开头，不超过40个字符"
	}
	if blank(s.Name) || runes(s.Name) > 60 {
		f["name"] = "站点名称不能为空，且不超过60个字符"
	}
	hosts := make([]string, 0, len(s.Hosts))
	seen := map[string]bool{}
	for _, h := range s.Hosts {
		h = NormalizeHost(h)
		if h == "" || seen[h] {
			continue
		}
		if !hostRe.MatchString(h) {
			f["hosts"] = "域名格式不正确：" + h
			break
		}
		seen[h] = true
		hosts = append(hosts, h)
	}
	if len(hosts) > 20 {
		f["hosts"] = "一个站点最多绑定20个域名"
	}
	s.Hosts = hosts
	return invalidIf(f)
}

// NormalizeHost lower-cases a Host header or host name and drops its port.
func NormalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if strings.HasPrefix(h, "[") { // [::1]:8080
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[:i+1]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

// SiteRole is a user's role in one site.
type SiteRole struct {
	SiteID int64 `json:"site_id"`
	Role   Role  `json:"role"`
	Level  int   `json:"level,omitempty"` // review level 1..3 for reviewers
}

// SiteService manages the platform's sites. Creating and changing sites is
// for platform admins (and the command line, which acts as the system).
type SiteService interface {
	// CreateSite returns EINVALID, ECONFLICT for a taken slug or host name,
	// EFORBIDDEN for a user who is not a platform admin.
	CreateSite(ctx context.Context, s *Site) error
	// FindSites returns every site, the default site first.
	FindSites(ctx context.Context) ([]*Site, error)
	// FindSiteByID returns ENOTFOUND.
	FindSiteByID(ctx context.Context, id int64) (*Site, error)
	// UpdateSite changes name, hosts and overview at s.Version (ECONFLICT
	// with the current site if it changed); the slug never changes.
	UpdateSite(ctx context.Context, s *Site) error
}

const siteKey ctxKey = 1

// NewContextWithSite returns a copy of ctx that acts in site id: every
// store query made with it reads and writes that site's data only.
func NewContextWithSite(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, siteKey, id)
}

// SiteIDFromContext returns the site ctx acts in; DefaultSiteID when none
// was set (the command line and tests of a single-site installation).
func SiteIDFromContext(ctx context.Context) int64 {
	if id, ok := ctx.Value(siteKey).(int64); ok && id > 0 {
		return id
	}
	return DefaultSiteID
}

// SiteResolver maps a request's Host to its site. The zero value answers
// DefaultSiteID for every host.
type SiteResolver struct {
	byHost map[string]*Site
	byID   map[int64]*Site
	bySlug map[string]*Site
	sites  []*Site
}

// NewSiteResolver indexes sites by host name, id and slug.
func NewSiteResolver(sites []*Site) *SiteResolver {
	r := &SiteResolver{byHost: map[string]*Site{}, byID: map[int64]*Site{}, bySlug: map[string]*Site{}, sites: sites}
	for _, s := range sites {
		r.byID[s.ID] = s
		r.bySlug[s.Slug] = s
		for _, h := range s.Hosts {
			r.byHost[h] = s
		}
	}
	return r
}

// ByHost returns the site that answers to host (a Host header, port
// allowed), the default site for a host no site names.
func (r *SiteResolver) ByHost(host string) int64 {
	if r == nil {
		return DefaultSiteID
	}
	if s, ok := r.byHost[NormalizeHost(host)]; ok {
		return s.ID
	}
	return DefaultSiteID
}

// ByRef returns the site named by id ("3") or slug ("jiangyin"), or nil.
func (r *SiteResolver) ByRef(ref string) *Site {
	if r == nil {
		return nil
	}
	if s, ok := r.bySlug[ref]; ok {
		return s
	}
	var id int64
	for _, c := range ref {
		if c < '0' || c > '9' || id > 1<<40 {
			return nil
		}
		id = id*10 + int64(c-'0')
	}
	return r.byID[id]
}

// Site returns the site with id, or nil.
func (r *SiteResolver) Site(id int64) *Site {
	if r == nil {
		return nil
	}
	return r.byID[id]
}

// Sites returns every site, in the order given to NewSiteResolver.
func (r *SiteResolver) Sites() []*Site {
	if r == nil {
		return nil
	}
	return r.sites
}

const allSitesKey ctxKey = 2

// NewContextAllSites returns a copy of ctx whose store queries are not
// scoped to one site: for what is platform-wide by nature (the builder's
// queue across sites, the city overview, the platform admin's lists). A
// request of one site uses it only to learn such platform-wide facts,
// never to read or change another site's data for its answer.
func NewContextAllSites(ctx context.Context) context.Context {
	return context.WithValue(ctx, allSitesKey, true)
}

// AllSitesFromContext reports whether ctx was made by NewContextAllSites.
func AllSitesFromContext(ctx context.Context) bool {
	v, _ := ctx.Value(allSitesKey).(bool)
	return v
}

// SiteHeader names the management API's request header that says which
// site a call acts in (a site id or slug); without it a call acts in the
// site its Host names.
const SiteHeader = "Huimin-Site"
