package site

import (
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

// The city overview (issue 15). On the site with overview on, the export
// writes into the home page's front matter the platform's other sites
// (各区（县）民政局) and how many highlights there are, and a page at
// cms.HighlightsURL (highlights/_index.html) carrying the highlights whose
// story is still published on its site, grouped by site in the editors'
// order, each linking to the story on its own site. Both pages render from
// their own files, like every page (export.go); other sites get neither.

// homeOverview is what the overview site's home shows of the platform.
type homeOverview struct {
	Sites      []siteLink `toml:"sites"`
	Highlights int        `toml:"highlights"` // how many the 全市服务品牌 page shows
	URL        string     `toml:"url"`        // that page
}

type siteLink struct {
	Name      string `toml:"name"`
	URL       string `toml:"url"`
	Organizer string `toml:"organizer,omitempty"`
}

type highlightsFront struct {
	Title   string           `toml:"title"`
	Lastmod time.Time        `toml:"lastmod"`
	Params  highlightsParams `toml:"params"`
}

type highlightsParams struct {
	Count  int              `toml:"count"`
	Groups []highlightGroup `toml:"groups"`
}

// highlightGroup is one site's highlights, in the editors' order.
type highlightGroup struct {
	Site  string          `toml:"site"`
	URL   string          `toml:"url"` // the site's home
	Items []highlightItem `toml:"items"`
}

// highlightItem is a story of another site; URL and the thumbnail's URL
// are on that site (absolute when it has a base URL or a host name).
type highlightItem struct {
	URL     string         `toml:"url"`
	Title   string         `toml:"title"`
	Date    time.Time      `toml:"date"`
	Summary string         `toml:"summary,omitempty"` // plain text
	Project string         `toml:"project,omitempty"`
	Thumb   *variantParams `toml:"thumb,omitempty"`
}

// highlightsTitle is the page's title, and its link text on the home.
const highlightsTitle = "全市服务品牌"

// homeOverviewOf is the home's part of o; nil without overview.
func homeOverviewOf(o *cms.Overview) *homeOverview {
	if o == nil {
		return nil
	}
	h := &homeOverview{Sites: []siteLink{}, Highlights: len(o.Highlights), URL: cms.HighlightsURL}
	for _, s := range o.Sites {
		h.Sites = append(h.Sites, siteLink{Name: s.Name, URL: s.URL, Organizer: s.Organizer})
	}
	return h
}

// overview adds the 全市服务品牌 page of the overview site.
func (x *deriver) overview() {
	o := x.m.overview
	if o == nil {
		return
	}
	fm := highlightsFront{Title: highlightsTitle, Params: highlightsParams{Count: len(o.Highlights), Groups: []highlightGroup{}}}
	home := map[int64]string{}
	for _, s := range o.Sites {
		home[s.ID] = s.URL
	}
	at := map[int64]int{} // site → its group
	for _, st := range o.Highlights {
		i, ok := at[st.SiteID]
		if !ok {
			i = len(fm.Params.Groups)
			at[st.SiteID] = i
			fm.Params.Groups = append(fm.Params.Groups, highlightGroup{Site: st.SiteName, URL: home[st.SiteID]})
		}
		it := highlightItem{URL: st.URL, Title: st.Title, Date: st.PublishedAt.In(chinaTime).Truncate(time.Second),
			Summary: clip(strings.Join(strings.Fields(st.Summary), " "), cardSummary), Project: st.Project, Thumb: thumb(st.Cover)}
		fm.Params.Groups[i].Items = append(fm.Params.Groups[i].Items, it)
		if it.Date.After(fm.Lastmod) {
			fm.Lastmod = it.Date
		}
	}
	x.add("highlights/_index.html", nil, func() (any, string) { return fm, "" })
	x.d.urls = append(x.d.urls, sitemapURL{loc: cms.HighlightsURL, lastmod: fm.Lastmod})
}
