package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
	"time"
	_ "time/tzdata" // config.toml's timeZone must load on hosts without zoneinfo

	"github.com/bep/logg"
	"github.com/gohugoio/hugo/common/herrors"
	"github.com/gohugoio/hugo/common/loggers"
	"github.com/gohugoio/hugo/config"
	"github.com/gohugoio/hugo/config/allconfig"
	"github.com/gohugoio/hugo/deps"
	"github.com/gohugoio/hugo/hugofs"
	"github.com/gohugoio/hugo/hugolib"
	"github.com/spf13/fsync"

	"github.com/huimin/huimin/cms"
)

// keepBuilds is how many finished builds stay on disk: the live one and
// the ones before it, for readers still fetching a page of the previous
// build and for other processes that have not yet followed the symlink.
const keepBuilds = 3

type buildResult struct {
	pages        int
	changed      int // content and extra files written or removed by the export
	full         bool
	export, hugo time.Duration
	links        time.Duration // the internal link check (linkcheck.go)
	manifest     time.Duration // writing the tamper check's manifest (manifest.go)
	bucket       time.Duration // copying the build to the bucket (bucket.go)
}

// fullEvery is how many in-place updates a build directory takes before the
// next build is a full one again. Each update is checked against the full
// build's rules as it is applied; the full build is the belt to those
// braces, and starts a fresh directory.
const fullEvery = 500

// build exports the content and renders it. A full build renders every
// page into a fresh directory and then makes that directory live; an
// incremental one renders only the pages whose files the export changed
// and replaces them in the live directory one by one (incremental.go). On
// error the site being served stays as it was.
func (s *Site) build(ctx context.Context, b *cms.Build, h *hints) (res buildResult, err error) {
	unlock, err := s.lock.Lock()
	if err != nil {
		return res, fmt.Errorf("acquiring build lock: %w", err)
	}
	defer unlock()

	proj, err := s.project()
	if err != nil {
		return res, err
	}
	projHash, err := s.projectHash(proj)
	if err != nil {
		return res, err
	}

	base := s.base
	if o := s.live.Load(); base != nil && (o == nil || o.name != base.name) {
		base = nil // another process's build went live: start afresh
	}
	full := b.Full || h == nil || base == nil || base.proj != projHash || base.updates >= fullEvery
	if full {
		s.base = nil
		if base == nil || s.exp == nil || s.exp.model.stories == nil {
			s.exp = nil // the content directory may have been written by another process
		}
		h = nil
	}

	t := time.Now()
	ch, err := s.exportContent(ctx, h)
	if err != nil {
		// Some files may be written and not rendered: start afresh.
		s.base, s.exp = nil, nil
		return res, err
	}
	res.export, res.changed = time.Since(t), ch.count()

	t = time.Now()
	defer func() { res.hugo = time.Since(t) }()
	if !full && ch.overlay {
		full = true // settings or navigation changed: every page shows them
	}
	if !full {
		if s.beforeRender != nil {
			s.beforeRender(false)
		}
		var touched []string
		res.pages, touched, err = s.update(ctx, proj, base, ch)
		if err == nil {
			s.liveBuild.Store(b.ID)
			// The bucket first: other replicas serve the build once it is
			// there, and the checks after it are this replica's own.
			res.bucket, err = s.timedToBucket(ctx, b.ID, s.live.Load(), touched)
			res.links, res.manifest = s.afterBuild(s.live.Load(), b.ID, touched)
			return res, err
		}
		if !errors.Is(err, errNeedFull) {
			s.base = nil // the live directory may be half updated: next time, a full build
			return res, err
		}
		s.log.Info("incremental build not possible; building in full", "build", b.ID, "why", err)
		s.base = nil
	}
	res.full = true
	// Under a Platform, a full render takes the scheduler's full slot: a
	// build that turned out full holding the incremental one trades it
	// (platform.go).
	if err := s.slot.upgrade(ctx); err != nil {
		return res, err
	}
	if s.beforeRender != nil {
		s.beforeRender(true)
	}
	out, err := s.newOutput(b.ID)
	if err != nil {
		return res, err
	}
	var m *manifest
	res.pages, m, err = s.hugo(proj, out.dir, ch)
	if err != nil {
		if rmErr := os.RemoveAll(out.dir); rmErr != nil {
			s.log.Error("removing failed build", "dir", out.dir, "err", rmErr)
		}
		return res, err
	}
	if err := s.publish(out); err != nil {
		// The handler serves the new build already; only the symlink is stale.
		s.log.Error("updating current symlink", "err", err)
	}
	s.liveBuild.Store(b.ID)
	s.base = &liveBase{name: out.name, dir: out.dir, proj: projHash, files: m}
	s.pruneBuilds()
	// Hugo's pages are garbage now; give the memory back rather than hold
	// it until the next full build.
	debug.FreeOSMemory()
	res.bucket, err = s.timedToBucket(ctx, b.ID, out, nil)
	res.links, res.manifest = s.afterBuild(out, b.ID, nil)
	return res, err
}

// newOutput returns a fresh, not yet existing directory for build id. The
// name is the build id unless a directory of that name exists already (the
// database was replaced while the data directory was kept).
func (s *Site) newOutput(id int64) (*output, error) {
	name := strconv.FormatInt(id, 10)
	for i := 2; ; i++ {
		dir := s.path("builds", name)
		err := s.mkdir(dir, 0o755)
		if err == nil {
			return &output{name: name, dir: dir}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		name = fmt.Sprintf("%d-%d", id, i)
	}
}

// pruneBuilds deletes all but the newest keepBuilds build directories,
// never the live one or the one the current symlink points at.
func (s *Site) pruneBuilds() {
	entries, err := os.ReadDir(s.path("builds"))
	if err != nil {
		s.log.Error("listing builds", "err", err)
		return
	}
	protect := map[string]bool{}
	if o := s.live.Load(); o != nil {
		protect[o.name] = true
	}
	if t, err := os.Readlink(s.path("current")); err == nil {
		protect[filepath.Base(t)] = true
	}
	type dir struct {
		name string
		mod  time.Time
	}
	var dirs []dir
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			dirs = append(dirs, dir{e.Name(), fi.ModTime()})
		}
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].mod.After(dirs[j].mod) })
	for i, d := range dirs {
		if i < keepBuilds || protect[d.name] {
			continue
		}
		if err := os.RemoveAll(s.path("builds", d.name)); err != nil {
			s.log.Error("removing old build", "build", d.name, "err", err)
		}
	}
}

// hugo renders the project with the exported content into outDir and
// returns the number of pages rendered and which content file made which
// output file.
func (s *Site) hugo(proj, outDir string, ch *changes) (int, *manifest, error) {
	cfgFile, err := projectConfig(proj)
	if err != nil {
		return 0, nil, err
	}
	var m *manifest
	var stray error
	pages, err := runHugoWith(hugoRun{
		proj:        proj,
		configFiles: []string{cfgFile, s.path(overlayName)},
		outDir:      outDir,
		// Keep Hugo's caches out of the project: with SourceDir it is the repository.
		resourceDir: s.path("resources"),
		cacheDir:    s.path("cache"),
		log:         s.log,
		yield:       s.slot.yield,
	}, func(h *hugolib.HugoSites, rec *outputRecorder) error {
		m = newManifest(h, rec, ch, nil)
		stray = m.check(rec)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	if stray != nil {
		// An update would leave such files behind when their page goes.
		s.log.Warn("pages of the full build not accounted for; builds will be full", "err", stray)
		m.unsafe = true
	}
	return pages, m, nil
}

type hugoRun struct {
	proj        string   // working directory
	configFiles []string // merged in order, later ones override
	outDir      string
	resourceDir string
	cacheDir    string
	log         *slog.Logger
	noStatic    bool   // do not copy static files
	yield       func() // called before each page is written (platform.go)
}

func runHugo(r hugoRun) (pages int, err error) { return runHugoWith(r, nil) }

// runHugoWith builds like runHugo and then calls after, if set, with the
// built sites.
func runHugoWith(r hugoRun, after func(*hugolib.HugoSites, *outputRecorder) error) (pages int, err error) {
	// A panic in Hugo must fail this build, not take the server down.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("hugo panicked: %v", p)
		}
	}()
	hlog := &hugoLog{log: r.log}
	logger := loggers.New(loggers.Options{
		Level:         logg.LevelWarn,
		StdOut:        hlog,
		StdErr:        hlog,
		DistinctLevel: logg.LevelWarn,
	})

	flags := config.New()
	flags.Set("workingDir", r.proj)
	flags.Set("publishDir", r.outDir)
	flags.Set("resourceDir", r.resourceDir)
	flags.Set("cacheDir", r.cacheDir)
	flags.Set("noBuildLock", true) // build.lock is ours, held by the caller

	configs, err := allconfig.LoadConfig(allconfig.ConfigSourceDescriptor{
		Fs:          hugofs.Os,
		Logger:      logger,
		Flags:       flags,
		Filename:    strings.Join(r.configFiles, ","),
		Environment: "production",
		// No HUGO_* variable of the server's environment changes the site.
		Environ: []string{"HUIMIN_SITE_BUILD=1"},
	})
	if err != nil {
		return 0, err
	}
	fs := hugofs.NewFrom(hugofs.Os, configs.LoadingInfo.BaseConfig)
	rec := newOutputRecorder(fs.PublishDir, "/")
	rec.yield = r.yield
	fs.PublishDir = rec // pages and assets; static files go to PublishDirStatic
	h, err := hugolib.NewHugoSites(deps.DepsCfg{
		Configs:  configs,
		Fs:       fs,
		LogLevel: logger.Level(),
		StdOut:   hlog,
		StdErr:   hlog,
	})
	if err != nil {
		return 0, err
	}
	defer h.Close()
	if u, err := url.Parse(h.Sites[0].BaseURL()); err == nil && u.Path != "" {
		rec.basePath = u.Path
	}

	// Build renders pages only; like the hugo command, copy static files first
	// so rendered pages win over a static file of the same name.
	if !r.noStatic {
		if err := copyStatic(h); err != nil {
			return 0, fmt.Errorf("copying static files: %w", err)
		}
	}
	err = h.Build(hugolib.BuildCfg{NoBuildLock: true})
	if err == nil && h.NumLogErrors() > 0 {
		err = fmt.Errorf("logged %d error(s)", h.NumLogErrors())
	}
	if err != nil {
		// Errors logged by templates (errorf) are only counted in err.
		if first := hlog.firstError(); first != "" && !strings.Contains(err.Error(), first) {
			err = fmt.Errorf("%w: %s", err, first)
		}
		return 0, err
	}
	for _, st := range h.Sites {
		pages += int(st.PathSpec.ProcessingStats.Pages)
	}
	if after != nil {
		if err := after(h, rec); err != nil {
			return 0, err
		}
	}
	return pages, nil
}

func copyStatic(h *hugolib.HugoSites) error {
	for _, sfs := range h.BaseFs.SourceFilesystems.Static {
		syncer := fsync.NewSyncer()
		// Never copy modes: the sources are read-only overlays (the root
		// of the project's static mount reports mode 000, the module cache
		// 0555), and a copied directory mode locks the build out of its own
		// output when Huimin is not root. Files and directories then get
		// 0644/0755 under the usual umask, like everything Hugo publishes.
		syncer.NoChmod = true
		syncer.SrcFs = sfs.Fs
		syncer.DestFs = h.Deps.Fs.PublishDirStatic
		dst := string(filepath.Separator)
		if sfs.PublishFolder != "" {
			dst = filepath.Join(dst, sfs.PublishFolder)
		}
		if err := syncer.Sync(dst, string(filepath.Separator)); err != nil && !herrors.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// describe turns a build error into the message, file and line stored on the
// build record. Paths are made relative: project files as in the repository
// (themes/huimin/layouts/page.html), exported content as content/...
func (s *Site) describe(err error) (msg, file string, line int) {
	msg = err.Error()
	if fe := firstFileError(err); fe != nil {
		pos := fe.Position()
		file, line = s.relPath(pos.Filename), pos.LineNumber
	}
	// A template parse error is reported under the name of the combined
	// template (a page template joined with baseof.html), so neither Hugo's
	// position nor Go's template name reliably names the broken file. Parse
	// each candidate on its own and blame the one that does not parse.
	var candidates []string
	if file != "" {
		candidates = append(candidates, s.absPath(file))
	}
	for _, m := range templateErrorPos.FindAllStringSubmatch(msg, -1) {
		if f := s.findLayout(m[1]); f != "" {
			candidates = append(candidates, f)
		}
	}
	for _, c := range candidates {
		if l := syntaxErrorLine(c); l > 0 {
			file, line = s.relPath(c), l
			break
		}
	}
	for _, r := range s.pathReplacer() {
		msg = strings.ReplaceAll(msg, r[0], r[1])
	}
	// A full disk or an unwritable directory is the operator's to fix:
	// say so first, in words, before the system's own.
	if fault := s.faultMessage(err); fault != "" {
		msg = fault + "（" + msg + "）"
	}
	if len(msg) > 4000 {
		msg = msg[:4000] + "…"
	}
	return msg, file, line
}

// syntaxErrorLine returns the line of a template syntax error in the file
// at path, or 0 when it parses (or is not a template).
func syntaxErrorLine(path string) int {
	if !strings.HasSuffix(path, ".html") && !strings.HasSuffix(path, ".xml") && !strings.HasSuffix(path, ".txt") {
		return 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	t := parse.New(filepath.Base(path))
	t.Mode = parse.SkipFuncCheck | parse.ParseComments
	if _, err := t.Parse(string(b), "{{", "}}", map[string]*parse.Tree{}); err != nil {
		if m := templateErrorPos.FindStringSubmatch(err.Error()); m != nil {
			n, _ := strconv.Atoi(m[2])
			return n
		}
	}
	return 0
}

// templateErrorPos finds "template: stories/page.html:3:" in Go template errors.
var templateErrorPos = regexp.MustCompile(`template: ([^\s:"]+):(\d+):`)

// findLayout finds the file of a template named relative to a layouts
// directory: the project's first, then the themes'.
func (s *Site) findLayout(name string) string {
	proj, err := s.projectDir()
	if err != nil || strings.Contains(name, "..") {
		return ""
	}
	candidates := []string{filepath.Join(proj, "layouts", filepath.FromSlash(name))}
	themes, _ := filepath.Glob(filepath.Join(proj, "themes", "*", "layouts", filepath.FromSlash(name)))
	for _, c := range append(candidates, themes...) {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c
		}
	}
	return ""
}

// firstFileError returns the most specific Hugo file error in err: one with
// source context (the template or content line itself) if there is one.
func firstFileError(err error) herrors.FileError {
	for _, fe := range slices.Concat(herrors.UnwrapFileErrorsWithErrorContext(err), herrors.UnwrapFileErrors(err)) {
		if fe.Position().Filename != "" && fe.Position().LineNumber > 0 {
			return fe
		}
	}
	return nil
}

func (s *Site) pathReplacer() [][2]string {
	var r [][2]string
	if proj, err := s.projectDir(); err == nil {
		r = append(r, [2]string{proj + string(filepath.Separator), ""})
	}
	return append(r,
		[2]string{s.path("content") + string(filepath.Separator), "content/"},
		[2]string{s.path(scratchName, "content") + string(filepath.Separator), "content/"},
		[2]string{s.dir + string(filepath.Separator), ""},
	)
}

func (s *Site) relPath(name string) string {
	if name == "" {
		return ""
	}
	for _, r := range s.pathReplacer() {
		if rest, ok := strings.CutPrefix(name, r[0]); ok {
			return filepath.ToSlash(r[1] + rest)
		}
	}
	return filepath.ToSlash(name)
}

// hugoLog passes Hugo's log lines on to slog and remembers the errors.
type hugoLog struct {
	log    *slog.Logger
	mu     sync.Mutex
	buf    []byte
	errors []string
}

func (l *hugoLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.line(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

func (l *hugoLog) line(s string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
	case strings.HasPrefix(s, "ERROR"):
		msg := strings.TrimSpace(strings.TrimPrefix(s, "ERROR"))
		l.errors = append(l.errors, msg)
		l.log.Error("hugo", "msg", msg)
	case strings.HasPrefix(s, "WARN"):
		l.log.Warn("hugo", "msg", strings.TrimSpace(strings.TrimPrefix(s, "WARN")))
	default:
		l.log.Info("hugo", "msg", s)
	}
}

func (l *hugoLog) firstError() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errors) == 0 {
		return ""
	}
	return l.errors[0]
}

// absPath undoes relPath for files of the Hugo project.
func (s *Site) absPath(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	if rest, ok := strings.CutPrefix(rel, "content/"); ok {
		return filepath.Join(s.path("content"), filepath.FromSlash(rest))
	}
	if proj, err := s.projectDir(); err == nil {
		return filepath.Join(proj, filepath.FromSlash(rel))
	}
	return rel
}
