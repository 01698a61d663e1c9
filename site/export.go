package site

import (
	"bytes"
	"context"
	"html"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/huimin/huimin/cms"
)

// The export writes live content into <DataDir>/site/content, which the
// build mounts as Hugo's content directory:
//
//	_index.html                  home: brand name and slogan; body = brand intro
//	stories/_index.html          the stories section (/stories/)
//	stories/<id>.html            a live story at /stories/<slug>/
//	projects/_index.html         the projects taxonomy page (/projects/)
//	projects/<slug>/_index.html  a project's term page; body = intro
//	tags/_index.html             the tags taxonomy page (/tags/)
//	<slug>.html                  a standing page at /<slug>/
//
// Content files are .html with TOML front matter: bodies are HTML sanitised
// by the CMS on the way in, and Hugo emits .html content as is, whereas
// Markdown would re-parse it (indentation becomes code blocks, blank lines
// end HTML blocks). Stories are named by id, not slug, so a re-slug edits a
// file instead of deleting one and adding another.
//
// Site settings and the navigation go into a config overlay (site.toml) as
// params: they change rarely, a change to them means a full build anyway,
// and templates reading them do not depend on any page collection.

const overlayName = "site.toml"

// chinaTime is the zone dates are shown in; China has no daylight saving.
var chinaTime = time.FixedZone("CST", 8*60*60)

// reservedSlugs are first path segments a standing page may not take.
var reservedSlugs = map[string]bool{
	"stories": true, "projects": true, "tags": true, "s": true, "page": true,
	"api": true, "admin": true, "media": true, "healthz": true, "css": true,
	"js": true, "images": true, "assets": true, "index": true, "404": true,
}

type homeFront struct {
	Title  string     `toml:"title"`
	Params homeParams `toml:"params"`
}

type homeParams struct {
	Brand *brandParams `toml:"brand,omitempty"`
}

type brandParams struct {
	ID     int64  `toml:"id"`
	Name   string `toml:"name"`
	Slogan string `toml:"slogan"`
}

type sectionFront struct {
	Title string `toml:"title"`
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

// overlay is the generated site.toml; it overrides the project's config.
// Every key is always written, even empty, so no sample value of the
// project's config.toml reaches the public site.
type overlay struct {
	BaseURL string         `toml:"baseURL"`
	Title   string         `toml:"title"`
	Params  overlayParams  `toml:"params"`
	Module  overlayModules `toml:"module"`
}

type overlayParams struct {
	Organizer    string    `toml:"organizer"`
	Contact      string    `toml:"contact"`
	ICP          string    `toml:"icp"`
	PoliceRecord string    `toml:"police_record"`
	GovSiteCode  string    `toml:"gov_site_code"`
	Nav          navParams `toml:"nav"`
}

type navParams struct {
	Kinds []navKind `toml:"kinds"`
	Pages []navPage `toml:"pages"`
}

type navKind struct {
	Kind     string    `toml:"kind"`
	Label    string    `toml:"label"`
	Projects []navLink `toml:"projects"`
}

type navLink struct {
	Name string `toml:"name"`
	URL  string `toml:"url"`
}

type navPage struct {
	Title string `toml:"title"`
	URL   string `toml:"url"`
}

type overlayModules struct {
	Mounts []mount `toml:"mounts"`
}

type mount struct {
	Source string `toml:"source"`
	Target string `toml:"target"`
}

type exportStats struct {
	stories int
	changed int // files written or removed
}

// export syncs the content directory with the live content and writes the
// config overlay. Callers hold the build lock.
func (s *Site) export(ctx context.Context) (st exportStats, err error) {
	defer cms.Wrap(&err, "exporting content")
	settings, err := s.cfg.Settings.FindSettings(ctx)
	if err != nil {
		return st, err
	}
	brands, err := s.cfg.Projects.FindBrands(ctx)
	if err != nil {
		return st, err
	}
	projects, err := s.findProjects(ctx)
	if err != nil {
		return st, err
	}
	pages, err := s.cfg.Pages.FindPages(ctx)
	if err != nil {
		return st, err
	}
	sort.SliceStable(pages, func(i, j int) bool {
		if pages[i].Position != pages[j].Position {
			return pages[i].Position < pages[j].Position
		}
		return pages[i].ID < pages[j].ID
	})

	t := &tree{root: s.path("content"), keep: map[string]bool{}}

	home := homeFront{Title: siteTitle(settings)}
	intro := ""
	if len(brands) > 0 {
		b := brands[0]
		home.Params.Brand = &brandParams{ID: b.ID, Name: b.Name, Slogan: b.Slogan}
		intro = b.Intro
	}
	if err := t.put("_index.html", home, intro); err != nil {
		return st, err
	}
	for _, sec := range []struct{ name, title string }{
		{"stories", "全部稿件"}, {"projects", "品牌项目"}, {"tags", "标签"},
	} {
		if err := t.put(sec.name+"/_index.html", sectionFront{Title: sec.title}, ""); err != nil {
			return st, err
		}
	}

	slugs := map[int64]string{}
	for _, p := range projects {
		slugs[p.ID] = p.Slug
	}
	for i, p := range projects {
		if !cms.SlugPattern.MatchString(p.Slug) {
			s.log.Warn("export: skipping project with a bad slug", "project", p.ID, "slug", p.Slug)
			continue
		}
		fm := projectFront{
			Title:   p.Name,
			Summary: html.EscapeString(p.Summary),
			Weight:  i + 1,
			Lastmod: p.UpdatedAt.In(chinaTime).Truncate(time.Second),
			Params: projectParams{
				ID: p.ID, Slug: p.Slug, Version: p.Version,
				Kind: string(p.Kind), KindLabel: p.Kind.Label(),
				Area: string(p.Area), AreaLabel: p.Area.Label(),
			},
		}
		if p.ParentID != nil {
			fm.Params.Parent = slugs[*p.ParentID]
		}
		if err := t.put("projects/"+p.Slug+"/_index.html", fm, p.Intro); err != nil {
			return st, err
		}
	}

	var navPages []navPage
	for i, p := range pages {
		if !cms.SlugPattern.MatchString(p.Slug) || reservedSlugs[p.Slug] {
			s.log.Warn("export: skipping standing page with a reserved or bad slug", "page", p.ID, "slug", p.Slug)
			continue
		}
		fm := pageFront{
			Title:   p.Title,
			Weight:  i + 1,
			Lastmod: p.UpdatedAt.In(chinaTime).Truncate(time.Second),
			Params:  pageParams{ID: p.ID, Version: p.Version},
		}
		if err := t.put(p.Slug+".html", fm, p.Body); err != nil {
			return st, err
		}
		navPages = append(navPages, navPage{Title: p.Title, URL: cms.PageURL(p.Slug)})
	}

	if st.stories, err = s.exportStories(ctx, t); err != nil {
		return st, err
	}

	ov, err := s.overlay(settings, projects, navPages)
	if err != nil {
		return st, err
	}
	if changed, err := writeIfChanged(s.path(overlayName), ov); err != nil {
		return st, err
	} else if changed {
		t.changed++
	}
	if err := t.prune(); err != nil {
		return st, err
	}
	st.changed = t.changed
	return st, nil
}

func siteTitle(set *cms.Settings) string {
	if strings.TrimSpace(set.SiteName) == "" {
		return "惠民"
	}
	return set.SiteName
}

func (s *Site) findProjects(ctx context.Context) ([]*cms.Project, error) {
	var all []*cms.Project
	for page := 1; ; page++ {
		ps, total, err := s.cfg.Projects.FindProjects(ctx, cms.ProjectFilter{Page: cms.Page{Page: page, PerPage: cms.MaxPerPage}})
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
		if len(ps) == 0 || len(all) >= total {
			return all, nil
		}
	}
}

// overlay renders site.toml: settings, navigation and the content mount.
func (s *Site) overlay(set *cms.Settings, projects []*cms.Project, pages []navPage) ([]byte, error) {
	base := strings.TrimSpace(set.BaseURL)
	if base == "" {
		base = "/"
	} else if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	nav := navParams{Pages: pages}
	if nav.Pages == nil {
		nav.Pages = []navPage{}
	}
	for _, k := range cms.ProjectKinds {
		nk := navKind{Kind: string(k), Label: k.Label(), Projects: []navLink{}}
		for _, p := range projects {
			if p.Kind == k && p.ParentID == nil && cms.SlugPattern.MatchString(p.Slug) {
				nk.Projects = append(nk.Projects, navLink{Name: p.Name, URL: cms.ProjectURL(p.Slug)})
			}
		}
		nav.Kinds = append(nav.Kinds, nk)
	}
	// Hugo data files are not used; mounting an empty directory keeps a
	// data/ directory in the project (./data is Huimin's default data
	// directory) from being read as Hugo data.
	noData := s.path("hugo-data")
	if err := os.MkdirAll(noData, 0o755); err != nil {
		return nil, err
	}
	ov := overlay{
		BaseURL: base,
		Title:   siteTitle(set),
		Params: overlayParams{
			Organizer: set.Organizer, Contact: set.Contact, ICP: set.ICP,
			PoliceRecord: set.PoliceRecord, GovSiteCode: set.GovSiteCode, Nav: nav,
		},
		Module: overlayModules{Mounts: []mount{
			{Source: s.path("content"), Target: "content"},
			{Source: noData, Target: "data"},
		}},
	}
	var b bytes.Buffer
	b.WriteString("# Generated by Huimin from the site settings on every build; do not edit.\n")
	if err := toml.NewEncoder(&b).Encode(ov); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// storyExport streams live stories into the tree and keeps what it needs to
// resolve URL clashes: an old slug may since have been taken by another story.
type storyExport struct {
	s       *Site
	t       *tree
	live    map[string]int64 // story URL → id
	aliases map[string]int64 // old-slug URL → the story redirecting from it
	slugs   map[int64]string // id → slug, for stories with old slugs
}

func (s *Site) exportStories(ctx context.Context, t *tree) (int, error) {
	e := &storyExport{s: s, t: t, live: map[string]int64{}, aliases: map[string]int64{}, slugs: map[int64]string{}}
	n := 0
	err := s.cfg.Content.EachLiveStory(ctx, func(ls *cms.LiveStory) error {
		if !cms.SlugPattern.MatchString(ls.Slug) {
			s.log.Warn("export: skipping story with a bad slug", "story", ls.ID, "slug", ls.Slug)
			return nil
		}
		url := cms.StoryURL(ls.Slug)
		if other, ok := e.live[url]; ok {
			s.log.Warn("export: two live stories share a slug", "story", ls.ID, "other", other, "slug", ls.Slug)
			return nil
		}
		e.live[url] = ls.ID
		n++
		return e.put(ls)
	})
	if err != nil {
		return n, err
	}
	// A story exported earlier may redirect from a URL a later story now
	// lives at; write it again without that alias.
	redo := map[int64]bool{}
	for url, owner := range e.aliases {
		if id, ok := e.live[url]; ok && id != owner {
			redo[owner] = true
		}
	}
	for id := range redo {
		ls, err := s.cfg.Content.FindLiveStoryBySlug(ctx, e.slugs[id])
		if err != nil {
			return n, err
		}
		if err := e.put(ls); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (e *storyExport) put(ls *cms.LiveStory) error {
	aliases := []string{cms.ShortURL(ls.ID)}
	for _, old := range ls.OldSlugs {
		url := cms.StoryURL(old)
		if old == ls.Slug || !cms.SlugPattern.MatchString(old) {
			continue
		}
		if _, taken := e.live[url]; taken {
			continue
		}
		if owner, ok := e.aliases[url]; ok && owner != ls.ID {
			continue // first claim wins; stories come in id order
		}
		e.aliases[url] = ls.ID
		e.slugs[ls.ID] = ls.Slug
		aliases = append(aliases, url)
	}
	date := ls.PublishedAt
	if date.IsZero() {
		date = ls.UpdatedAt
	}
	lastmod := ls.UpdatedAt
	if lastmod.Before(date) {
		lastmod = date
	}
	fm := storyFront{
		Title:   ls.Title,
		Date:    date.In(chinaTime).Truncate(time.Second),
		Lastmod: lastmod.In(chinaTime).Truncate(time.Second),
		Slug:    ls.Slug,
		Summary: html.EscapeString(ls.Summary),
		Aliases: aliases,
		Tags:    cleanTags(ls.Tags),
		Params: storyParams{
			ID: ls.ID, Version: ls.Version, ShortURL: cms.ShortURL(ls.ID),
			ShareTitle: ls.ShareTitle, Author: ls.Author, Source: ls.Source,
			Cover: cover(ls.Cover),
		},
	}
	if p := ls.Project; cms.SlugPattern.MatchString(p.Slug) {
		fm.Projects = []string{p.Slug}
		fm.Params.Project = &projectRef{ID: p.ID, Slug: p.Slug, Name: p.Name, Kind: string(p.Kind), Area: string(p.Area), URL: cms.ProjectURL(p.Slug)}
	}
	return e.t.put("stories/"+strconv.FormatInt(ls.ID, 10)+".html", fm, ls.Body)
}

func cleanTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
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

// tree writes files under root, leaving unchanged files alone, and deletes
// every file it was not asked to write when pruned.
type tree struct {
	root    string
	keep    map[string]bool
	changed int
}

// put writes a content file: TOML front matter, then the HTML body. "{{" is
// written as "{&#123;" (the same text to a browser) so a body can never be
// read as a Hugo shortcode.
func (t *tree) put(rel string, front any, body string) error {
	var b bytes.Buffer
	b.WriteString("+++\n")
	if err := toml.NewEncoder(&b).Encode(front); err != nil {
		return err
	}
	b.WriteString("+++\n")
	if body != "" {
		b.WriteString(strings.ReplaceAll(body, "{{", "{&#123;"))
		if !strings.HasSuffix(body, "\n") {
			b.WriteByte('\n')
		}
	}
	t.keep[rel] = true
	changed, err := writeIfChanged(filepath.Join(t.root, filepath.FromSlash(rel)), b.Bytes())
	if changed {
		t.changed++
	}
	return err
}

func writeIfChanged(name string, b []byte) (bool, error) {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, b) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return false, err
	}
	return true, os.WriteFile(name, b, 0o644)
}

// prune removes files not written since the tree was made, and then empty
// directories.
func (t *tree) prune() error {
	var dirs []string
	err := filepath.WalkDir(t.root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name != t.root {
				dirs = append(dirs, name)
			}
			return nil
		}
		rel, err := filepath.Rel(t.root, name)
		if err != nil {
			return err
		}
		if !t.keep[filepath.ToSlash(rel)] {
			t.changed++
			return os.Remove(name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- { // deepest first
		if entries, err := os.ReadDir(dirs[i]); err == nil && len(entries) == 0 {
			if err := os.Remove(dirs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}
