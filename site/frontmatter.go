package site

import (
	"bytes"
	"html"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/huimin/huimin/cms"
)

type homeFront struct {
	Title  string     `toml:"title"`
	Params homeParams `toml:"params"`
}

type homeParams struct {
	Brand *brandParams `toml:"brand,omitempty"`
	// Count is the number of live stories; Latest the newest ones, as many
	// as the feed shows (the home page shows the first few).
	Count  int    `toml:"count"`
	Latest []card `toml:"latest"`
	// Overview is on the overview site only (overview.go).
	Overview *homeOverview `toml:"overview,omitempty"`
}

type brandParams struct {
	ID     int64  `toml:"id"`
	Name   string `toml:"name"`
	Slogan string `toml:"slogan"`
}

type sectionFront struct {
	Title  string      `toml:"title"`
	Params *listParams `toml:"params,omitempty"`
}

// listParams is what the first page of a list shows: its newest stories,
// how many there are, and where the older ones are.
type listParams struct {
	Count int    `toml:"count"`
	More  string `toml:"more,omitempty"` // the archive page holding the next older stories
	Items []card `toml:"items"`
}

type projectFront struct {
	Title   string        `toml:"title"`
	Summary string        `toml:"summary,omitempty"` // HTML-escaped: .html content renders it as HTML
	Weight  int           `toml:"weight"`
	Lastmod time.Time     `toml:"lastmod"`
	Params  projectParams `toml:"params"`
}

type projectParams struct {
	ID        int64  `toml:"id"`
	Slug      string `toml:"slug"`
	Kind      string `toml:"kind"`
	KindLabel string `toml:"kind_label"`
	Area      string `toml:"area"`
	AreaLabel string `toml:"area_label"`
	Parent    string `toml:"parent,omitempty"` // slug of the parent project of a sub-team
	Version   int    `toml:"version"`
	Count     int    `toml:"count"`
	More      string `toml:"more,omitempty"`
	Items     []card `toml:"items"`
}

type tagFront struct {
	Title  string     `toml:"title"`
	URL    string     `toml:"url"`
	Params listParams `toml:"params"`
}

type tagsFront struct {
	Title  string     `toml:"title"`
	Params tagsParams `toml:"params"`
}

type tagsParams struct {
	Terms []termLink `toml:"terms"` // most used first
}

type termLink struct {
	Name  string `toml:"name"`
	URL   string `toml:"url"`
	Count int    `toml:"count"`
}

// archiveFront is one page of a list's older stories.
type archiveFront struct {
	Title  string        `toml:"title"`
	URL    string        `toml:"url"`
	Build  buildOptions  `toml:"build"`
	Params archiveParams `toml:"params"`
}

type archiveParams struct {
	List     link      `toml:"list"` // the list's first page
	Number   int       `toml:"number"`
	From     time.Time `toml:"from"` // dates of its oldest and newest story
	To       time.Time `toml:"to"`
	NewerURL string    `toml:"newer_url"`
	OlderURL string    `toml:"older_url,omitempty"`
	Items    []card    `toml:"items"`
}

type archiveSectionFront struct {
	Title string       `toml:"title"`
	Build buildOptions `toml:"build"`
}

type buildOptions struct {
	List   string `toml:"list,omitempty"`
	Render string `toml:"render,omitempty"`
}

type pageFront struct {
	Title   string     `toml:"title"`
	Weight  int        `toml:"weight"`
	Lastmod time.Time  `toml:"lastmod"`
	Params  pageParams `toml:"params"`
}

type pageParams struct {
	ID      int64 `toml:"id"`
	Version int   `toml:"version"`
}

type storyFront struct {
	Title    string      `toml:"title"`
	Date     time.Time   `toml:"date"`
	Lastmod  time.Time   `toml:"lastmod"`
	Slug     string      `toml:"slug"`
	Summary  string      `toml:"summary,omitempty"` // HTML-escaped
	Aliases  []string    `toml:"aliases"`
	Tags     []string    `toml:"tags,omitempty"`
	Projects []string    `toml:"projects,omitempty"` // the project's slug: its term page
	Params   storyParams `toml:"params"`
}

type storyParams struct {
	ID         int64        `toml:"id"`
	Version    int          `toml:"version"`
	ShortURL   string       `toml:"short_url"`
	ShareTitle string       `toml:"share_title,omitempty"`
	Author     string       `toml:"author,omitempty"`
	Source     string       `toml:"source,omitempty"`
	Project    *projectRef  `toml:"project,omitempty"`
	Cover      *coverParams `toml:"cover,omitempty"`
	// Newer and Older are the neighbours in the story's project; Related
	// the stories shown under it. Related is always written, so templates
	// can tell exported stories from the sample content.
	Newer   *link  `toml:"newer,omitempty"`
	Older   *link  `toml:"older,omitempty"`
	Related []card `toml:"related"`
}

// projectRef repeats what a story page shows of its project, so rendering a
// story does not need the project's page.
type projectRef struct {
	ID   int64  `toml:"id"`
	Slug string `toml:"slug"`
	Name string `toml:"name"`
	Kind string `toml:"kind"`
	Area string `toml:"area"`
	URL  string `toml:"url"`
}

type coverParams struct {
	ID       int64           `toml:"id"`
	Src      string          `toml:"src"` // the variant to show: original aspect, ≤ 1280 px wide if possible
	Srcset   string          `toml:"srcset,omitempty"`
	Width    int             `toml:"width"`
	Height   int             `toml:"height"`
	Alt      string          `toml:"alt"`
	Caption  string          `toml:"caption,omitempty"`
	Credit   string          `toml:"credit,omitempty"`
	Variants []variantParams `toml:"variants"` // every variant, crops included (share cards)
}

type variantParams struct {
	Name   string `toml:"name"`
	Width  int    `toml:"width"`
	Height int    `toml:"height"`
	URL    string `toml:"url"`
}

// card is a story as lists show it.
type card struct {
	URL     string         `toml:"url"`
	Title   string         `toml:"title"`
	Date    time.Time      `toml:"date"`
	Lastmod time.Time      `toml:"lastmod"`
	Summary string         `toml:"summary,omitempty"` // plain text
	Author  string         `toml:"author,omitempty"`
	Project *navLink       `toml:"project,omitempty"`
	Thumb   *variantParams `toml:"thumb,omitempty"`
}

type link struct {
	Title string `toml:"title"`
	URL   string `toml:"url"`
}

// storyFrontOf is a story's front matter without neighbours; aliases are
// the old-slug URLs it redirects from.
func storyFrontOf(ls *cms.LiveStory, aliases []string) *storyFront {
	fm := &storyFront{
		Title:   ls.Title,
		Date:    storyDate(ls),
		Lastmod: storyLastmod(ls),
		Slug:    ls.Slug,
		Summary: html.EscapeString(ls.Summary),
		Aliases: append([]string{cms.ShortURL(ls.ID)}, aliases...),
		Tags:    cleanTags(ls.Tags),
		Params: storyParams{
			ID: ls.ID, Version: ls.Version, ShortURL: cms.ShortURL(ls.ID),
			ShareTitle: ls.ShareTitle, Author: ls.Author, Source: ls.Source,
			Cover: cover(ls.Cover), Related: []card{},
		},
	}
	if p := ls.Project; cms.SlugPattern.MatchString(p.Slug) {
		fm.Projects = []string{p.Slug}
		fm.Params.Project = &projectRef{ID: p.ID, Slug: p.Slug, Name: p.Name, Kind: string(p.Kind), Area: string(p.Area), URL: cms.ProjectURL(p.Slug)}
	}
	return fm
}

// storyDate is when a story was first published; lists sort by it.
func storyDate(ls *cms.LiveStory) time.Time {
	date := ls.PublishedAt
	if date.IsZero() {
		date = ls.UpdatedAt
	}
	return date.In(chinaTime).Truncate(time.Second)
}

func storyLastmod(ls *cms.LiveStory) time.Time {
	date := storyDate(ls)
	lastmod := ls.UpdatedAt.In(chinaTime).Truncate(time.Second)
	if lastmod.Before(date) {
		return date
	}
	return lastmod
}

// cleanTags drops empty and repeated tags (the same tag in other letter
// case or spacing is the same page) and tags no URL can be made of. A slash
// would nest the tag's page, so it becomes a hyphen.
func cleanTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(strings.NewReplacer("/", "-", `\`, "-").Replace(t))
		k := tagKey(t)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out
}

// cover picks the variants to show: those with the original's aspect ratio
// (others are crops for share cards), the one shown being the widest up to
// 1280 px. Originals are never served, so no variant means no cover.
func cover(m *cms.Media) *coverParams {
	if m == nil || len(m.Variants) == 0 {
		return nil
	}
	c := &coverParams{ID: m.ID, Alt: m.Alt, Caption: m.Caption, Credit: m.Credit}
	var same []cms.MediaVariant
	for _, v := range m.Variants {
		c.Variants = append(c.Variants, variantParams{Name: v.Name, Width: v.Width, Height: v.Height, URL: v.URL})
		if v.Width > 0 && v.Height > 0 && (m.Width == 0 || m.Height == 0 ||
			math.Abs(float64(v.Width)/float64(v.Height)-float64(m.Width)/float64(m.Height)) < 0.02*float64(m.Width)/float64(m.Height)) {
			same = append(same, v)
		}
	}
	if len(same) == 0 {
		same = m.Variants[:1]
	}
	sort.SliceStable(same, func(i, j int) bool { return same[i].Width < same[j].Width })
	pick := same[0]
	var set []string
	for _, v := range same {
		if v.Width <= 1280 {
			pick = v
		}
		if v.Width > 0 {
			set = append(set, v.URL+" "+strconv.Itoa(v.Width)+"w")
		}
	}
	c.Src, c.Width, c.Height = pick.URL, pick.Width, pick.Height
	if len(set) > 1 {
		c.Srcset = strings.Join(set, ", ")
	}
	return c
}

// encodeContent renders a content file: TOML front matter, then the HTML
// body. "{{" is written as "{&#123;" (the same text to a browser) so a body
// can never be read as a Hugo shortcode.
func encodeContent(b *bytes.Buffer, front any, body string) error {
	b.WriteString("+++\n")
	if err := toml.NewEncoder(b).Encode(front); err != nil {
		return err
	}
	b.WriteString("+++\n")
	if body != "" {
		b.WriteString(strings.ReplaceAll(body, "{{", "{&#123;"))
		if !strings.HasSuffix(body, "\n") {
			b.WriteByte('\n')
		}
	}
	return nil
}
