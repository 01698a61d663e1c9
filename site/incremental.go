package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gohugoio/hugo/hugolib"

	"github.com/huimin/huimin/cms"
)

// An incremental build renders only the content files the export changed,
// and replaces what they render in the live build directory, file by file.
//
// Every page renders from its own content file (export.go), the site config
// and the templates. So Hugo is given a scratch content directory holding
// just the changed files and, not rendered but there to be linked to
// (build.render = "link"), the pages a page may refer to: home, sections,
// projects, standing pages and the changed stories' tags. Rendering a few
// pages this way costs about as much however large the site is, where
// Hugo's own partial rebuild re-assembles every page of it.
//
// The outputs are checked before anything goes live: each file Hugo wrote
// must be an output of a changed page, or equal to the live file (the 404
// page, stylesheets), or a new asset. Anything else means a page depends on
// more than its file, and the build is redone in full. Files are replaced by
// rename, so a reader gets the old page or the new one, never a part; the
// outputs of pages that are gone are removed last.

// errNeedFull says an incremental build cannot be done and a full one must.
var errNeedFull = errors.New("needs a full build")

// maxIncremental is how many changed content files an incremental build
// takes; more, and a full build is about as fast.
const maxIncremental = 400

// scratchName is the directory incremental builds render in.
const scratchName = "scratch"

// hints name the stories a build must read again; all means every story.
type hints struct {
	ids map[int64]bool
	all bool
}

// add notes what a build asked for with c needs to read: the stories it
// names, or, naming none, everything.
func (h *hints) add(c cms.Change) {
	if len(c.Stories) == 0 {
		h.all = true
		return
	}
	if h.ids == nil {
		h.ids = map[int64]bool{}
	}
	for _, id := range c.Stories {
		h.ids[id] = true
	}
}

func (h *hints) list() []int64 { return slices.Sorted(maps.Keys(h.ids)) }

// liveBase is the live build directory this process made, which incremental
// builds update in place.
type liveBase struct {
	name    string // directory name under builds/
	dir     string
	proj    string // hash of the Hugo project it was built with
	files   *manifest
	updates int // incremental builds applied
}

// manifest records which content file rendered which output files, and
// which assets Hugo made the pages use, so the outputs of a page that
// changes or goes can be found, and the assets no page uses any more.
type manifest struct {
	outputs map[string][]string // content file → output files (slash paths in the build)
	owner   map[string]string   // output file → content file
	uses    map[string][]string // content file → assets its pages refer to
	users   map[string]int      // asset Hugo published → how many content files use it
	unsafe  bool                // the full build wrote pages no content file accounts for
}

func newManifestOf() *manifest {
	return &manifest{outputs: map[string][]string{}, owner: map[string]string{}, uses: map[string][]string{}, users: map[string]int{}}
}

// newManifest records the outputs of the pages of h whose content files
// are in only, or of all pages when only is nil. Output files come from
// Hugo's output formats for each page; aliases and archive pages (which no
// page collection lists) from the export.
func newManifest(h *hugolib.HugoSites, rec *outputRecorder, ch *changes, only map[string]bool) *manifest {
	m := newManifestOf()
	for _, p := range h.Sites[0].Pages() {
		f := p.File()
		if f == nil {
			continue
		}
		rel := filepath.ToSlash(f.Path())
		if only != nil && !only[rel] {
			continue
		}
		for _, of := range p.OutputFormats() {
			u := of.RelPermalink()
			if u == "" {
				continue
			}
			u = "/" + strings.TrimPrefix(u, rec.basePath)
			if un, err := url.PathUnescape(u); err == nil {
				u = un
			}
			if strings.HasSuffix(u, "/") {
				u += of.Format.BaseName + of.Format.MediaType.FirstSuffix.FullSuffix
			}
			m.add(rel, strings.TrimPrefix(u, "/"))
		}
	}
	for rel, urls := range ch.aliases {
		if only != nil && !only[rel] {
			continue
		}
		for _, a := range urls {
			m.add(rel, aliasFile(a))
		}
	}
	for rel, u := range ch.archives {
		if only != nil && !only[rel] {
			continue
		}
		m.add(rel, strings.TrimPrefix(u, "/")+"index.html")
	}

	// Assets: what Hugo published that is not a page. Pages no content file
	// owns (the 404 page) count as one user.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	use := func(rel string, page string) {
		for _, a := range rec.refs[page] {
			if rec.written[a] && !isPage(a) && !slices.Contains(m.uses[rel], a) {
				m.uses[rel] = append(m.uses[rel], a)
				m.users[a]++
			}
		}
	}
	for rel, outs := range m.outputs {
		for _, out := range outs {
			use(rel, out)
		}
	}
	if only == nil {
		for page := range rec.refs {
			if _, ok := m.owner[page]; !ok {
				use("", page)
			}
		}
	}
	return m
}

func (m *manifest) add(rel, out string) {
	if !slices.Contains(m.outputs[rel], out) {
		m.outputs[rel] = append(m.outputs[rel], out)
	}
	m.owner[out] = rel
}

// aliasFile is the file Hugo writes for an alias URL.
func aliasFile(a string) string {
	a = strings.TrimPrefix(path.Clean("/"+a), "/")
	if path.Ext(a) == "" {
		a = path.Join(a, "index.html")
	}
	return a
}

// check reports pages Hugo wrote that no content file accounts for;
// standalone pages (the 404 page) and assets do not count. Static files
// are copied past the recorder.
func (m *manifest) check(rec *outputRecorder) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var stray []string
	for rel := range rec.written {
		if _, ok := m.owner[rel]; !ok && isPage(rel) && !standalone[rel] {
			stray = append(stray, rel)
		}
	}
	if len(stray) > 0 {
		slices.Sort(stray)
		return fmt.Errorf("%d stray pages, such as %s", len(stray), strings.Join(stray[:min(5, len(stray))], ", "))
	}
	return nil
}

// standalone are the pages Hugo makes of the config and templates alone.
var standalone = map[string]bool{"404.html": true, "robots.txt": true}

// isPage reports whether a file of a build is of a kind Hugo renders pages
// as, as opposed to static files and assets.
func isPage(rel string) bool {
	switch path.Ext(rel) {
	case ".html", ".xml", ".txt", ".json":
		return true
	}
	return false
}

// update renders the pages of the content files ch changed and applies them
// to the live build base. It returns the number of pages rendered and the
// files of the live build it wrote or removed (slash paths), or errNeedFull
// when only a full build can do.
func (s *Site) update(ctx context.Context, proj string, base *liveBase, ch *changes) (pages int, touched []string, err error) {
	if base.files.unsafe {
		return 0, nil, fmt.Errorf("%w: the live build has pages no content file accounts for", errNeedFull)
	}
	if len(ch.written)+len(ch.removed) > maxIncremental {
		return 0, nil, fmt.Errorf("%w: %d content files changed", errNeedFull, len(ch.written)+len(ch.removed))
	}
	dirty := map[string]bool{}
	for _, rel := range ch.written {
		dirty[rel] = true
	}
	fresh := newManifestOf()
	scratch := s.path(scratchName)
	if len(dirty) > 0 {
		if pages, fresh, err = s.renderScratch(scratch, proj, ch, dirty); err != nil {
			return 0, nil, err
		}
		if touched, err = s.applyScratch(filepath.Join(scratch, "public"), base, fresh); err != nil {
			return 0, nil, err
		}
	}
	extras, err := s.applyExtras(base, ch)
	if err != nil {
		return 0, nil, err
	}
	gone := updateManifest(base.files, fresh, ch)
	removed, err := removeGone(base, gone)
	if err != nil {
		return 0, nil, err
	}
	base.updates++
	if err := os.RemoveAll(scratch); err != nil {
		s.log.Warn("removing scratch build", "err", err)
	}
	// Not nil when nothing was touched: nil means "not known, walk the
	// directory" to the steps after the build.
	all := make([]string, 0, len(touched)+len(extras)+len(removed))
	return pages, append(append(append(all, touched...), extras...), removed...), nil
}

// renderScratch renders the dirty content files in a scratch site in
// scratch/public and returns the number of pages and what made them.
func (s *Site) renderScratch(scratch, proj string, ch *changes, dirty map[string]bool) (pages int, fresh *manifest, err error) {
	if err := os.RemoveAll(scratch); err != nil {
		return 0, nil, err
	}
	content, public := filepath.Join(scratch, "content"), filepath.Join(scratch, "public")
	if err := s.stageScratch(content, ch, dirty); err != nil {
		return 0, nil, err
	}
	ovFile, err := s.scratchOverlay(scratch, content, ch)
	if err != nil {
		return 0, nil, err
	}
	cfgFile, err := projectConfig(proj)
	if err != nil {
		return 0, nil, err
	}
	pages, err = runHugoWith(hugoRun{
		proj: proj, configFiles: []string{cfgFile, ovFile}, outDir: public,
		resourceDir: s.path("resources"), cacheDir: s.path("cache"), log: s.log, noStatic: true,
	}, func(h *hugolib.HugoSites, rec *outputRecorder) error {
		fresh = newManifest(h, rec, ch, dirty)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return pages, fresh, nil
}

// scratchOverlay writes the config overlay of the scratch site and returns
// its file name. The scratch site has the scratch content and no static
// files: they only change with a full build, and extra files are applied
// by applyExtras.
func (s *Site) scratchOverlay(scratch, content string, ch *changes) (string, error) {
	ov, err := s.overlayConfig(s.exp.model.settings, s.exp.model.projects, ch.nav)
	if err != nil {
		return "", err
	}
	mounts := []mount{{Source: content, Target: "content"}}
	for _, m := range ov.Module.Mounts {
		if m.Target == "data" {
			mounts = append(mounts, m)
		}
	}
	ov.Module.Mounts = mounts
	ovb, err := encodeOverlay(ov)
	if err != nil {
		return "", err
	}
	ovFile := filepath.Join(scratch, overlayName)
	if err := os.WriteFile(ovFile, ovb, 0o644); err != nil {
		return "", err
	}
	return ovFile, nil
}

// applyExtras copies the extra files ch wrote (sitemap, search index) into
// the live build and returns them.
func (s *Site) applyExtras(base *liveBase, ch *changes) ([]string, error) {
	for _, rel := range ch.extraWritten {
		b, err := os.ReadFile(filepath.Join(s.path(extraName), filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		if err := replaceIfChanged(filepath.Join(base.dir, filepath.FromSlash(rel)), b); err != nil {
			return nil, err
		}
	}
	return ch.extraWritten, nil
}

// updateManifest brings the live build's manifest m up to date with the
// pages fresh rendered and returns the output files that may be gone: those
// of changed or removed content files, assets no page uses any more, and
// removed extra files.
func updateManifest(m, fresh *manifest, ch *changes) (gone []string) {
	for _, rel := range append(slices.Clone(ch.written), ch.removed...) {
		for _, out := range m.outputs[rel] {
			if m.owner[out] == rel {
				delete(m.owner, out)
				gone = append(gone, out)
			}
		}
		delete(m.outputs, rel)
		for _, a := range m.uses[rel] {
			if m.users[a]--; m.users[a] <= 0 {
				delete(m.users, a)
				gone = append(gone, a)
			}
		}
		delete(m.uses, rel)
	}
	for rel, outs := range fresh.outputs {
		for _, out := range outs {
			m.add(rel, out)
		}
	}
	for rel, assets := range fresh.uses {
		m.uses[rel] = assets
		for _, a := range assets {
			m.users[a]++
		}
	}
	return append(gone, ch.extraRemoved...)
}

// removeGone deletes from the live build the files of gone that no page
// made again and no page uses, and then the directories left empty. It
// returns the files it deleted.
func removeGone(base *liveBase, gone []string) (removed []string, err error) {
	m := base.files
	var dirs []string
	for _, out := range gone {
		if _, ok := m.owner[out]; ok {
			continue // another page has it now
		}
		if _, ok := m.users[out]; ok {
			continue // an asset still in use
		}
		name := filepath.Join(base.dir, filepath.FromSlash(out))
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, err
		}
		removed = append(removed, out)
		for d := filepath.Dir(name); d != base.dir && strings.HasPrefix(d, base.dir); d = filepath.Dir(d) {
			dirs = append(dirs, d)
		}
	}
	removeEmptyDirs(dirs)
	return removed, nil
}

// stageScratch writes the scratch content: the dirty files, and the pages
// they may link to, marked not to be rendered.
func (s *Site) stageScratch(dir string, ch *changes, dirty map[string]bool) error {
	content := s.path("content")
	copyFile := func(rel string, linkOnly bool) error {
		b, err := os.ReadFile(filepath.Join(content, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		if linkOnly {
			if b, err = linkOnlyFront(b); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		return writeFile(filepath.Join(dir, filepath.FromSlash(rel)), b)
	}
	context := map[string]bool{}
	for _, rel := range ch.context {
		context[rel] = true
	}
	for rel := range dirty {
		for _, t := range ch.tagFiles[rel] {
			context[t] = true
		}
	}
	for rel := range dirty {
		if err := copyFile(rel, false); err != nil {
			return err
		}
	}
	for rel := range context {
		if !dirty[rel] {
			if err := copyFile(rel, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkOnlyFront adds build.render = "link" to a content file's TOML front
// matter: the page has its URL but is not rendered. Files with build
// options of their own are never rendered anyway.
func linkOnlyFront(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, []byte("+++\n")) {
		return nil, errors.New("no TOML front matter")
	}
	end := bytes.Index(b[4:], []byte("\n+++\n"))
	if end < 0 {
		return nil, errors.New("unterminated front matter")
	}
	end += 4 + 1
	if bytes.Contains(b[:end], []byte("\n[build]\n")) {
		return b, nil
	}
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:end]...)
	out = append(out, "\n[build]\nrender = 'link'\n"...)
	return append(out, b[end:]...), nil
}

// applyScratch moves what the scratch build rendered into the live build,
// after checking that it holds only what fresh accounts for, and returns
// the files of the live build it replaced or added.
func (s *Site) applyScratch(public string, base *liveBase, fresh *manifest) (moved []string, err error) {
	type move struct{ from, to, rel string }
	var moves []move
	err = filepath.WalkDir(public, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(public, name)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		live := filepath.Join(base.dir, filepath.FromSlash(rel))
		if _, ok := fresh.owner[rel]; ok {
			moves = append(moves, move{name, live, rel})
			return nil
		}
		if same, err := sameFile(name, live); err != nil {
			return err
		} else if same {
			return nil
		}
		if _, err := os.Stat(live); errors.Is(err, fs.ErrNotExist) && !isPage(rel) {
			moves = append(moves, move{name, live, rel}) // a new asset
			return nil
		}
		return fmt.Errorf("%w: rendering the changed pages changed %s too", errNeedFull, rel)
	})
	if err != nil {
		return nil, err
	}
	for _, mv := range moves {
		if same, err := sameFile(mv.from, mv.to); err != nil {
			return moved, err
		} else if same {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(mv.to), 0o755); err != nil {
			return moved, err
		}
		if err := os.Rename(mv.from, mv.to); err != nil {
			return moved, err
		}
		moved = append(moved, mv.rel)
	}
	return moved, nil
}

// sameFile reports whether the files a and b exist and hold the same bytes.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if fa.Size() != fb.Size() {
		return false, nil
	}
	ba, err := os.ReadFile(a)
	if err != nil {
		return false, err
	}
	bb, err := os.ReadFile(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ba, bb), nil
}

// replaceIfChanged replaces name with b atomically unless it holds b.
func replaceIfChanged(name string, b []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return writeAtomic(name, b)
}

// projectHash names the Hugo project's state: a template or config change
// makes the next build a full one.
func (s *Site) projectHash(proj string) (string, error) {
	if s.cfg.SourceDir == "" {
		return s.sourceHash, nil // the extracted project never changes
	}
	return hashProject(os.DirFS(proj))
}
