package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"html"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
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
//	_index.html                      home: brand name and slogan, the latest stories; body = brand intro
//	stories/_index.html              the stories section (/stories/) with its newest stories
//	stories/<id>.html                a live story at /stories/<slug>/
//	projects/_index.html             the projects taxonomy page (/projects/)
//	projects/<slug>/_index.html      a project's term page with its newest stories; body = intro
//	tags/_index.html                 the tags taxonomy page (/tags/) with every tag and its count
//	tags/<key>/_index.html           a tag's term page with its newest stories
//	archive/<list>/<n>.html          older stories of a list, ten to a page (see model.go)
//	<slug>.html                      a standing page at /<slug>/
//
// Content files are .html with TOML front matter: bodies are HTML sanitised
// by the CMS on the way in, and Hugo emits .html content as is, whereas
// Markdown would re-parse it (indentation becomes code blocks, blank lines
// end HTML blocks). Stories are named by id, not slug, so a re-slug edits a
// file instead of deleting one and adding another.
//
// Every page's file carries what the page shows of other pages: lists carry
// their stories (as cards), stories their neighbours and related stories,
// the tags page every tag with its count. A page therefore renders from its
// own file alone, which is what lets a publish re-render only the files that
// changed (incremental.go). Files that are not Hugo pages — the sitemap and
// the search index — are written to <DataDir>/site/extra, which the build
// publishes as static files.
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
	"search": true, "qr": true, // the theme's search page and QR codes
	"archive": true, "sitemap": true,
}

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

// overlay is the generated site.toml; it overrides the project's config.
// Every key is always written, even empty, so no sample value of the
// project's config.toml reaches the public site.
type overlay struct {
	BaseURL string `toml:"baseURL"`
	Title   string `toml:"title"`
	// DisableKinds turns off Hugo's sitemap: the export writes a sitemap
	// index split into parts (sitemap.go), so a publish rewrites one part
	// instead of a file listing every page.
	DisableKinds []string       `toml:"disableKinds"`
	Params       overlayParams  `toml:"params"`
	Module       overlayModules `toml:"module"`
}

type overlayParams struct {
	Organizer    string    `toml:"organizer"`
	Contact      string    `toml:"contact"`
	ICP          string    `toml:"icp"`
	PoliceRecord string    `toml:"police_record"`
	GovSiteCode  string    `toml:"gov_site_code"`
	WechatAppID  string    `toml:"wechat_app_id"` // public; the theme's JS-SDK script runs only when set
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
	changed int // content and extra files written or removed
}

// export reads all live content and brings the content directory, the
// extra files and the config overlay up to date. Callers hold the build
// lock (or own the Site, in tests).
func (s *Site) export(ctx context.Context) (exportStats, error) {
	ch, err := s.exportContent(ctx, nil)
	if err != nil {
		return exportStats{}, err
	}
	return exportStats{stories: ch.stories, changed: ch.count()}, nil
}

// changes is what an export changed: content files (relative to the
// content directory), extra files (relative to the site root) and whether
// the config overlay changed.
type changes struct {
	written, removed           []string
	extraWritten, extraRemoved []string
	overlay                    bool
	stories                    int
	scanned                    bool // every live story was read
	// From the derivation, for the build: see derived.
	aliases, tagFiles map[string][]string
	archives          map[string]string
	context           []string
	nav               []navPage
}

func (c *changes) count() int {
	n := len(c.written) + len(c.removed) + len(c.extraWritten) + len(c.extraRemoved)
	if c.overlay {
		n++
	}
	return n
}

// exportContent updates the model from the store and writes what changed.
// With hint, only the stories it names are read again, when that is
// enough to know the whole site (see readHinted).
func (s *Site) exportContent(ctx context.Context, hint *hints) (ch *changes, err error) {
	defer cms.Wrap(&err, "exporting content")
	st := s.exp
	if st == nil {
		st = newExportState(s.path("content"), s.path(extraName))
		s.exp = st
	}
	m := st.model
	next := &model{stories: m.stories}
	if next.settings, err = s.cfg.Settings.FindSettings(ctx); err != nil {
		return nil, err
	}
	brands, err := s.cfg.Projects.FindBrands(ctx)
	if err != nil {
		return nil, err
	}
	if len(brands) > 0 {
		next.brand = brands[0]
	}
	if next.projects, err = s.findProjects(ctx); err != nil {
		return nil, err
	}
	if next.pages, err = s.cfg.Pages.FindPages(ctx); err != nil {
		return nil, err
	}
	sort.SliceStable(next.pages, func(i, j int) bool {
		if next.pages[i].Position != next.pages[j].Position {
			return next.pages[i].Position < next.pages[j].Position
		}
		return next.pages[i].ID < next.pages[j].ID
	})

	// Stories carry their project's name, so a changed project means
	// reading every story again, as does anything a hint cannot name. Now
	// and then everything is read anyway, in case another process changed
	// stories without building.
	scan := hint == nil || hint.all || m.stories == nil || !reflect.DeepEqual(m.projects, next.projects) ||
		time.Since(st.scanned) > scanEvery
	if !scan {
		stories, ok, err := s.readHinted(ctx, m.stories, hint.list())
		if err != nil {
			return nil, err
		}
		if ok {
			next.stories = stories
		} else {
			scan = true
		}
	}
	if scan {
		if next.stories, err = s.readAll(ctx, m.stories); err != nil {
			return nil, err
		}
		st.scanned = time.Now()
	}

	ch = &changes{scanned: scan}
	st.x.begin()
	d, infos := next.derive(s.log, st.infos)
	st.infos = infos
	if err := st.x.emitAll(d); err != nil {
		return nil, err
	}
	ch.written, ch.removed = st.x.end()
	ch.aliases, ch.tagFiles, ch.archives, ch.context, ch.nav = d.aliases, d.tagFiles, d.archives, d.context, d.nav
	ch.stories = len(d.published)

	if err := st.writeExtras(sitemaps(next.settings, d), d.published, ch); err != nil {
		return nil, err
	}

	ov, err := s.overlay(next.settings, next.projects, d.nav)
	if err != nil {
		return nil, err
	}
	if ch.overlay, err = writeIfChanged(s.path(overlayName), ov); err != nil {
		return nil, err
	}
	st.model = next
	return ch, nil
}

// exportState is what the export keeps between builds: the model it last
// derived the files from, and what it wrote.
type exportState struct {
	model    *model
	x        *fileWriter // content files
	extra    *extraWriter
	search   *searchIndex
	sitemaps map[string]bool
	infos    map[*cms.LiveStory]*storyInfo
	scanned  time.Time // when every story was last read
}

// scanEvery is how often an export reads every story even when the build
// names the stories that changed.
const scanEvery = 10 * time.Minute

func newExportState(content, extra string) *exportState {
	return &exportState{
		model: &model{}, x: newFileWriter(content), extra: &extraWriter{root: extra},
		search: newSearchIndex(), sitemaps: map[string]bool{},
	}
}

// writeExtras writes the sitemap files and what changed in the search
// index, and records them in ch.
func (st *exportState) writeExtras(sitemap map[string][]byte, published map[int64]*cms.LiveStory, ch *changes) error {
	w := st.extra
	w.written, w.removed = nil, nil
	for name, b := range sitemap {
		if err := w.put(name, b); err != nil {
			return err
		}
	}
	for name := range st.sitemaps {
		if sitemap[name] == nil {
			if err := w.remove(name); err != nil {
				return err
			}
		}
	}
	st.sitemaps = map[string]bool{}
	for name := range sitemap {
		st.sitemaps[name] = true
	}
	changed, removed := st.search.update(published)
	for name, b := range changed {
		if err := w.put(name, b); err != nil {
			return err
		}
	}
	for _, name := range removed {
		if err := w.remove(name); err != nil {
			return err
		}
	}
	if err := w.sweep(); err != nil {
		return err
	}
	ch.extraWritten, ch.extraRemoved = w.written, w.removed
	sort.Strings(ch.extraWritten)
	sort.Strings(ch.extraRemoved)
	return nil
}

// extraWriter writes the export's extra files: files the build publishes as
// they are, below the site root.
type extraWriter struct {
	root             string
	memo             map[string]uint64 // file → hash of what was written
	written, removed []string
	swept            bool
}

func (w *extraWriter) put(rel string, b []byte) error {
	h := maphash.Bytes(hashSeed, b)
	if old, ok := w.memo[rel]; ok && old == h {
		return nil
	}
	name := filepath.Join(w.root, filepath.FromSlash(rel))
	if w.memo == nil {
		w.memo = map[string]uint64{}
	}
	w.memo[rel] = h
	if changed, err := writeIfChanged(name, b); err != nil || !changed {
		return err
	}
	w.written = append(w.written, rel)
	return nil
}

func (w *extraWriter) remove(rel string) error {
	delete(w.memo, rel)
	if err := os.Remove(filepath.Join(w.root, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	w.removed = append(w.removed, rel)
	return nil
}

// sweep removes, once per process, files an earlier process left that
// this one did not write.
func (w *extraWriter) sweep() error {
	if w.swept {
		return nil
	}
	w.swept = true
	var dirs []string
	err := filepath.WalkDir(w.root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name != w.root {
				dirs = append(dirs, name)
			}
			return nil
		}
		rel, err := filepath.Rel(w.root, name)
		if err != nil {
			return err
		}
		if _, ok := w.memo[filepath.ToSlash(rel)]; !ok {
			return w.remove(filepath.ToSlash(rel))
		}
		return nil
	})
	removeEmptyDirs(dirs)
	return err
}

// readAll reads every live story. Stories equal to the ones read before
// keep their old value, so the derivation sees them as unchanged.
func (s *Site) readAll(ctx context.Context, old map[int64]*cms.LiveStory) (map[int64]*cms.LiveStory, error) {
	stories := make(map[int64]*cms.LiveStory, len(old))
	err := s.cfg.Content.EachLiveStory(ctx, func(ls *cms.LiveStory) error {
		if prev := old[ls.ID]; prev != nil && reflect.DeepEqual(prev, ls) {
			ls = prev
		}
		stories[ls.ID] = ls
		return nil
	})
	return stories, err
}

// readHinted reads again only the stories named by ids. A story the
// model knows is found by its slug (old slugs find it too); an unknown one
// among the newest live stories, where a story just published is. ok is
// false when that is not enough to be sure, and everything must be read:
// a story named is not found, or the number of live stories is not what
// the model makes it (another process published or unpublished).
func (s *Site) readHinted(ctx context.Context, old map[int64]*cms.LiveStory, ids []int64) (_ map[int64]*cms.LiveStory, ok bool, err error) {
	stories := make(map[int64]*cms.LiveStory, len(old)+len(ids))
	for id, ls := range old {
		stories[id] = ls
	}
	newest, total, err := s.cfg.Content.FindLiveStories(ctx, cms.ContentFilter{Page: cms.Page{Page: 1, PerPage: hintWindow}})
	if err != nil {
		return nil, false, err
	}
	for _, id := range ids {
		if prev := old[id]; prev != nil {
			ls, err := s.cfg.Content.FindLiveStoryBySlug(ctx, prev.Slug)
			switch {
			case cms.ErrorCode(err) == cms.ENOTFOUND:
				delete(stories, id)
				continue
			case err != nil:
				return nil, false, err
			case ls.ID != id:
				return nil, false, nil // the slug is someone else's now
			}
			if reflect.DeepEqual(prev, ls) {
				ls = prev
			}
			stories[id] = ls
			continue
		}
		found := false
		for _, ls := range newest {
			if ls.ID == id {
				stories[id], found = ls, true
			}
		}
		if !found {
			return nil, false, nil // unpublished already, or not among the newest
		}
	}
	return stories, len(stories) == total, nil
}

// hintWindow is how many of the newest live stories are searched for a
// story the model does not know yet.
const hintWindow = 50

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

// overlay renders site.toml: settings, navigation and the mounts.
func (s *Site) overlay(set *cms.Settings, projects []*cms.Project, pages []navPage) ([]byte, error) {
	ov, err := s.overlayConfig(set, projects, pages)
	if err != nil {
		return nil, err
	}
	return encodeOverlay(ov)
}

func (s *Site) overlayConfig(set *cms.Settings, projects []*cms.Project, pages []navPage) (*overlay, error) {
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
	extra, err := s.extraMounts()
	if err != nil {
		return nil, err
	}
	return &overlay{
		BaseURL:      base,
		Title:        siteTitle(set),
		DisableKinds: []string{"sitemap"},
		Params: overlayParams{
			Organizer: set.Organizer, Contact: set.Contact, ICP: set.ICP,
			PoliceRecord: set.PoliceRecord, GovSiteCode: set.GovSiteCode, Nav: nav,
			WechatAppID: strings.TrimSpace(set.WechatAppID),
		},
		Module: overlayModules{Mounts: append([]mount{
			{Source: s.path("content"), Target: "content"},
			{Source: noData, Target: "data"},
		}, extra...)},
	}, nil
}

func encodeOverlay(ov *overlay) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Generated by Huimin from the site settings on every build; do not edit.\n")
	if err := toml.NewEncoder(&b).Encode(ov); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// extraName is the directory of files the export writes for the build to
// publish as they are: the sitemap and the search index.
const extraName = "extra"

// extraMounts are the static directories the build publishes besides the
// theme's: the export's extra files (sitemap, search index at /search/i/),
// and <DataDir>/site/static at the site root, for files an admin must
// serve there, such as WeChat's domain verification file MP_verify_<code>.txt.
func (s *Site) extraMounts() ([]mount, error) {
	extra, root := s.path(extraName), s.path("static")
	for _, d := range []string{extra, root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	return []mount{
		{Source: root, Target: "static"},
		{Source: extra, Target: "static"},
	}, nil
}

// storyExport writes single stories the way the export does, without the
// links to other stories; the preview uses it.
type storyExport struct {
	s       *Site
	t       *tree
	live    map[string]int64
	aliases map[string]int64
	slugs   map[int64]string
}

func (e *storyExport) put(ls *cms.LiveStory) error {
	var aliases []string
	for _, old := range ls.OldSlugs {
		if old != ls.Slug && cms.SlugPattern.MatchString(old) {
			aliases = append(aliases, cms.StoryURL(old))
		}
	}
	fm := storyFrontOf(ls, aliases)
	return e.t.put("stories/"+strconv.FormatInt(ls.ID, 10)+".html", fm, ls.Body)
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

// tree writes files under root, leaving unchanged files alone, and deletes
// every file it was not asked to write when pruned.
type tree struct {
	root    string
	keep    map[string]bool
	changed int
}

func (t *tree) put(rel string, front any, body string) error {
	var b bytes.Buffer
	if err := encodeContent(&b, front, body); err != nil {
		return err
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

// writeAtomic replaces name with b so that readers see the old or the new
// file, never a part of one.
func writeAtomic(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
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
	removeEmptyDirs(dirs)
	return nil
}

// removeEmptyDirs removes the directories of dirs that are empty, deepest
// first.
func removeEmptyDirs(dirs []string) {
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
			os.Remove(d)
		}
	}
}

// hashSeed makes the content hashes the export compares; they never leave
// the process.
var hashSeed = maphash.MakeSeed()

// fileWriter keeps a directory in step with the files derived for it. It
// remembers, per file, a hash of what it wrote and the key the file was
// derived from: a file whose key is unchanged is not even encoded again.
type fileWriter struct {
	root    string
	memo    map[string]memoEntry
	seen    map[string]bool
	written []string
	swept   bool // files on disk from before this process were removed
	buf     bytes.Buffer
}

type memoEntry struct {
	key  any
	hash uint64
}

func newFileWriter(root string) *fileWriter {
	return &fileWriter{root: root}
}

func (w *fileWriter) begin() {
	w.seen = map[string]bool{}
	w.written = nil
}

// emitAll writes every derived content file.
func (w *fileWriter) emitAll(d *derived) error {
	for _, f := range d.files {
		if err := w.emit(f); err != nil {
			return err
		}
	}
	return nil
}

// emit writes f unless the file already holds it. Without a memo entry
// (the first export of this process) the file on disk is compared.
func (w *fileWriter) emit(f *file) error {
	if w.seen[f.rel] {
		return fmt.Errorf("two pages want the file %s", f.rel)
	}
	w.seen[f.rel] = true
	old, known := w.memo[f.rel]
	if known && f.key != nil && old.key == f.key {
		return nil
	}
	w.buf.Reset()
	front, body := f.make()
	if err := encodeContent(&w.buf, front, body); err != nil {
		return fmt.Errorf("%s: %w", f.rel, err)
	}
	b := w.buf.Bytes()
	h := maphash.Bytes(hashSeed, b)
	if w.memo == nil {
		w.memo = map[string]memoEntry{}
	}
	w.memo[f.rel] = memoEntry{key: f.key, hash: h}
	name := filepath.Join(w.root, filepath.FromSlash(f.rel))
	if known {
		if old.hash == h {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
	} else if changed, err := writeIfChanged(name, b); err != nil {
		return err
	} else if !changed {
		return nil
	}
	w.written = append(w.written, f.rel)
	return nil
}

// end removes the files no longer derived and reports what changed. The
// first time it also removes files left on disk by an earlier process.
func (w *fileWriter) end() (written, removed []string) {
	var dirs []string
	for rel := range w.memo {
		if !w.seen[rel] {
			delete(w.memo, rel)
			name := filepath.Join(w.root, filepath.FromSlash(rel))
			if err := os.Remove(name); err == nil || errors.Is(err, fs.ErrNotExist) {
				removed = append(removed, rel)
			}
			dirs = append(dirs, filepath.Dir(name))
		}
	}
	if !w.swept {
		w.swept = true
		_ = filepath.WalkDir(w.root, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if name != w.root {
					dirs = append(dirs, name)
				}
				return nil
			}
			rel, err := filepath.Rel(w.root, name)
			if err == nil && !w.seen[filepath.ToSlash(rel)] {
				os.Remove(name)
				removed = append(removed, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	removeEmptyDirs(dirs)
	sort.Strings(removed)
	return w.written, removed
}
