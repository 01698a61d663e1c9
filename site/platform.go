package site

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/huimin/huimin/cms"
)

// A Platform builds and serves the sites of one installation (issue 15,
// 政府网站集约化): one Site per cms.Site, each with its own directory,
// bucket prefix and build records, sharing one builder.
//
// Every call that acts in a site (Enqueue, Rebuild, BuildNow, Wait,
// PreviewStory, the checks, Status) goes to the Site of the site its
// context names (cms.SiteIDFromContext), and that Site scopes every store
// call it makes to its own site. The public handler picks the site by the
// request's Host (cms.SiteResolver.ByHost; hosts no site names get the
// default site).
//
// Sites created after start are picked up by Refresh, which Run calls
// every PlatformConfig.Poll, and which a call naming an unknown site
// triggers at once.
//
// # Fair building
//
// Each Site keeps its own queue (builds coalesce per site, as before) and
// its own worker goroutine, but a build runs only while it holds one of
// the scheduler's two slots: the full slot, for builds that render every
// page, and the incremental slot, for publishes. A 10,000-story site's
// full rebuild therefore occupies the full slot only; another site's
// one-story publish takes the incremental slot at once, or after the one
// incremental build holding it. Waiting builds are served first come,
// first served, and a site waits with at most one build at a time (its
// worker waits before taking its queue), so sites with queued work take
// turns: round robin. An incremental build may borrow the idle full slot
// when no full build waits. A build that turns out full only while it runs
// (settings or navigation changed; the live directory cannot be updated in
// place) trades its incremental slot for the full one before Hugo renders
// every page, so a full render never holds the incremental slot. At most
// two builds run at a time: memory stays within one full and one
// incremental build whatever the number of sites.
//
// On a small machine the two builds still share the cores. So that a
// publish waits for no more than itself, a full build yields: while an
// incremental build runs, the full one pauses at its next file (exported
// content, a rendered page) until no incremental build runs. Its pauses
// add up to at most yieldGrace plus the time it has run, so a stream of
// publishes slows a full build to at most about twice its time, never
// stops it.
//
// # Idle sites
//
// What makes a site's next publish incremental (the exported model and
// search index, the live build's manifest, the link index) is held in
// memory per site. Once a site has not built for PlatformConfig.IdleAfter,
// Run releases it; that site's next build is a full one (in the full
// slot). A platform of one site keeps it, as a single-site installation
// always did.
//
// # Replicas
//
// With Config.Replica, the sites share the Replica, which asks for the
// builder lease once for all of them: one replica builds every site's
// queued builds (through the scheduler's slots), and the other replicas
// follow each site from its bucket prefix. Each site still polls its own
// queue and, on a follower, its own live.json in the bucket every
// Replica.Poll.
type Platform struct {
	cfg   PlatformConfig
	log   *slog.Logger
	sched *scheduler

	mu       sync.RWMutex
	sites    map[int64]*Site
	resolver *cms.SiteResolver
	run      context.Context // Run's context, once running: sites added later start under it
	each     func(ctx context.Context)
	wg       sync.WaitGroup // the sites' workers
	refresh  sync.Mutex     // one Refresh at a time
}

// PlatformConfig is what a Platform needs: Config is the template of its
// sites (SiteID and Slug are set per site; Bucket is the bucket's root).
type PlatformConfig struct {
	Config
	// Sites lists the platform's sites; nil serves the default site only.
	Sites cms.SiteService
	// Poll is how often Run asks Sites for sites created since. 0 means 5s.
	Poll time.Duration
	// IdleAfter is how long a site goes without building before its
	// in-memory build state is released (on a platform of two sites or
	// more). 0 means 10 minutes; negative, never.
	IdleAfter time.Duration
}

const (
	defaultSitePoll  = 5 * time.Second
	defaultIdleAfter = 10 * time.Minute
)

var _ cms.Publisher = (*Platform)(nil)
var _ cms.Previewer = (*Platform)(nil)

// NewPlatform prepares the default site and every site Sites lists.
func NewPlatform(ctx context.Context, cfg PlatformConfig) (*Platform, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Platform{cfg: cfg, log: log, sched: &scheduler{}, sites: map[int64]*Site{}}
	def := &cms.Site{ID: cms.DefaultSiteID, Slug: "default", Name: "默认站点"}
	if err := p.add(def); err != nil {
		return nil, err
	}
	p.resolver = cms.NewSiteResolver([]*cms.Site{def})
	if err := p.Refresh(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// add makes the Site of cs. Callers hold p.refresh.
func (p *Platform) add(cs *cms.Site) error {
	c := p.cfg.Config
	c.SiteID, c.Slug, c.sched = cs.ID, cs.Slug, p.sched
	if cs.ID == cms.DefaultSiteID {
		c.Slug = ""
	}
	s, err := New(c)
	if err != nil {
		return fmt.Errorf("site %d (%s): %w", cs.ID, cs.Slug, err)
	}
	s.touch()
	p.mu.Lock()
	p.sites[cs.ID] = s
	run := p.run
	if run != nil {
		p.start(run, s)
	}
	p.mu.Unlock()
	if run != nil && !s.Ready() {
		// A site created while the platform runs goes live with its
		// first build; the start-up build covers those known before.
		if _, err := s.Rebuild(context.WithoutCancel(run), "new site"); err != nil {
			s.log.Error("queueing a new site's first build", "err", err)
		}
	}
	return nil
}

// start runs s's worker, and the work OnEachSite asked for, under ctx.
// Callers hold p.mu.
func (p *Platform) start(ctx context.Context, s *Site) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("site builder stopped", "err", err)
		}
	}()
	if fn := p.each; fn != nil {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			fn(cms.NewContextWithSite(ctx, s.id))
		}()
	}
}

// OnEachSite has Run call fn, in a goroutine of its own, for every site,
// those created later too, with a context acting in that site and done
// when Run's is: the per-site work of a server (scheduled publication, the
// 网站体检's background checks). Call it before Run.
func (p *Platform) OnEachSite(fn func(ctx context.Context)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.each = fn
}

// Refresh asks Sites for the platform's sites and prepares those created
// since; their host names take effect at once. Sites are never removed
// while the process runs.
func (p *Platform) Refresh(ctx context.Context) error {
	if p.cfg.Sites == nil {
		return nil
	}
	p.refresh.Lock()
	defer p.refresh.Unlock()
	list, err := p.cfg.Sites.FindSites(cms.NewContextAllSites(ctx))
	if err != nil {
		return fmt.Errorf("site.Platform: finding sites: %w", err)
	}
	hasDefault := false
	for _, cs := range list {
		hasDefault = hasDefault || cs.ID == cms.DefaultSiteID
		p.mu.RLock()
		_, ok := p.sites[cs.ID]
		p.mu.RUnlock()
		if ok {
			continue
		}
		if err := p.add(cs); err != nil {
			return err
		}
		p.log.Info("serving site", "site", cs.ID, "slug", cs.Slug, "hosts", cs.Hosts)
	}
	if !hasDefault { // a store from before sites
		list = append([]*cms.Site{{ID: cms.DefaultSiteID, Slug: "default"}}, list...)
	}
	r := cms.NewSiteResolver(list)
	p.mu.Lock()
	p.resolver = r
	p.mu.Unlock()
	return nil
}

// Resolver returns the host names and slugs of the sites as last refreshed.
func (p *Platform) Resolver() *cms.SiteResolver {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.resolver
}

// Site returns the Site of site id, or nil.
func (p *Platform) Site(id int64) *Site {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.sites[id]
}

// Sites returns every Site, the default one first, then by id.
func (p *Platform) Sites() []*Site {
	p.mu.RLock()
	out := slices.Collect(maps.Values(p.sites))
	p.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Site) int { return int(a.id - b.id) })
	return out
}

// Default returns the default site's Site.
func (p *Platform) Default() *Site { return p.Site(cms.DefaultSiteID) }

// For returns the Site of the site ctx acts in, refreshing the list of
// sites once if it is not known yet (created by another process or
// replica since); ENOTFOUND if there is no such site.
func (p *Platform) For(ctx context.Context) (*Site, error) {
	id := cms.SiteIDFromContext(ctx)
	if s := p.Site(id); s != nil {
		return s, nil
	}
	if err := p.Refresh(ctx); err != nil {
		return nil, err
	}
	if s := p.Site(id); s != nil {
		return s, nil
	}
	return nil, cms.Errorf(cms.ENOTFOUND, "站点 %d 不存在", id)
}

// onSite calls fn with the Site of the site ctx acts in (For).
func onSite[T any](p *Platform, ctx context.Context, fn func(*Site) (T, error)) (T, error) {
	s, err := p.For(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return fn(s)
}

// Enqueue queues a build of the site ctx acts in (Site.Enqueue).
func (p *Platform) Enqueue(ctx context.Context, c cms.Change) (*cms.Build, error) {
	return onSite(p, ctx, func(s *Site) (*cms.Build, error) { return s.Enqueue(ctx, c) })
}

// Rebuild queues a full build of the site ctx acts in (Site.Rebuild).
func (p *Platform) Rebuild(ctx context.Context, reason string) (*cms.Build, error) {
	return onSite(p, ctx, func(s *Site) (*cms.Build, error) { return s.Rebuild(ctx, reason) })
}

// BuildNow builds the site ctx acts in, in full, and returns the build
// (Site.BuildNow).
func (p *Platform) BuildNow(ctx context.Context, reason string) (*cms.Build, error) {
	return onSite(p, ctx, func(s *Site) (*cms.Build, error) { return s.BuildNow(ctx, reason) })
}

// BuildOnStart builds the default site now, as a single-site installation
// always did before serving, and queues a full build of every other site
// (they go live one after another while the server already answers). It
// returns the default site's build.
func (p *Platform) BuildOnStart(ctx context.Context, reason string) (*cms.Build, error) {
	b, err := p.Default().BuildNow(cms.NewContextWithSite(ctx, cms.DefaultSiteID), reason)
	for _, s := range p.Sites() {
		if s.id == cms.DefaultSiteID {
			continue
		}
		if _, err := s.Rebuild(ctx, reason); err != nil {
			p.log.Error("queueing a site's start-up build", "site", s.cfg.Slug, "err", err)
		}
	}
	return b, err
}

// BuildAll builds every site now, one after another, and returns their
// builds; the error is the first failure's (`huimin build`).
func (p *Platform) BuildAll(ctx context.Context, reason string) ([]*cms.Build, error) {
	var out []*cms.Build
	var first error
	for _, s := range p.Sites() {
		b, err := s.BuildNow(ctx, reason)
		if b != nil {
			out = append(out, b)
		}
		if err != nil && first == nil {
			first = fmt.Errorf("site %d: %w", s.id, err)
		}
	}
	return out, first
}

// Wait waits for a build of the site ctx acts in (Site.Wait).
func (p *Platform) Wait(ctx context.Context, buildID int64) (*cms.Build, error) {
	return onSite(p, ctx, func(s *Site) (*cms.Build, error) { return s.Wait(ctx, buildID) })
}

// PreviewStory renders a story as the site ctx acts in would show it.
func (p *Platform) PreviewStory(ctx context.Context, ls *cms.LiveStory) ([]byte, error) {
	return onSite(p, ctx, func(s *Site) ([]byte, error) { return s.PreviewStory(ctx, ls) })
}

// RestoreTampered restores the published files of the site ctx acts in.
func (p *Platform) RestoreTampered(ctx context.Context, reason string) (*cms.Build, error) {
	return onSite(p, ctx, func(s *Site) (*cms.Build, error) { return s.RestoreTampered(ctx, reason) })
}

// CheckLinks checks the live build of the site ctx acts in.
func (p *Platform) CheckLinks(ctx context.Context) (*LinkReport, error) {
	return onSite(p, ctx, func(s *Site) (*LinkReport, error) { return s.CheckLinks(ctx) })
}

// CheckTamper compares the published files of the site ctx acts in with
// its live build's manifest.
func (p *Platform) CheckTamper(ctx context.Context) (*TamperReport, error) {
	return onSite(p, ctx, func(s *Site) (*TamperReport, error) { return s.CheckTamper(ctx) })
}

// Status reports the builder and the live build of the site ctx acts in.
func (p *Platform) Status(ctx context.Context) (cms.ReplicaStatus, error) {
	return onSite(p, ctx, func(s *Site) (cms.ReplicaStatus, error) { return s.Status(ctx) })
}

// Building reports whether any site of the platform is building now (a
// build holding a slot of the scheduler). The beacon asks it for every
// page view (web.Config.Building).
func (p *Platform) Building() bool { return p.sched.building() }

// Ready reports whether the default site is being served: the health
// check's answer, as on a single-site installation. (A site created a
// moment ago has no build yet; that must not take the platform out of a
// load balancer.)
func (p *Platform) Ready() bool { return p.Default().Ready() }

// Handler serves the public site of the request: the site its context
// acts in when the web layer set one other than the default (it resolves
// Host with a list of sites of its own), else the site of its Host.
func (p *Platform) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := cms.SiteIDFromContext(r.Context())
		if id == cms.DefaultSiteID {
			id = p.Resolver().ByHost(r.Host)
		}
		s, err := p.For(cms.NewContextWithSite(r.Context(), id))
		if err != nil {
			s = p.Default()
		}
		s.serveHTTP(w, r)
	})
}

// Run runs every site's build worker, picks up new sites every Poll and
// releases the build state of idle sites, until ctx is done; builds in
// progress are finished first.
func (p *Platform) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.run != nil {
		p.mu.Unlock()
		return errors.New("site.Platform: Run called twice")
	}
	p.run = ctx
	for _, s := range p.sites {
		p.start(ctx, s)
	}
	p.mu.Unlock()
	defer p.wg.Wait()

	poll := p.cfg.Poll
	if poll <= 0 {
		poll = defaultSitePoll
	}
	idle := p.cfg.IdleAfter
	if idle == 0 {
		idle = defaultIdleAfter
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("refreshing the list of sites", "err", err)
		}
		if idle > 0 {
			p.releaseIdle(time.Now(), idle)
		}
	}
}

// releaseIdle releases the build state of sites that have not built for
// idle, when the platform has more than one site.
func (p *Platform) releaseIdle(now time.Time, idle time.Duration) int {
	sites := p.Sites()
	if len(sites) < 2 {
		return 0
	}
	n := 0
	for _, s := range sites {
		if s.releaseIfIdle(now, idle) {
			s.log.Info("released the build state of an idle site; its next build is a full one")
			n++
		}
	}
	return n
}

// touch records that the site built or was asked to.
func (s *Site) touch() { s.used.Store(time.Now().UnixNano()) }

// releaseIfIdle drops what the site keeps in memory between builds if it
// has not built since idle before now and is not building: its next build
// is a full one.
func (s *Site) releaseIfIdle(now time.Time, idle time.Duration) bool {
	if now.Sub(time.Unix(0, s.used.Load())) < idle {
		return false
	}
	if !s.buildMu.TryLock() {
		return false // building, or waiting for a slot to
	}
	defer s.buildMu.Unlock()
	if s.exp == nil && s.base == nil {
		return false
	}
	s.exp, s.base = nil, nil
	s.warm.Store(false)
	s.lastManifest = manifestCache{}
	s.links.mu.Lock()
	s.links.index = nil
	s.links.media = map[string]bool{}
	s.links.mu.Unlock()
	if s.mirror != nil {
		s.mirror.prev, s.mirror.prevKey = nil, ""
		s.mirror.sumDir, s.mirror.sums = "", nil
	}
	return true
}

// The scheduler shares the building among the sites of a Platform: two
// slots, full and incremental, given to waiting builds first come, first
// served (see Platform). A nil *scheduler grants nothing and never waits:
// a Site outside a Platform builds as it always did.
type scheduler struct {
	mu      sync.Mutex
	busy    [2]bool
	waiters []*waiter
	// granted counts the slots given, by kind, for tests.
	granted [2]int
	// incr counts the incremental builds holding a slot; incrDone is
	// closed when the last of them ends (full builds pause on it).
	incr     int
	incrDone chan struct{}
	// now is the clock of yield's budget; nil is time.Now.
	now func() time.Time
}

// yieldGrace is what a full build may pause for before it has run at all:
// the publish that starts with it, as it reads and exports every story.
const yieldGrace = 2 * time.Second

type slotKind int

const (
	fullSlot slotKind = iota
	incrSlot
)

type waiter struct {
	full  bool
	grant chan slotKind
}

// slot is a slot of the scheduler held by a build.
type slot struct {
	q    *scheduler
	kind slotKind
	held bool
	full bool // asked for as a full build (and so yields)
	// since is when the slot was given. paused and pausing, under q.mu,
	// are the time the build has yielded and its current pause, which
	// all of its goroutines share.
	since   time.Time
	paused  time.Duration
	pausing *pause
}

// pause is one pause of a full build: it ends when over is closed (no
// incremental build runs) or at until, whichever comes first.
type pause struct {
	start, until time.Time
	over         chan struct{}
}

func (q *scheduler) clock() time.Time {
	if q.now != nil {
		return q.now()
	}
	return time.Now()
}

// acquire waits for a slot: the full one if full, else the incremental one
// (or the full one while no full build waits for it).
func (q *scheduler) acquire(ctx context.Context, full bool) (*slot, error) {
	if q == nil {
		return nil, nil
	}
	w := &waiter{full: full, grant: make(chan slotKind, 1)}
	q.mu.Lock()
	q.waiters = append(q.waiters, w)
	q.dispatch()
	q.mu.Unlock()
	select {
	case k := <-w.grant:
		return &slot{q: q, kind: k, held: true, full: full, since: q.clock()}, nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	if i := slices.Index(q.waiters, w); i >= 0 {
		q.waiters = slices.Delete(q.waiters, i, i+1)
		q.mu.Unlock()
		return nil, ctx.Err()
	}
	q.mu.Unlock()
	(&slot{q: q, kind: <-w.grant, held: true, full: full}).release() // granted meanwhile
	return nil, ctx.Err()
}

// dispatch gives free slots to waiters in the order they came. Callers
// hold q.mu.
func (q *scheduler) dispatch() {
	fullWaits := slices.ContainsFunc(q.waiters, func(w *waiter) bool { return w.full })
	for i := 0; i < len(q.waiters); {
		w := q.waiters[i]
		k := slotKind(-1)
		switch {
		case w.full && !q.busy[fullSlot]:
			k = fullSlot
		case !w.full && !q.busy[incrSlot]:
			k = incrSlot
		case !w.full && !fullWaits && !q.busy[fullSlot]:
			k = fullSlot // borrow the idle full slot
		}
		if k < 0 {
			i++
			continue
		}
		q.busy[k] = true
		q.granted[k]++
		if !w.full {
			q.started()
		}
		q.waiters = slices.Delete(q.waiters, i, i+1)
		w.grant <- k
	}
}

// release gives the slot back; a nil or released slot is left alone.
func (sl *slot) release() {
	if sl == nil || !sl.held {
		return
	}
	sl.held = false
	q := sl.q
	q.mu.Lock()
	q.busy[sl.kind] = false
	if !sl.full {
		q.ended()
	}
	q.dispatch()
	q.mu.Unlock()
}

// building reports whether a build holds a slot.
func (q *scheduler) building() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.busy[fullSlot] || q.busy[incrSlot]
}

// started and ended count the incremental builds running. Callers hold
// q.mu.
func (q *scheduler) started() {
	if q.incr++; q.incr == 1 {
		q.incrDone = make(chan struct{})
	}
}

func (q *scheduler) ended() {
	if q.incr--; q.incr == 0 {
		close(q.incrDone)
	}
}

// yield pauses a full build while an incremental build runs, within the
// budget the Platform comment describes; anything else returns at once.
// The goroutines of one build may call it at the same time: they share
// one pause.
func (sl *slot) yield() {
	if sl == nil || !sl.full {
		return
	}
	q := sl.q
	q.mu.Lock()
	if q.incr == 0 || !sl.held {
		q.mu.Unlock()
		return
	}
	p := sl.pausing
	if p == nil {
		now := q.clock()
		budget := yieldGrace + now.Sub(sl.since) - 2*sl.paused
		if budget <= 0 {
			q.mu.Unlock()
			return
		}
		p = &pause{start: now, until: now.Add(budget), over: q.incrDone}
		sl.pausing = p
	}
	q.mu.Unlock()
	t := time.NewTimer(p.until.Sub(q.clock()))
	select {
	case <-p.over:
	case <-t.C:
	}
	t.Stop()
	q.mu.Lock()
	if sl.pausing == p {
		sl.pausing = nil
		sl.paused += q.clock().Sub(p.start)
	}
	q.mu.Unlock()
}

// upgrade trades the incremental slot for the full one, waiting for it:
// a build about to render every page. A nil slot or the full one stays.
func (sl *slot) upgrade(ctx context.Context) error {
	if sl == nil || !sl.held || sl.kind == fullSlot {
		return nil
	}
	sl.release()
	n, err := sl.q.acquire(ctx, true)
	if err != nil {
		return err
	}
	*sl = *n
	return nil
}
