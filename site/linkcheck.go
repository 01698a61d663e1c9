package site

// The build-time link check (issue 20): every internal link and image of
// every page of the live build must resolve to a file of the same build.
// After each build the live directory is walked; pages whose size or
// modification time changed since the last walk are read again (all of
// them after a full build, only the re-rendered ones after a publish), and
// the links of every page are resolved against the files of the walk. The
// result is written to <DataDir>/site/links.json for `huimin check` and
// the admin's 网站体检, and kept for LinkReport.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// linksName is the link report of the live build, below the site directory.
const linksName = "links.json"

// BrokenLink is an internal link or image of a built page that resolves to
// no file of the build.
type BrokenLink struct {
	Page   string `json:"page"`   // the page's path on the site: "/stories/x/"
	Target string `json:"target"` // the link as written, resolved to a site path
	Kind   string `json:"kind"`   // "link" (a, link) or "image" (img, source, script)
	// Story is the slug of the story the page shows, when it is a story page.
	Story string `json:"story,omitempty"`
}

// LinkReport is the result of the link check of one build.
type LinkReport struct {
	Build     string        `json:"build"` // build directory name
	CheckedAt time.Time     `json:"checked_at"`
	Pages     int           `json:"pages"`
	Links     int           `json:"links"` // internal links and images checked
	Broken    []BrokenLink  `json:"broken"`
	Duration  time.Duration `json:"duration_ns"`
	Read      int           `json:"read"` // pages read again by this check
}

// Home reports whether the broken link is on the home page (首页不可用链接).
func (b BrokenLink) Home() bool { return b.Page == "/" }

// linkIndex is what the last walk of a build directory found.
type linkIndex struct {
	dir   string
	files map[string]bool      // every file of the build, slash path
	pages map[string]pageLinks // slash path of the HTML file → its links
}

type pageLinks struct {
	size   int64
	mod    time.Time
	links  []pageLink
	broken []BrokenLink // as last resolved
}

type pageLink struct {
	target string // site path, unescaped, without query or fragment
	image  bool
	// The files of the build the target may be (k2 may be empty), a media
	// file key, or dynamic: served by Huimin itself. Worked out once, when
	// the page is read, so that a publish re-resolves cheaply.
	k1, k2  string
	media   string
	dynamic bool
}

// linkState is the Site's link index, guarded by its own mutex (the check
// runs under the build lock, LinkReport does not).
type linkState struct {
	mu     sync.Mutex
	index  *linkIndex
	report *LinkReport
	// media are the media files (/media/<hash>/<file>) known to exist:
	// content-addressed, so asked about once until the next full build.
	media map[string]bool
}

// checkLinks walks the build directory dir and returns its link report.
// Pages read again, and pages linking to a file the build added or
// removed since the last walk, are resolved again; the others keep their
// result. all resolves every page (a check on demand: a media file may
// have left the library). touched, when not nil, are the only files of dir
// changed since the last check: they are looked at instead of walking.
func (s *Site) checkLinks(name, dir string, all bool, touched []string) (*LinkReport, error) {
	start := time.Now()
	s.links.mu.Lock()
	defer s.links.mu.Unlock()
	idx := s.links.index
	if idx == nil || idx.dir != dir {
		idx = &linkIndex{dir: dir, pages: map[string]pageLinks{}}
		s.links.media = map[string]bool{}
		all = true
	}
	host := s.linkHost()
	fresh := map[string]bool{}
	// read indexes the links of page rel, unless it is as last read.
	read := func(p, rel string, fi fs.FileInfo) error {
		if old, ok := idx.pages[rel]; ok && old.size == fi.Size() && old.mod.Equal(fi.ModTime()) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fresh[rel] = true
		idx.pages[rel] = pageLinks{size: fi.Size(), mod: fi.ModTime(), links: extractLinks(b, pagePath(rel), host)}
		return nil
	}
	var files map[string]bool
	changed := map[string]bool{} // files added or removed since the last check
	var err error
	if touched != nil && !all {
		files, err = idx.lookAgain(touched, changed, read)
	} else {
		files, err = idx.walk(changed, read)
	}
	if err != nil {
		idx.files = nil
		s.links.index = nil // walk next time
		return nil, fmt.Errorf("checking links of %s: %w", name, err)
	}
	idx.files = files
	rep := &LinkReport{Build: name, CheckedAt: time.Now().UTC(), Pages: len(idx.pages), Read: len(fresh), Broken: []BrokenLink{}}
	for rel, pl := range idx.pages {
		rep.Links += len(pl.links)
		again := all || fresh[rel]
		for i := 0; !again && len(changed) > 0 && i < len(pl.links); i++ {
			l := &pl.links[i]
			again = changed[l.k1] || (l.k2 != "" && changed[l.k2])
		}
		if again {
			pl.broken = s.resolvePage(files, pagePath(rel), pl.links)
			idx.pages[rel] = pl
		}
		rep.Broken = append(rep.Broken, pl.broken...)
	}
	slices.SortFunc(rep.Broken, func(a, b BrokenLink) int {
		if c := strings.Compare(a.Page, b.Page); c != 0 {
			return c
		}
		return strings.Compare(a.Target, b.Target)
	})
	rep.Duration = time.Since(start)
	s.links.index, s.links.report = idx, rep
	data, err := json.Marshal(rep)
	if err != nil {
		return rep, err
	}
	if err := replaceIfChanged(s.path(linksName), data); err != nil {
		return rep, err
	}
	if len(rep.Broken) > 0 {
		s.log.Warn("broken internal links in the build", "build", name, "broken", len(rep.Broken), "first", rep.Broken[0].Page+" → "+rep.Broken[0].Target)
	}
	return rep, nil
}

// walk lists every file of the index's directory, reads the pages new or
// changed since, drops pages that are gone, and puts the files added or
// removed since the last walk in changed.
func (idx *linkIndex) walk(changed map[string]bool, read func(p, rel string, fi fs.FileInfo) error) (map[string]bool, error) {
	dir := idx.dir
	files := make(map[string]bool, len(idx.files))
	seen := map[string]bool{}
	err := walkFiles(dir, func(rel, p string, d fs.DirEntry) error {
		files[rel] = true
		if !isLinkPage(rel) {
			return nil
		}
		seen[rel] = true
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return read(p, rel, fi)
	})
	if err != nil {
		return nil, err
	}
	for rel := range idx.pages {
		if !seen[rel] {
			delete(idx.pages, rel)
		}
	}
	if idx.files != nil {
		for rel := range files {
			if !idx.files[rel] {
				changed[rel] = true
			}
		}
		for rel := range idx.files {
			if !files[rel] {
				changed[rel] = true
			}
		}
	}
	return files, nil
}

// lookAgain is walk for only the files touched: the rest of the directory
// is as the last check found it.
func (idx *linkIndex) lookAgain(touched []string, changed map[string]bool, read func(p, rel string, fi fs.FileInfo) error) (map[string]bool, error) {
	files := idx.files
	for _, rel := range touched {
		p := filepath.Join(idx.dir, filepath.FromSlash(rel))
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			if files[rel] {
				changed[rel] = true
				delete(files, rel)
			}
			delete(idx.pages, rel)
			continue
		} else if err != nil {
			return nil, err
		}
		if !files[rel] {
			changed[rel] = true
			files[rel] = true
		}
		if isLinkPage(rel) {
			if err := read(p, rel, fi); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// isLinkPage says whether the links of file rel are checked: every HTML
// page but the 404 page, whose links are relative to wherever it shows.
func isLinkPage(rel string) bool {
	return strings.HasSuffix(rel, ".html") && rel != "404.html"
}

// resolvePage returns the broken links of the page at site path page.
func (s *Site) resolvePage(files map[string]bool, page string, links []pageLink) []BrokenLink {
	var out []BrokenLink
	for i := range links {
		l := &links[i]
		if l.dynamic || files[l.k1] || (l.k2 != "" && files[l.k2]) || (l.media != "" && s.mediaExists(l.media)) {
			continue
		}
		b := BrokenLink{Page: page, Target: l.target, Kind: "link"}
		if l.image {
			b.Kind = "image"
		}
		if slug, ok := strings.CutPrefix(page, "/stories/"); ok && strings.Count(slug, "/") == 1 {
			b.Story = strings.TrimSuffix(slug, "/")
		}
		out = append(out, b)
	}
	return out
}

// linkHost is the host of the site's base URL: absolute links to it are
// internal.
func (s *Site) linkHost() string {
	if st, err := s.cfg.Settings.FindSettings(s.scope(context.Background())); err == nil && st.BaseURL != "" {
		if u, err := url.Parse(st.BaseURL); err == nil {
			return strings.ToLower(u.Host)
		}
	}
	return ""
}

// LinkReport returns the link report of the live build: this process's
// last check, or the one the last build wrote (by another process).
func (s *Site) LinkReport() (*LinkReport, error) {
	s.links.mu.Lock()
	rep := s.links.report
	s.links.mu.Unlock()
	if rep != nil {
		return rep, nil
	}
	b, err := os.ReadFile(s.path(linksName))
	if err != nil {
		return nil, err
	}
	rep = &LinkReport{}
	if err := json.Unmarshal(b, rep); err != nil {
		return nil, fmt.Errorf("%s: %w", linksName, err)
	}
	return rep, nil
}

// mediaExists reports whether key ("<hash>/<file>") is a media file of
// the library; with no Config.MediaExists, media files are taken to exist.
func (s *Site) mediaExists(key string) bool {
	if s.cfg.MediaExists == nil || s.links.media[key] {
		return true
	}
	ok, err := s.cfg.MediaExists(s.scope(context.Background()), key)
	if err != nil {
		s.log.Warn("link check: asking for a media file", "key", key, "err", err)
		return true // unknown is not broken
	}
	if ok {
		s.links.media[key] = true
	}
	return ok
}

// pagePath turns an HTML file of the build into the path readers use.
func pagePath(rel string) string {
	if rel == "index.html" {
		return "/"
	}
	if d, ok := strings.CutSuffix(rel, "/index.html"); ok {
		return "/" + d + "/"
	}
	return "/" + rel
}

// dynamicPrefixes are served by Huimin itself, not from the build.
var dynamicPrefixes = []string{"/api/", "/admin", "/preview/", "/healthz", "/readyz", "/beacon", "/share/", "/interact/"}

// newPageLink works out where target may be found.
func newPageLink(target string, image bool) pageLink {
	l := pageLink{target: target, image: image}
	for _, p := range dynamicPrefixes {
		if strings.HasPrefix(target, p) {
			l.dynamic = true
			return l
		}
	}
	if key, ok := strings.CutPrefix(target, "/media/"); ok {
		l.media = key
	}
	rel := strings.TrimPrefix(target, "/")
	if rel == "" || strings.HasSuffix(rel, "/") {
		l.k1 = rel + "index.html"
	} else {
		l.k1, l.k2 = rel, rel+"/index.html"
	}
	return l
}

var (
	attrHref = []byte("href=")
	attrSrc  = []byte("src=")
)

// extractLinks returns the internal links (href) and images (src) of an
// HTML page at site path page, as site paths. It scans the bytes for the
// two attributes rather than parsing the page: the pages are Hugo's, and
// this check must stay a small part of a build.
func extractLinks(b []byte, page, host string) []pageLink {
	var out []pageLink
	seen := map[string]bool{}
	for _, attr := range [][]byte{attrHref, attrSrc} {
		rest := b
		for {
			i := bytes.Index(rest, attr)
			if i < 0 {
				break
			}
			// A real attribute follows white space: not data-src= or xlink:href=.
			before := byte(' ')
			if i > 0 {
				before = rest[i-1]
			}
			rest = rest[i+len(attr):]
			if before != ' ' && before != '\n' && before != '\t' && before != '\r' {
				continue
			}
			var v []byte
			switch {
			case len(rest) > 0 && (rest[0] == '"' || rest[0] == '\''):
				j := bytes.IndexByte(rest[1:], rest[0])
				if j < 0 {
					continue
				}
				v = rest[1 : j+1]
			default:
				j := bytes.IndexAny(rest, " \t\n>")
				if j < 0 {
					j = len(rest)
				}
				v = rest[:j]
			}
			target, ok := internalTarget(string(v), page, host)
			if !ok {
				continue
			}
			image := attr[0] == 's'
			key := target
			if image {
				key = "\x00" + target
			}
			if !seen[key] {
				seen[key] = true
				out = append(out, newPageLink(target, image))
			}
		}
	}
	return out
}

// internalTarget resolves the attribute value v of a page at site path page
// to a site path, when it points into the site.
func internalTarget(v, page, host string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || v[0] == '#' || strings.Contains(v, "{{") {
		return "", false
	}
	if strings.Contains(v, "&") {
		v = strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#x2b;", "+").Replace(v)
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", false
	}
	switch {
	case u.Scheme == "" && u.Host == "":
	case (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "") && host != "" && strings.EqualFold(u.Host, host):
	default:
		return "", false // another site, mailto:, tel:, data:, javascript:
	}
	p := u.Path
	if p == "" {
		return "", false // a query or fragment of the page itself
	}
	if !strings.HasPrefix(p, "/") {
		dir := page
		if !strings.HasSuffix(dir, "/") {
			dir = path.Dir(dir) + "/"
		}
		trailing := strings.HasSuffix(p, "/")
		p = path.Join(dir, p)
		if trailing && !strings.HasSuffix(p, "/") {
			p += "/"
		}
	}
	return p, true
}

// CheckLinks checks the links of the live build now, asking about every
// media file again (one may have left the library since the build).
func (s *Site) CheckLinks(ctx context.Context) (*LinkReport, error) {
	o := s.current()
	if o == nil {
		return nil, errors.New("no build is live")
	}
	s.links.mu.Lock()
	s.links.media = map[string]bool{}
	s.links.mu.Unlock()
	return s.checkLinks(o.name, o.dir, true, nil)
}
