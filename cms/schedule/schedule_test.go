package schedule_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/schedule"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// countingPublisher records the builds a scheduler asks for.
type countingPublisher struct {
	mu      sync.Mutex
	reasons []string
	stories []int64 // every story a build was asked for
}

func (p *countingPublisher) Enqueue(_ context.Context, c cms.Change) (*cms.Build, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reasons = append(p.reasons, c.Reason)
	p.stories = append(p.stories, c.Stories...)
	return &cms.Build{ID: int64(len(p.reasons))}, nil
}

func (p *countingPublisher) Rebuild(ctx context.Context, reason string) (*cms.Build, error) {
	return p.Enqueue(ctx, cms.Change{Reason: reason})
}

// testClock is a clock that moves only when told to.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestScheduler_ExactlyOnce runs two schedulers on two store handles, as
// two huimin processes on one database would, and checks every due story
// is published once, signed off once, and a build asked for.
func TestScheduler_ExactlyOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dsn, data := b.DSN(t), t.TempDir()
			clock := &testClock{t: time.Now()}
			open := func() *store.DB {
				db, err := store.Open(context.Background(), dsn, data, slog.New(slog.DiscardHandler), store.WithClock(clock.now))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			db1, db2 := open(), open()
			admin := &cms.User{Username: "admin", Name: "管理员", Role: cms.RoleAdmin}
			if err := db1.CreateUser(context.Background(), admin, "password-admin"); err != nil {
				t.Fatal(err)
			}
			ctx := cms.NewContextWithUser(context.Background(), admin)
			p := &cms.Project{Name: "银龄互助", Slug: "yinling", Kind: cms.KindVolunteer, Area: "elderly"}
			if err := db1.CreateProject(ctx, p); err != nil {
				t.Fatal(err)
			}
			at := clock.now().Add(time.Hour)
			const n = 12 // more than a build reason lists
			ids := map[int64]bool{}
			for i := range n {
				s := &cms.Story{Title: fmt.Sprintf("定时稿件%d", i), ProjectID: p.ID, PublishAt: &at}
				if err := db1.CreateStory(ctx, s); err != nil {
					t.Fatal(err)
				}
				if got, err := db1.ApplyAction(ctx, s.ID, cms.ActionRequest{Action: cms.ActionPublish}); err != nil || got.Status != cms.StatusScheduled {
					t.Fatalf("schedule: %v %v", got, err)
				}
				ids[s.ID] = true
			}
			pub1, pub2 := &countingPublisher{}, &countingPublisher{}
			s1 := schedule.New(db1, pub1, 0, nil)
			s2 := schedule.New(db2, pub2, 0, nil)
			if got := s1.Tick(context.Background()); len(got) != 0 {
				t.Fatalf("acted before publish_at: %v", got)
			}
			clock.advance(time.Hour + time.Second)

			var mu sync.Mutex
			acted := map[int64]int{}
			var wg sync.WaitGroup
			for _, s := range []*schedule.Scheduler{s1, s2, s1, s2} {
				wg.Go(func() {
					for _, id := range s.Tick(context.Background()) {
						mu.Lock()
						acted[id]++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(acted) != n {
				t.Fatalf("%d stories published, want %d: %v", len(acted), n, acted)
			}
			for id, k := range acted {
				if !ids[id] || k != 1 {
					t.Errorf("story %d published %d times", id, k)
				}
				so, err := db2.FindSignOffs(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				system := 0
				for _, x := range so {
					if x.ActorName == "system" {
						system++
					}
				}
				if system != 1 {
					t.Errorf("story %d has %d system sign-offs, want 1", id, system)
				}
			}
			if len(pub1.reasons)+len(pub2.reasons) == 0 {
				t.Errorf("no build asked for")
			}
			// The builds name every story they publish, also past the ten
			// a build's reason lists, so an incremental build reads just those.
			named := map[int64]bool{}
			for _, id := range append(pub1.stories, pub2.stories...) {
				named[id] = true
			}
			if len(named) != n {
				t.Errorf("builds asked for %d stories, want %d", len(named), n)
			}
			if got := s2.Tick(context.Background()); len(got) != 0 {
				t.Errorf("acted again: %v", got)
			}
		})
	}
}

// tickingStore tells ticked each time the scheduler has asked for due work.
type tickingStore struct {
	schedule.Store
	ticked chan struct{}
}

func (s tickingStore) PublishDue(ctx context.Context) ([]int64, error) {
	ids, err := s.Store.PublishDue(ctx)
	select {
	case s.ticked <- struct{}{}:
	default:
	}
	return ids, err
}

// TestScheduler_Run catches up at once, long before its first interval has
// passed, and stops with its context.
func TestScheduler_Run(t *testing.T) {
	db := tickingStore{Store: storetest.MustOpen(t), ticked: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- schedule.New(db, nil, time.Hour, nil).Run(ctx) }()
	select {
	case <-db.ticked:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not look for due work at once")
	}
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}
