package site

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"html"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// The derivation turns the model — everything live — into the site's files.
// It is a pure function of the model, so an export after one publish
// derives exactly what a full export would; it is cheap enough to run on
// every build because every file has a key, a comparable value naming all
// it is made of, and a file whose key did not change is not encoded again.
//
// Lists (all stories, a project's, a tag's) are newest first. The first
// page of a list shows the newest perPage stories; the older ones are on
// archive pages that are numbered from the oldest, perPage to a page:
// archive page 1 holds the oldest ten. A story published at the top of a
// list so changes the first page and the last archive page only, where
// Hugo's paginator, numbering from the newest, would rewrite every page of
// the list.

const (
	perPage     = 10 // stories on a list's first page and on each archive page
	latestCount = 20 // newest stories the home page's file carries: the feed (the page shows fewer)
	relatedMax  = 4  // related stories under a story
	relatedSpan = 3  // neighbours looked at on each side in each list of a story
)

// model is the live content the export last read.
type model struct {
	settings *cms.Settings
	brand    *cms.Brand
	projects []*cms.Project
	pages    []*cms.StandingPage
	stories  map[int64]*cms.LiveStory
	overview *cms.Overview // the other sites and the highlights; nil but on the overview site
}

// derived is everything the export writes for a model.
type derived struct {
	files     []*file
	published map[int64]*cms.LiveStory // the stories that have a page
	aliases   map[string][]string      // content file → the alias URLs Hugo writes for it
	archives  map[string]string        // archive page's content file → its URL
	context   []string                 // content files any page may link to
	tagFiles  map[string][]string      // story's content file → its tags' content files
	nav       []navPage
	urls      []sitemapURL // every page for the sitemap, but stories
	stories   []sitemapURL // stories, by id
}

// file is one content file. make is called only when key differs from the
// key the file was last written with; a nil key always calls it.
type file struct {
	rel  string
	key  any
	make func() (front any, body string)
}

// storyList is a list of stories with its pages.
type storyList struct {
	title string
	url   string // its first page
	dir   string // content directory of its archive pages
	items []*cms.LiveStory
}

type storyKey struct {
	ls           *cms.LiveStory
	aliases      string
	newer, older *cms.LiveStory
	related      [relatedMax]*cms.LiveStory
}

type listKey struct {
	title, url, more string
	count            int
	items            [perPage]*cms.LiveStory
}

type archiveKey struct {
	title, listTitle, listURL, newer, older string
	number                                  int
	items                                   [perPage]*cms.LiveStory
}

// deriver holds what one derivation computes as it goes.
type deriver struct {
	m     *model
	log   *slog.Logger
	d     *derived
	infos map[*cms.LiveStory]*storyInfo
	cands []candidate // scratch for related
}

// storyInfo is what the derivation computes of a story by itself. A story
// value never changes (a changed story is a new value), so it is kept from
// one derivation to the next.
type storyInfo struct {
	date, lastmod time.Time
	tags, keys    []string // cleaned tags and their keys
	card          *card    // made when first needed

	// Positions in this derivation's lists.
	projPos int
	tagPos  []int
}

type candidate struct {
	ls    *cms.LiveStory
	score int
	dist  time.Duration
}

// derive derives the files of m. infos are the storyInfos of the last
// derivation; derive returns those of this one.
func (m *model) derive(log *slog.Logger, infos map[*cms.LiveStory]*storyInfo) (*derived, map[*cms.LiveStory]*storyInfo) {
	next := make(map[*cms.LiveStory]*storyInfo, len(m.stories))
	for _, ls := range m.stories {
		in := infos[ls]
		if in == nil {
			in = &storyInfo{date: storyDate(ls), lastmod: storyLastmod(ls), tags: cleanTags(ls.Tags)}
			for _, t := range in.tags {
				in.keys = append(in.keys, tagKey(t))
			}
			in.tagPos = make([]int, len(in.keys))
		}
		next[ls] = in
	}
	x := &deriver{m: m, log: log, infos: next, d: &derived{
		aliases: map[string][]string{}, archives: map[string]string{}, tagFiles: map[string][]string{},
		context: []string{"_index.html", "stories/_index.html", "projects/_index.html", "tags/_index.html", "archive/_index.html"},
	}}
	x.run()
	return x.d, next
}

func (x *deriver) add(rel string, key any, make func() (any, string)) {
	x.d.files = append(x.d.files, &file{rel: rel, key: key, make: make})
}

// run derives every file of the model, one step after another; the order
// of the steps is the order of the files and of the sitemap.
func (x *deriver) run() {
	byID, live := x.publishedStories()
	aliases := x.aliases(byID, live)
	sl := x.lists(byID)
	x.homeAndSections(sl)
	x.tags(sl)
	x.projects(sl)
	pagesLastmod := x.pages()
	x.stories(byID, aliases, sl)
	x.overview()

	home := x.listLastmod(sl.newest, pagesLastmod)
	x.d.urls = append([]sitemapURL{
		{loc: "/", lastmod: home},
		{loc: "/stories/", lastmod: x.listLastmod(sl.newest, time.Time{})},
		{loc: "/projects/", lastmod: home},
		{loc: "/tags/", lastmod: x.listLastmod(sl.newest, time.Time{})},
	}, x.d.urls...)
}

// publishedStories decides which stories get a page: a valid slug not taken
// by a story with a smaller id. It returns them by id, and their URLs.
func (x *deriver) publishedStories() (byID []*cms.LiveStory, live map[string]int64) {
	m, d := x.m, x.d
	ids := slices.Sorted(maps.Keys(m.stories))
	d.published = make(map[int64]*cms.LiveStory, len(ids))
	live = map[string]int64{} // story URL → id
	for _, id := range ids {
		ls := m.stories[id]
		if !cms.SlugPattern.MatchString(ls.Slug) {
			x.log.Warn("export: skipping story with a bad slug", "story", ls.ID, "slug", ls.Slug)
			continue
		}
		url := cms.StoryURL(ls.Slug)
		if other, ok := live[url]; ok {
			x.log.Warn("export: two live stories share a slug", "story", ls.ID, "other", other, "slug", ls.Slug)
			continue
		}
		live[url] = id
		d.published[id] = ls
		byID = append(byID, ls)
	}
	return byID, live
}

// aliases are the old-slug URLs of each story. Old slugs redirect, unless a
// story lives there; of two stories that had the same slug, the one with
// the smaller id keeps the redirect.
func (x *deriver) aliases(byID []*cms.LiveStory, live map[string]int64) map[int64][]string {
	aliases := make(map[int64][]string, len(byID))
	claimed := map[string]bool{}
	for _, ls := range byID {
		for _, old := range ls.OldSlugs {
			url := cms.StoryURL(old)
			if old == ls.Slug || !cms.SlugPattern.MatchString(old) || claimed[url] {
				continue
			}
			if _, taken := live[url]; taken {
				continue
			}
			claimed[url] = true
			aliases[ls.ID] = append(aliases[ls.ID], url)
		}
	}
	return aliases
}

// storyLists are the lists of one derivation.
type storyLists struct {
	newest   []*cms.LiveStory // every published story, newest first
	all      *storyList
	projects map[string]*storyList // by project slug
	tags     map[string]*storyList // by tag key
	tagOrder []string              // tag keys as first seen by story id
}

// lists makes the lists and notes each story's place in its project's and
// its tags' lists.
func (x *deriver) lists(byID []*cms.LiveStory) *storyLists {
	newest := slices.Clone(byID)
	slices.SortFunc(newest, func(a, b *cms.LiveStory) int {
		return cmp.Or(x.infos[b].date.Compare(x.infos[a].date), cmp.Compare(b.ID, a.ID))
	})
	sl := &storyLists{
		newest:   newest,
		all:      &storyList{title: "全部稿件", url: "/stories/", dir: "archive/stories", items: newest},
		projects: map[string]*storyList{},
		tags:     map[string]*storyList{},
	}
	for _, p := range x.m.projects {
		if cms.SlugPattern.MatchString(p.Slug) {
			sl.projects[p.Slug] = &storyList{title: p.Name, url: cms.ProjectURL(p.Slug), dir: "archive/projects/" + p.Slug}
		}
	}
	for _, ls := range byID { // by id, so a tag's name is its first spelling
		in := x.infos[ls]
		for i, k := range in.keys {
			if sl.tags[k] == nil {
				sl.tags[k] = &storyList{title: in.tags[i], url: "/tags/" + tagSlug(k) + "/", dir: "archive/tags/" + k}
				sl.tagOrder = append(sl.tagOrder, k)
			}
		}
	}
	for _, ls := range newest {
		in := x.infos[ls]
		if l := sl.projects[ls.Project.Slug]; l != nil {
			in.projPos = len(l.items)
			l.items = append(l.items, ls)
		}
		for i, k := range in.keys {
			l := sl.tags[k]
			in.tagPos[i] = len(l.items)
			l.items = append(l.items, ls)
		}
	}
	return sl
}

// homeAndSections adds the home page and the section pages.
func (x *deriver) homeAndSections(sl *storyLists) {
	m, newest, all := x.m, sl.newest, sl.all
	var brand *brandParams
	intro := ""
	if b := m.brand; b != nil {
		brand = &brandParams{ID: b.ID, Name: b.Name, Slogan: b.Slogan}
		intro = b.Intro
	}
	x.add("_index.html", nil, func() (any, string) {
		return homeFront{Title: siteTitle(m.settings), Params: homeParams{
			Brand: brand, Count: len(newest), Latest: x.cardsOf(newest[:min(latestCount, len(newest))]),
			Overview: homeOverviewOf(m.overview),
		}}, intro
	})
	x.list(all, "stories/_index.html", true, "", func(p listParams) any { return sectionFront{Title: all.title, Params: &p} })
	x.add("projects/_index.html", nil, func() (any, string) { return sectionFront{Title: "品牌项目"}, "" })
	x.add("archive/_index.html", nil, func() (any, string) {
		return archiveSectionFront{Title: "归档", Build: buildOptions{List: "never", Render: "never"}}, ""
	})
}

// tags adds the tags page, and a page for each tag.
func (x *deriver) tags(sl *storyLists) {
	tagLists, tagOrder := sl.tags, sl.tagOrder
	slices.SortStableFunc(tagOrder, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(tagLists[b].items), len(tagLists[a].items)), cmp.Compare(a, b))
	})
	terms := make([]termLink, 0, len(tagOrder))
	for _, k := range tagOrder {
		l := tagLists[k]
		terms = append(terms, termLink{Name: l.title, URL: l.url, Count: len(l.items)})
		x.list(l, "tags/"+k+"/_index.html", true, "", func(p listParams) any { return tagFront{Title: l.title, URL: l.url, Params: p} })
		x.d.urls = append(x.d.urls, sitemapURL{loc: l.url, lastmod: x.listLastmod(l.items, time.Time{})})
	}
	x.add("tags/_index.html", nil, func() (any, string) {
		return tagsFront{Title: "标签", Params: tagsParams{Terms: terms}}, ""
	})
}

// projects adds a page for each project.
func (x *deriver) projects(sl *storyLists) {
	m, d := x.m, x.d
	slugs := map[int64]string{}
	for _, p := range m.projects {
		slugs[p.ID] = p.Slug
	}
	for i, p := range m.projects {
		if !cms.SlugPattern.MatchString(p.Slug) {
			x.log.Warn("export: skipping project with a bad slug", "project", p.ID, "slug", p.Slug)
			continue
		}
		l := sl.projects[p.Slug]
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
		d.context = append(d.context, "projects/"+p.Slug+"/_index.html")
		x.list(l, "projects/"+p.Slug+"/_index.html", false, p.Intro, func(lp listParams) any {
			fm.Params.Count, fm.Params.More, fm.Params.Items = lp.Count, lp.More, lp.Items
			return fm
		})
		d.urls = append(d.urls, sitemapURL{loc: l.url, lastmod: x.listLastmod(l.items, fm.Lastmod)})
	}
}

// pages adds the standing pages and returns when the newest of them changed.
func (x *deriver) pages() (lastmod time.Time) {
	d := x.d
	for i, p := range x.m.pages {
		if !cms.SlugPattern.MatchString(p.Slug) || cms.ReservedPageSlug(p.Slug) {
			x.log.Warn("export: skipping standing page with a reserved or bad slug", "page", p.ID, "slug", p.Slug)
			continue
		}
		fm := pageFront{
			Title:   p.Title,
			Weight:  i + 1,
			Lastmod: p.UpdatedAt.In(chinaTime).Truncate(time.Second),
			Params:  pageParams{ID: p.ID, Version: p.Version},
		}
		body := p.Body
		x.add(p.Slug+".html", nil, func() (any, string) { return fm, body })
		d.context = append(d.context, p.Slug+".html")
		d.nav = append(d.nav, navPage{Title: p.Title, URL: cms.PageURL(p.Slug)})
		d.urls = append(d.urls, sitemapURL{loc: cms.PageURL(p.Slug), lastmod: fm.Lastmod})
		if fm.Lastmod.After(lastmod) {
			lastmod = fm.Lastmod
		}
	}
	return lastmod
}

// stories adds a page for each published story, with its neighbours in its
// project and its related stories.
func (x *deriver) stories(byID []*cms.LiveStory, aliases map[int64][]string, sl *storyLists) {
	d := x.d
	for _, ls := range byID {
		k := storyKey{ls: ls, aliases: strings.Join(aliases[ls.ID], "\n")}
		in := x.infos[ls]
		project := sl.projects[ls.Project.Slug]
		if l := project; l != nil {
			i := in.projPos
			if i > 0 {
				k.newer = l.items[i-1]
			}
			if i+1 < len(l.items) {
				k.older = l.items[i+1]
			}
		}
		x.related(&k, project, sl.tags)
		rel := "stories/" + strconv.FormatInt(ls.ID, 10) + ".html"
		x.add(rel, k, func() (any, string) {
			fm := storyFrontOf(ls, aliases[ls.ID])
			if k.newer != nil {
				fm.Params.Newer = &link{Title: k.newer.Title, URL: cms.StoryURL(k.newer.Slug)}
			}
			if k.older != nil {
				fm.Params.Older = &link{Title: k.older.Title, URL: cms.StoryURL(k.older.Slug)}
			}
			for _, r := range k.related {
				if r != nil {
					fm.Params.Related = append(fm.Params.Related, *x.card(r))
				}
			}
			return fm, ls.Body
		})
		d.aliases[rel] = append([]string{cms.ShortURL(ls.ID)}, aliases[ls.ID]...)
		for _, k := range in.keys {
			d.tagFiles[rel] = append(d.tagFiles[rel], "tags/"+k+"/_index.html")
		}
		d.stories = append(d.stories, sitemapURL{loc: cms.StoryURL(ls.Slug), lastmod: in.lastmod, id: ls.ID})
	}
}

// list adds the first page of l as the file rel, with body, and l's
// archive pages. front makes the page's front matter from the list's
// params; keyed says the page is made of the list alone.
func (x *deriver) list(l *storyList, rel string, keyed bool, body string, front func(listParams) any) {
	n := len(l.items)
	k := listKey{title: l.title, url: l.url, count: n}
	if n > perPage {
		k.more = archiveURL(l, (n-1-perPage)/perPage+1)
	}
	copy(k.items[:], l.items[:min(n, perPage)])
	var key any
	if keyed {
		key = k
	}
	x.add(rel, key, func() (any, string) {
		return front(listParams{Count: n, More: k.more, Items: x.cardsOf(l.items[:min(n, perPage)])}), body
	})
	if n <= perPage {
		return
	}
	pages := (n + perPage - 1) / perPage
	for num := 1; num <= pages; num++ {
		items := l.items[n-min(num*perPage, n) : n-(num-1)*perPage]
		ak := archiveKey{listTitle: l.title, listURL: l.url, number: num, newer: l.url}
		if num < pages {
			ak.newer = archiveURL(l, num+1)
		}
		if num > 1 {
			ak.older = archiveURL(l, num-1)
		}
		copy(ak.items[:], items)
		from, to := x.infos[items[len(items)-1]].date, x.infos[items[0]].date
		ak.title = l.title + "（" + dateRange(from, to) + "）"
		url := archiveURL(l, num)
		rel := l.dir + "/" + strconv.Itoa(num) + ".html"
		x.d.archives[rel] = url
		x.add(rel, ak, func() (any, string) {
			return archiveFront{
				Title: ak.title, URL: url, Build: buildOptions{List: "never"},
				Params: archiveParams{
					List: link{Title: l.title, URL: l.url}, Number: num, From: from, To: to,
					NewerURL: ak.newer, OlderURL: ak.older, Items: x.cardsOf(items),
				},
			}, ""
		})
	}
}

func archiveURL(l *storyList, num int) string {
	return l.url + "archive/" + strconv.Itoa(num) + "/"
}

func dateRange(from, to time.Time) string {
	const day = "2006年1月2日"
	switch {
	case from.Format(day) == to.Format(day):
		return from.Format(day)
	case from.Year() == to.Year():
		return from.Format(day) + "—" + to.Format("1月2日")
	}
	return from.Format(day) + "—" + to.Format(day)
}

// related picks the stories shown under the story of k, into k: of its
// neighbours in its project and tags lists (but its newer and older ones,
// linked already), those sharing the most tags, then of the same project,
// then nearest in time. Looking only at neighbours keeps a publish from
// changing the related stories of stories far from it.
func (x *deriver) related(k *storyKey, project *storyList, tagLists map[string]*storyList) {
	ls := k.ls
	in := x.infos[ls]
	cands := x.cands[:0]
	skip := func(c *cms.LiveStory) bool {
		if c == ls || c == k.newer || c == k.older {
			return true
		}
		for _, o := range cands {
			if o.ls == c {
				return true
			}
		}
		return false
	}
	look := func(l *storyList, i int) {
		for j := max(0, i-relatedSpan); j <= min(len(l.items)-1, i+relatedSpan); j++ {
			c := l.items[j]
			if skip(c) {
				continue
			}
			ci := x.infos[c]
			s := 0
			for _, t := range ci.keys {
				if slices.Contains(in.keys, t) {
					s += 100
				}
			}
			if project != nil && c.Project.Slug == ls.Project.Slug {
				s += 60
			}
			dist := ci.date.Sub(in.date)
			if dist < 0 {
				dist = -dist
			}
			cands = append(cands, candidate{c, s, dist})
		}
	}
	if project != nil {
		look(project, in.projPos)
	}
	for i, t := range in.keys {
		look(tagLists[t], in.tagPos[i])
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.dist, b.dist), cmp.Compare(b.ls.ID, a.ls.ID))
	})
	for i := range min(relatedMax, len(cands)) {
		k.related[i] = cands[i].ls
	}
	x.cands = cands
}

func (x *deriver) listLastmod(items []*cms.LiveStory, since time.Time) time.Time {
	t := since
	for _, ls := range items {
		if lm := x.infos[ls].lastmod; lm.After(t) {
			t = lm
		}
	}
	return t
}

func (x *deriver) cardsOf(items []*cms.LiveStory) []card {
	out := make([]card, len(items))
	for i, ls := range items {
		out[i] = *x.card(ls)
	}
	return out
}

// card is a story as lists show it.
func (x *deriver) card(ls *cms.LiveStory) *card {
	in := x.infos[ls]
	if in.card != nil {
		return in.card
	}
	c := &card{
		URL: cms.StoryURL(ls.Slug), Title: ls.Title, Date: in.date, Lastmod: in.lastmod,
		Summary: strings.TrimSpace(ls.Summary), Author: ls.Author,
	}
	if c.Summary == "" {
		c.Summary = clip(strings.Join(strings.Fields(markup.Text(ls.Body)), " "), cardSummary)
	}
	if p := ls.Project; cms.SlugPattern.MatchString(p.Slug) {
		c.Project = &navLink{Name: p.Name, URL: cms.ProjectURL(p.Slug)}
	}
	c.Thumb = thumb(ls.Cover)
	in.card = c
	return c
}

// thumb is the thumbnail variant of a cover, if it has one.
func thumb(m *cms.Media) (t *variantParams) {
	if m == nil {
		return nil
	}
	for _, v := range m.Variants {
		if v.Name == "thumb" {
			t = &variantParams{Name: v.Name, Width: v.Width, Height: v.Height, URL: v.URL}
		}
	}
	return t
}

// cardSummary is how much of a story's text a card carries when the story
// has no summary.
const cardSummary = 100

// tagKey is the name of a tag's page and content directory: the tag as
// Hugo names its term page (lower case, spaces as hyphens), so the page the
// export writes is the term page of the stories' tags. Empty for a tag that
// cannot name a directory.
func tagKey(t string) string {
	k := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(t), " ", "-"))
	if k == "" || strings.HasPrefix(k, ".") || strings.ContainsAny(k, "/\\\x00") {
		return ""
	}
	return k
}

// tagSlug is the last segment of a tag page's URL: the key if it has only
// letters, digits, hyphens and underscores; otherwise those characters and
// a hash of the key, so keys that differ in punctuation keep apart.
func tagSlug(key string) string {
	var b strings.Builder
	plain := true
	for _, r := range key {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '-' || r == '_' {
			b.WriteRune(r)
			continue
		}
		plain = false
		if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
			b.WriteByte('-')
		}
	}
	if plain {
		return key
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return strings.Trim(b.String(), "-") + fmt.Sprintf("-%06x", h.Sum32()&0xffffff)
}
