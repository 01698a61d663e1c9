package site

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/huimin/huimin/cms"
)

// pollInterval is how often Wait looks at a build this process does not run.
const pollInterval = 250 * time.Millisecond

// Enqueue asks for a build that includes every change committed so far. It
// returns the queued build record at once; Run performs it. Requests
// coalesce: while a build waits to start, new requests join it; while one
// runs, one more is queued.
func (s *Site) Enqueue(ctx context.Context, c cms.Change) (*cms.Build, error) {
	return s.enqueue(ctx, c, false)
}

// Rebuild asks for a full build from scratch (templates or settings
// changed). A waiting build is upgraded to a full one.
func (s *Site) Rebuild(ctx context.Context, reason string) (*cms.Build, error) {
	return s.enqueue(ctx, cms.Change{Reason: reason}, true)
}

func (s *Site) enqueue(ctx context.Context, ch cms.Change, full bool) (_ *cms.Build, err error) {
	ctx = s.scope(ctx)
	s.touch()
	if s.cfg.Replica != nil {
		return s.enqueueDurable(ctx, ch, full)
	}
	reason := ch.Reason
	defer cms.Wrap(&err, "site.Enqueue(%q)", reason)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending.add(ch)
	if full {
		s.pending.all = true
	}
	if b := s.queued; b != nil {
		if full && !b.Full {
			b.Full = true
			if err := s.cfg.Builds.UpdateBuild(ctx, b); err != nil {
				return nil, err
			}
		}
		c := *b
		return &c, nil
	}
	b, err := s.newBuild(ctx, reason, full)
	if err != nil {
		return nil, err
	}
	s.queued = b
	s.wakeUp()
	c := *b
	return &c, nil
}

// wakeUp tells Run a build is queued; one wake-up pending is enough.
func (s *Site) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// newBuild creates a queued build record. Callers hold s.mu or know no one
// else can see the record yet.
func (s *Site) newBuild(ctx context.Context, reason string, full bool) (*cms.Build, error) {
	b := &cms.Build{Status: cms.BuildQueued, Reason: reason, Full: full, QueuedAt: time.Now().UTC()}
	if err := s.cfg.Builds.CreateBuild(ctx, b); err != nil {
		return nil, err
	}
	s.done[b.ID] = make(chan struct{})
	return b, nil
}

// BuildNow runs a full build synchronously (for `huimin build` and the first
// start) and returns its record; the error is non-nil if the build failed.
func (s *Site) BuildNow(ctx context.Context, reason string) (*cms.Build, error) {
	ctx = s.scope(ctx)
	s.touch()
	s.mu.Lock()
	b, err := s.newBuild(ctx, reason, true)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("site.BuildNow: %w", err)
	}
	s.runBuild(ctx, b, nil, ctx)
	c := *b
	if b.Status != cms.BuildSucceeded {
		return &c, buildError(b)
	}
	return &c, nil
}

// saveBuild records b's progress; a failure is logged, and the build
// goes on.
func (s *Site) saveBuild(ctx context.Context, b *cms.Build) {
	if err := s.cfg.Builds.UpdateBuild(ctx, b); err != nil {
		s.log.Error("saving build", "build", b.ID, "err", err)
	}
}

func buildError(b *cms.Build) error {
	where := ""
	if b.ErrorFile != "" {
		where = fmt.Sprintf(" (%s:%d)", b.ErrorFile, b.ErrorLine)
	}
	return fmt.Errorf("site build %d failed%s: %s", b.ID, where, b.Error)
}

// Wait blocks until the build is done and returns its final record. Builds
// run by another process are polled.
func (s *Site) Wait(ctx context.Context, buildID int64) (*cms.Build, error) {
	ctx = s.scope(ctx)
	s.mu.Lock()
	ch := s.done[buildID]
	s.mu.Unlock()
	if ch != nil {
		if err := wait(ctx, ch); err != nil {
			return nil, err
		}
	}
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		b, err := s.cfg.Builds.FindBuildByID(ctx, buildID)
		if err != nil {
			return nil, fmt.Errorf("site.Wait(%d): %w", buildID, err)
		}
		if b.Done() {
			return b, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Run is the build worker: it runs queued builds one after another until ctx
// is done. A build in progress when ctx is cancelled is finished first.
func (s *Site) Run(ctx context.Context) error {
	ctx = s.scope(ctx)
	if s.cfg.Replica != nil {
		return s.runReplica(ctx)
	}
	s.sweep(ctx)
	for ctx.Err() == nil {
		s.mu.Lock()
		queued := s.queued
		full := queued != nil && queued.Full
		s.mu.Unlock()
		if queued != nil {
			// Under a Platform, wait for a slot of its scheduler before
			// taking the queued build, so changes made meanwhile join it.
			s.buildMu.Lock()
			sl, err := s.cfg.sched.acquire(ctx, full || !s.warm.Load())
			if err != nil {
				s.buildMu.Unlock()
				break
			}
			s.mu.Lock()
			b, h := s.queued, s.pending
			s.queued, s.pending = nil, hints{}
			s.mu.Unlock()
			if b != nil { // Run alone takes the queue; this is a guard
				s.runBuildLocked(sl, context.WithoutCancel(ctx), b, &h, ctx)
			} else {
				sl.release()
			}
			s.buildMu.Unlock()
			continue
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		}
	}
	return nil
}

// sweep marks build records left queued or running by a process that died
// as failed, so the build list does not show them pending forever. It holds
// the build lock, so no other process is building meanwhile.
func (s *Site) sweep(ctx context.Context) {
	ctx = s.scope(ctx)
	s.sweepPreviews(time.Now().Add(-10 * time.Minute))
	unlock, err := s.lock.Lock()
	if err != nil {
		s.log.Error("build lock", "err", err)
		return
	}
	defer unlock()
	builds, _, err := s.cfg.Builds.FindBuilds(ctx, cms.Page{Page: 1, PerPage: cms.MaxPerPage})
	if err != nil {
		s.log.Error("finding stale builds", "err", err)
		return
	}
	for _, b := range builds {
		s.mu.Lock()
		_, ours := s.done[b.ID]
		s.mu.Unlock()
		if ours || b.Done() {
			continue
		}
		now := time.Now().UTC()
		b.Status, b.Error, b.FinishedAt = cms.BuildFailed, "构建被中断（服务已停止）", &now
		if err := s.cfg.Builds.UpdateBuild(ctx, b); err != nil {
			s.log.Error("marking stale build failed", "build", b.ID, "err", err)
		}
	}
}

// runBuild runs b to completion and records the outcome on b and in the
// build store, then wakes everyone waiting for it. h names the stories the
// changes since the last build touched; nil asks for a full build. A build
// that failed for want of disk space or permission is tried again after
// each pause of s.backoff, unless stop is done first.
func (s *Site) runBuild(ctx context.Context, b *cms.Build, h *hints, stop context.Context) {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	sl, err := s.cfg.sched.acquire(stop, b.Full || h == nil || !s.warm.Load())
	if err != nil {
		sl = nil // stopping: build anyway, as a build in progress is finished
	}
	s.runBuildLocked(sl, ctx, b, h, stop)
}

// runBuildLocked is runBuild for a caller holding s.buildMu and sl, a slot
// of the platform's scheduler (nil without one), which it releases. Under a
// Platform every build holds a slot; the site's build lock is always taken
// first, so a build waiting for a slot (or upgrading to the full one,
// build.go) never holds up a build of another site.
func (s *Site) runBuildLocked(sl *slot, ctx context.Context, b *cms.Build, h *hints, stop context.Context) {
	ctx = s.scope(ctx)
	s.slot = sl
	// Deferred first, so it runs last: whoever waits for the build (Wait)
	// wakes once the slot is released and the warm state is set.
	defer func() {
		s.mu.Lock()
		if ch := s.done[b.ID]; ch != nil {
			close(ch)
			delete(s.done, b.ID)
		}
		s.mu.Unlock()
	}()
	defer func() {
		s.slot.release()
		s.slot = nil
		s.warm.Store(s.base != nil && s.exp != nil && s.base.updates < fullEvery)
		s.touch()
	}()

	start := time.Now().UTC()
	b.Status, b.StartedAt = cms.BuildRunning, &start
	s.saveBuild(ctx, b)

	res, err := s.build(ctx, b, h)
	for try := 0; err != nil && retryable(err) && try < len(s.backoff); try++ {
		// Say why the build takes long while it waits: the record is
		// still running, with the error of the last try.
		b.Error, b.ErrorFile, b.ErrorLine = s.describe(err)
		s.log.Warn("site build failed; trying again", "build", b.ID, "in", s.backoff[try], "error", b.Error)
		s.saveBuild(ctx, b)
		if s.sleep(stop, s.backoff[try]) != nil {
			break
		}
		if _, ok := errors.AsType[*mirrorError](err); ok {
			err = s.mirrorAgain(ctx, b.ID) // the build is live here; only the copy failed
			continue
		}
		res, err = s.build(ctx, b, h)
	}
	s.last = res

	end := time.Now().UTC()
	b.FinishedAt = &end
	b.DurationMS = end.Sub(start).Milliseconds()
	if err != nil {
		b.Status = cms.BuildFailed
		b.Error, b.ErrorFile, b.ErrorLine = s.describe(err)
		s.log.Error("site build failed", "build", b.ID, "reason", b.Reason,
			"error", b.Error, "file", b.ErrorFile, "line", b.ErrorLine, "duration_ms", b.DurationMS)
	} else {
		b.Status, b.Pages = cms.BuildSucceeded, res.pages
		b.Error, b.ErrorFile, b.ErrorLine = "", "", 0
		s.log.Info("site built", "build", b.ID, "reason", b.Reason, "full", res.full, "pages", res.pages,
			"duration_ms", b.DurationMS, "export_ms", res.export.Milliseconds(), "hugo_ms", res.hugo.Milliseconds(),
			"links_ms", res.links.Milliseconds(), "manifest_ms", res.manifest.Milliseconds(), "bucket_ms", res.bucket.Milliseconds(),
			"files_changed", res.changed)
	}
	// Save even when the caller's context is gone: the record must not stay "running".
	s.saveBuild(context.WithoutCancel(ctx), b)
}
