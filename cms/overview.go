package cms

import (
	"context"
	"strings"
	"time"
)

// The city overview (issue 15): the site with Overview on — the city
// bureau's — lists every other site of the platform on its home, and its
// 全市服务品牌 page (HighlightsURL) shows stories its editors chose from the
// other sites' published ones, linking to them on their own sites.

// HighlightsURL is the overview site's 全市服务品牌 page.
const HighlightsURL = "/highlights/"

// Highlight is a story of another site chosen for the overview site's
// 全市服务品牌 page. It belongs to the overview site.
type Highlight struct {
	ID          int64     `json:"id"`
	StorySiteID int64     `json:"story_site_id"`
	StoryID     int64     `json:"story_id"`
	Position    int       `json:"position"`
	CreatedAt   time.Time `json:"created_at"`
	// Story is the story as its site publishes it now; nil when it is not
	// published there (any more), and the page leaves it out.
	Story *SiteStory `json:"story"`
}

// SiteStory is a published story of one site as the overview shows it.
type SiteStory struct {
	SiteID      int64     `json:"site_id"`
	SiteName    string    `json:"site_name"`
	ID          int64     `json:"id"`
	Slug        string    `json:"slug"`
	Title       string    `json:"title"`
	Summary     string    `json:"summary"`
	Project     string    `json:"project"` // the service brand (品牌项目) it is about
	Cover       *Media    `json:"cover"`
	PublishedAt time.Time `json:"published_at"`
	// URL is the story's page on its own site: absolute when that site has
	// a base URL or a host name (see SiteBase).
	URL string `json:"url"`
}

// OverviewSite is a site as the overview's home lists it.
type OverviewSite struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Organizer string `json:"organizer"` // 主办单位
	URL       string `json:"url"`       // its home: SiteBase + "/"; "" when it has no address
}

// Overview is what the overview site's pages show: the other sites, and
// the highlights whose story is still published, in the editors' order.
type Overview struct {
	Sites      []*OverviewSite
	Highlights []*SiteStory
}

// HighlightFilter selects candidate stories for highlights.
type HighlightFilter struct {
	Q      string // in the title
	SiteID int64  // one other site; 0 for all
	Page   Page
}

// OverviewService keeps the overview site's highlights and reads what its
// pages show. Every method acts in the site ctx names; the methods that
// need it to have Overview on return ECONFLICT (ErrNoOverview) otherwise.
type OverviewService interface {
	// FindOverview returns nil, nil for a site with Overview off.
	FindOverview(ctx context.Context) (*Overview, error)
	// FindHighlightCandidates returns published stories of the other
	// sites, newest first; ECONFLICT.
	FindHighlightCandidates(ctx context.Context, f HighlightFilter) ([]*SiteStory, int, error)
	// FindHighlights returns the site's highlights in order, those whose
	// story is no longer published with a nil Story; ECONFLICT.
	FindHighlights(ctx context.Context) ([]*Highlight, error)
	// AddHighlight appends a published story of another site; ECONFLICT,
	// EINVALID (not published, the site's own story, already chosen).
	AddHighlight(ctx context.Context, siteID, storyID int64) (*Highlight, error)
	// FindHighlightingSites returns the overview sites whose highlights
	// include story storyID of the site ctx acts in: their pages change
	// when it is published again or withdrawn.
	FindHighlightingSites(ctx context.Context, storyID int64) ([]int64, error)
	// RemoveHighlight returns ENOTFOUND.
	RemoveHighlight(ctx context.Context, id int64) error
	// ReorderHighlights puts the highlights in the order of ids, which must
	// name each of them once; ECONFLICT, EINVALID.
	ReorderHighlights(ctx context.Context, ids []int64) ([]*Highlight, error)
}

// ErrNoOverview is the answer of the highlight routes on a site that is
// not the platform's overview site.
func ErrNoOverview() *Error {
	return Errorf(ECONFLICT, "本站点未开启“全市概览”，不能设置全市服务品牌；请平台管理员在站点管理中为市局站点开启")
}

// SiteBase is where a site's pages are, without the trailing slash: its
// base URL when set, else its first host name (scheme-relative, so the
// link keeps the reader's http or https), else "" — the same host.
func SiteBase(baseURL string, hosts []string) string {
	if b := strings.TrimRight(strings.TrimSpace(baseURL), "/"); b != "" {
		return b
	}
	if len(hosts) > 0 {
		return "//" + hosts[0]
	}
	return ""
}
