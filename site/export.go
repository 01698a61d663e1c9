package site

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

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
//	highlights/_index.html           the overview site's 全市服务品牌 page (overview.go)
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
//
// The front matter of each kind of page is in frontmatter.go, the overlay
// in overlay.go, and the helpers that write files only when they change in
// files.go.

// chinaTime is the zone dates are shown in; China has no daylight saving.
var chinaTime = time.FixedZone("CST", 8*60*60)

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
	ctx = s.scope(ctx)
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
	if s.cfg.Overview != nil {
		if next.overview, err = s.cfg.Overview.FindOverview(ctx); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(next.pages, func(a, b *cms.StandingPage) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
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
	if err := st.x.emitAll(d, s.slot.yield); err != nil {
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
		model: &model{}, x: newFileWriter(content), extra: &extraWriter{root: extra, memo: map[string]uint64{}},
		search: newSearchIndex(), sitemaps: map[string]bool{},
	}
}

// writeExtras writes the sitemap files and what changed in the search
// index, and records them in ch.
func (st *exportState) writeExtras(sitemap map[string][]byte, published map[int64]*cms.LiveStory, ch *changes) error {
	w := st.extra
	w.written, w.removed = nil, nil
	changed, removed := st.search.update(published)
	for name := range st.sitemaps {
		if sitemap[name] == nil {
			removed = append(removed, name)
		}
	}
	st.sitemaps = map[string]bool{}
	for name, b := range sitemap {
		st.sitemaps[name] = true
		if err := w.put(name, b); err != nil {
			return err
		}
	}
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

// readAll reads every live story. Stories equal to the ones read before
// keep their old value, so the derivation sees them as unchanged.
func (s *Site) readAll(ctx context.Context, old map[int64]*cms.LiveStory) (map[int64]*cms.LiveStory, error) {
	stories := make(map[int64]*cms.LiveStory, len(old))
	err := s.cfg.Content.EachLiveStory(ctx, func(ls *cms.LiveStory) error {
		s.slot.yield()
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
