// Package schedule carries out scheduled publication: it asks the store to
// publish and unpublish what is due at start-up (catching up on what came
// due while no server ran) and then every few seconds, and asks for a site
// build when something changed. The store makes each change a conditional
// update, so several processes on one database may all run a scheduler:
// exactly one of them acts on each story.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

// DefaultInterval is how often due work is looked for.
const DefaultInterval = 5 * time.Second

// Store carries out what is due by the clock and returns the ids of the
// stories it changed (see store.DB.PublishDue).
type Store interface {
	PublishDue(ctx context.Context) ([]int64, error)
}

// Scheduler runs Store.PublishDue periodically.
type Scheduler struct {
	store     Store
	publisher cms.Publisher
	interval  time.Duration
	log       *slog.Logger
}

// New returns a scheduler; publisher may be nil (no site to build) and
// interval 0 means DefaultInterval.
func New(store Store, publisher cms.Publisher, interval time.Duration, log *slog.Logger) *Scheduler {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{store: store, publisher: publisher, interval: interval, log: log.With("component", "schedule")}
}

// CatchUp carries out what is due now, without asking for a build: for
// start-up, before the start-up build.
func (s *Scheduler) CatchUp(ctx context.Context) ([]int64, error) {
	ids, err := s.store.PublishDue(ctx)
	if len(ids) > 0 {
		s.log.Info("caught up on scheduled publication", "stories", ids)
	}
	return ids, err
}

// Run carries out what is due every interval until ctx is done, starting
// at once, and enqueues a build after each round that changed something.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Tick runs one round and reports what it changed.
func (s *Scheduler) Tick(ctx context.Context) []int64 {
	ids, err := s.store.PublishDue(ctx)
	if err != nil && ctx.Err() == nil {
		// Stories that failed are retried next round; the others are done.
		s.log.Error("scheduled publication", "err", err)
	}
	if len(ids) == 0 || s.publisher == nil {
		return ids
	}
	s.log.Info("scheduled publication", "stories", ids)
	if _, err := s.publisher.Enqueue(context.WithoutCancel(ctx), cms.StoriesChanged(reason(ids), ids...)); err != nil {
		s.log.Error("enqueue build after scheduled publication", "err", err)
	}
	return ids
}

func reason(ids []int64) string {
	parts := make([]string, 0, len(ids))
	for i, id := range ids {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("… (%d in all)", len(ids)))
			break
		}
		parts = append(parts, "story:"+strconv.FormatInt(id, 10))
	}
	return "schedule " + strings.Join(parts, " ")
}
