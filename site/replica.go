package site

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/huimin/huimin/cms"
)

// Replicas: several `huimin serve` processes on one MySQL database and one
// bucket. Any replica queues builds, durably, as build records in the
// database (Enqueue); exactly one, the holder of the builder lease, claims
// and runs them and copies each build that goes live to the bucket; the
// others serve the site they copy back from the bucket (follow.go).
//
// The lease is renewed every TTL/3. A builder that dies stops renewing, and
// another replica takes over once the lease lapses, TTL at most after the
// last renewal; it first runs a full build, so changes a dead builder had
// claimed but not published are built too. A builder that cannot renew (a
// long pause, a lost database) stops writing to the bucket when its own
// clock says the lease may have lapsed, before another replica can hold
// it, and ClaimBuilds refuses it from the moment another holds it.

// Replica makes a Site one of several replicas. Name must differ between
// the replicas (host name and port, say).
type Replica struct {
	Name   string
	Leases cms.LeaseService
	Queue  cms.BuildQueue
	// TTL is how long the lease lasts unless renewed; a dead builder is
	// replaced within TTL plus one poll. 0 means DefaultLeaseTTL.
	TTL time.Duration
	// Poll is how often the builder looks for queued builds and the others
	// for a new site in the bucket. 0 means 250ms.
	Poll time.Duration

	// The builder lease is platform-wide: the sites of a Platform share
	// one Replica, which asks for the lease once for all of them while
	// any runs (join, leave). lease is the lease while held, holder who
	// holds it.
	mu     sync.Mutex
	sites  map[*Site]bool
	stop   context.CancelFunc
	kept   chan struct{} // closed when keepLease returned
	lease  atomic.Pointer[leaseState]
	holder string
}

// DefaultLeaseTTL lets another replica take over within 10 seconds of the
// builder's death: the lease lapses at most 6s after its last renewal, and
// the others ask every 2s.
const DefaultLeaseTTL = 6 * time.Second

// builderLease names the lease of the site builder.
const builderLease = "site-builder"

func (r *Replica) ttl() time.Duration {
	if r.TTL > 0 {
		return r.TTL
	}
	return DefaultLeaseTTL
}

func (r *Replica) poll() time.Duration {
	if r.Poll > 0 {
		return r.Poll
	}
	return 250 * time.Millisecond
}

// leaseState is the lease this replica holds and, by its own monotonic
// clock, until when it may act on it: the time it asked plus the TTL,
// minus a margin for clock drift between the replica and the database.
type leaseState struct {
	lease cms.Lease
	until time.Time
}

// Status reports whether this replica builds, the queue depth and the live
// build; on a single process, Builder is always true.
func (s *Site) Status(ctx context.Context) (cms.ReplicaStatus, error) {
	ctx = s.scope(ctx)
	st := cms.ReplicaStatus{Builder: true}
	if o := s.live.Load(); o != nil {
		// The build record's id, the same on every replica serving it; the
		// directory's name for a site adopted at the start, before any.
		st.LiveBuild = o.name
		if id := s.liveBuild.Load(); id > 0 {
			st.LiveBuild = strconv.FormatInt(id, 10)
		}
		if fi, err := os.Stat(o.dir); err == nil {
			st.LiveSince = fi.ModTime().UTC()
			st.LiveAgeSeconds = int64(time.Since(fi.ModTime()).Seconds())
		}
	}
	r := s.cfg.Replica
	if r == nil {
		return st, nil
	}
	st.Replica = r.Name
	ls := r.lease.Load()
	st.Builder = ls != nil && time.Now().Before(ls.until)
	r.mu.Lock()
	st.BuilderIs = r.holder
	r.mu.Unlock()
	n, err := r.Queue.QueueDepth(s.scope(ctx))
	st.QueueDepth = n
	return st, err
}

// fenced returns an error unless this replica may still write the shared
// site: it holds the builder lease by its own clock. A single process
// always may.
func (s *Site) fenced() error {
	if s.cfg.Replica == nil {
		return nil
	}
	if ls := s.cfg.Replica.lease.Load(); ls != nil && time.Now().Before(ls.until) {
		return nil
	}
	return errLeaseLost
}

var errLeaseLost = errors.New("本副本已不再负责构建网站（构建权已转移到其他副本），停止写入")

// enqueueDurable records a queued build in the database for whichever
// replica builds; requests coalesce when the builder claims them.
func (s *Site) enqueueDurable(ctx context.Context, ch cms.Change, full bool) (*cms.Build, error) {
	b := &cms.Build{Status: cms.BuildQueued, Reason: ch.Reason, Full: full, QueuedAt: time.Now().UTC()}
	if !full {
		b.Stories = ch.Stories
	}
	if err := s.cfg.Builds.CreateBuild(ctx, b); err != nil {
		return nil, fmt.Errorf("site.Enqueue(%q): %w", ch.Reason, err)
	}
	s.wakeUp()
	c := *b
	return &c, nil
}

// runReplica is Run for a replica: keep asking for the builder lease; as
// the builder, claim and run queued builds; otherwise follow the bucket.
func (s *Site) runReplica(ctx context.Context) error {
	r := s.cfg.Replica
	r.join(ctx, s)
	defer r.leave(s)

	tick := time.NewTicker(r.poll())
	defer tick.Stop()
	var term int64 // the lease token this replica last built under
	var leading context.Context
	for ctx.Err() == nil {
		if ls := r.lease.Load(); ls != nil && time.Now().Before(ls.until) {
			if ls.lease.Token != term {
				term = ls.lease.Token
				leading = s.takeOver(ctx, ls.lease)
			}
			s.buildClaimed(leading, ls.lease, ctx)
		} else if err := s.follow(ctx); err != nil {
			s.log.Warn("following the site in the bucket", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		case <-s.wake:
		}
	}
	s.stopLeading()
	return nil
}

// join counts s among the sites of r that run, and starts asking for the
// builder lease when s is the first.
func (r *Replica) join(ctx context.Context, s *Site) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sites == nil {
		r.sites = map[*Site]bool{}
	}
	r.sites[s] = true
	if r.stop != nil {
		return
	}
	// The lease outlives the site that started asking: it stops when
	// the last site leaves.
	kctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r.stop, r.kept = stop, make(chan struct{})
	log := s.cfg.Logger // not s.log: the lease is no one site's
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kept := r.kept
	go func() {
		defer close(kept)
		r.keepLease(kctx, log.With("component", "site"))
	}()
}

// leave ends s's part; the last site to leave stops asking for the lease
// and gives it up, so the next replica takes over at once rather than
// after the TTL.
func (r *Replica) leave(s *Site) {
	r.mu.Lock()
	delete(r.sites, s)
	if len(r.sites) > 0 || r.stop == nil {
		r.mu.Unlock()
		return
	}
	stop, kept := r.stop, r.kept
	r.stop, r.kept = nil, nil
	r.mu.Unlock()
	stop()
	<-kept
	if ls := r.lease.Swap(nil); ls != nil {
		if err := r.Leases.ReleaseLease(cms.NewContextAllSites(context.Background()), ls.lease); err != nil {
			s.log.Warn("releasing the builder lease", "err", err)
		}
	}
}

// each calls fn for every site of r that runs.
func (r *Replica) each(fn func(*Site)) {
	r.mu.Lock()
	sites := slices.Collect(maps.Keys(r.sites))
	r.mu.Unlock()
	for _, s := range sites {
		fn(s)
	}
}

// keepLease asks for the builder lease every TTL/3 until ctx is done. When
// the lease goes to another replica it cancels every site's term, so
// claims and copies to the bucket stop.
func (r *Replica) keepLease(ctx context.Context, log *slog.Logger) {
	ttl := r.ttl()
	every := ttl / 3
	for {
		asked := time.Now()
		// The lease is platform-wide: asked for once for all the sites
		// of a Platform, so one replica builds them all.
		l, err := r.Leases.AcquireLease(cms.NewContextAllSites(ctx), builderLease, r.Name, ttl)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			// Keep what we hold until it lapses by our clock (fenced).
			log.Warn("asking for the builder lease", "err", err)
		case l.Held():
			prev := r.lease.Swap(&leaseState{lease: l, until: asked.Add(ttl - ttl/10)})
			if prev == nil || prev.lease.Token != l.Token {
				log.Info("this replica is now the site builder", "replica", r.Name, "token", l.Token)
				r.each((*Site).wakeUp)
			}
			r.setHolder(l.Holder)
		default:
			if prev := r.lease.Swap(nil); prev != nil {
				log.Warn("the builder lease went to another replica", "replica", r.Name, "builder", l.Holder)
				r.each((*Site).stopLeading)
			}
			r.setHolder(l.Holder)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func (s *Site) stopLeading() {
	s.holderMu.Lock()
	defer s.holderMu.Unlock()
	if s.leading != nil {
		s.leading()
		s.leading = nil
	}
}

func (r *Replica) setHolder(name string) {
	r.mu.Lock()
	r.holder = name
	r.mu.Unlock()
}

// takeOver starts a builder's term: builds a previous builder left running
// are marked failed (their changes are in the full build queued now), and
// this process's state of the last build is dropped, as another replica
// may have published since.
func (s *Site) takeOver(ctx context.Context, l cms.Lease) context.Context {
	ctx = s.scope(ctx)
	s.stopLeading()
	leading, stop := context.WithCancel(ctx)
	s.holderMu.Lock()
	s.leading = stop
	s.holderMu.Unlock()
	s.buildMu.Lock()
	s.base, s.exp = nil, nil
	s.buildMu.Unlock()
	builds, _, err := s.cfg.Builds.FindBuilds(ctx, cms.Page{Page: 1, PerPage: cms.MaxPerPage})
	if err != nil {
		s.log.Error("finding builds left running", "err", err)
	}
	for _, b := range builds {
		if b.Status != cms.BuildRunning {
			continue
		}
		now := time.Now().UTC()
		b.Status, b.Error, b.FinishedAt = cms.BuildFailed, "构建被中断（负责构建的副本已停止），已由 "+l.Holder+" 重新完整构建", &now
		if err := s.cfg.Builds.UpdateBuild(ctx, b); err != nil {
			s.log.Error("marking an interrupted build failed", "build", b.ID, "err", err)
		}
	}
	if _, err := s.enqueueDurable(ctx, cms.Change{Reason: "builder " + l.Holder + " takes over"}, true); err != nil {
		s.log.Error("queueing the first build of a new builder", "err", err)
	}
	return leading
}

// buildClaimed claims the queued builds and runs them as one: full if any
// asks for it, reading again every story any names. Each claimed record
// gets the outcome.
func (s *Site) buildClaimed(ctx context.Context, l cms.Lease, stop context.Context) {
	ctx = s.scope(ctx)
	builds, err := s.cfg.Replica.Queue.ClaimBuilds(s.scope(ctx), l)
	if err != nil {
		if cms.ErrorCode(err) == cms.ECONFLICT {
			s.cfg.Replica.lease.Store(nil)
		}
		if ctx.Err() == nil {
			s.log.Warn("claiming queued builds", "err", err)
		}
		return
	}
	if len(builds) == 0 {
		return
	}
	first := builds[0]
	h := &hints{}
	for _, b := range builds {
		first.Full = first.Full || b.Full
		h.add(cms.Change{Stories: b.Stories})
	}
	if first.Full {
		h = nil
	}
	first.Builder = l.Holder
	s.runBuild(context.WithoutCancel(ctx), first, h, stop)
	for _, b := range builds[1:] {
		b.Status, b.Pages, b.Error, b.ErrorFile, b.ErrorLine = first.Status, first.Pages, first.Error, first.ErrorFile, first.ErrorLine
		b.FinishedAt, b.DurationMS, b.Builder = first.FinishedAt, first.DurationMS, l.Holder
		s.saveBuild(context.WithoutCancel(ctx), b)
	}
}
