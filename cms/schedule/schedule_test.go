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

// TestScheduler_ExactlyOnce runs two schedulers on two store handles, as
// two huimin processes on one database would, and checks every due story
// is published once, signed off once, and a build asked for.
func TestScheduler_ExactlyOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dsn, data := b.DSN(t), t.TempDir()
			open := func() *store.DB {
				db, err := store.Open(context.Background(), dsn, data, slog.New(slog.DiscardHandler))
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
			// Far enough ahead that creating and scheduling every story
			// finishes first, even on a loaded machine.
			at := time.Now().Add(6 * time.Second)
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
			time.Sleep(time.Until(at) + 100*time.Millisecond)

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

// TestScheduler_Run stops with its context and catches up at once.
func TestScheduler_Run(t *testing.T) {
	db := storetest.MustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- schedule.New(db, nil, 10*time.Millisecond, nil).Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
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
