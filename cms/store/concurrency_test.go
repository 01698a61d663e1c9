package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestStore_IndependentWritesAtOnce: staff working on different stories
// at the same time never see a conflict. On MySQL, InnoDB may pick one of
// two transactions that lock neighbouring index ranges as a deadlock
// victim; the store runs the victim again instead of answering 409.
func TestStore_IndependentWritesAtOnce(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		const workers, rounds = 8, 6
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds*8)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					// Explicit slugs: these inserts do not queue on the slug lock.
					s := &cms.Story{Title: fmt.Sprintf("并发稿件 %d-%d", w, r), Slug: fmt.Sprintf("bingfa-%d-%d", w, r),
						Summary: "摘要", Body: "<p>正文</p>", ProjectID: f.project.ID, Tags: []string{"并发", fmt.Sprint("组", w)}}
					if err := db.CreateStory(f.as(f.editor), s); err != nil {
						errs <- fmt.Errorf("create %d-%d: %w", w, r, err)
						continue
					}
					v := s.Version
					for i := range 3 {
						u, err := db.UpdateStory(f.as(f.editor), s.ID, cms.StoryUpdate{Version: v, Summary: ptr(fmt.Sprint("改摘要 ", i))})
						if err != nil {
							errs <- fmt.Errorf("update %d-%d #%d: %w", w, r, i, err)
							break
						}
						v = u.Version
					}
					if _, err := db.ApplyAction(f.as(f.editor), s.ID, cms.ActionRequest{Action: cms.ActionSubmit}); err != nil {
						errs <- fmt.Errorf("submit %d-%d: %w", w, r, err)
					}
					for _, step := range []struct {
						who *cms.User
						a   cms.Action
					}{{f.r1, cms.ActionApprove}, {f.r2, cms.ActionApprove}, {f.r3, cms.ActionApprove}, {f.r3, cms.ActionPublish}} {
						if _, err := db.ApplyAction(f.as(step.who), s.ID, cms.ActionRequest{Action: step.a}); err != nil {
							errs <- fmt.Errorf("%s by %s %d-%d: %w", step.a, step.who.Username, w, r, err)
							break
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		_, total, err := db.FindStories(f.as(f.admin), cms.StoryFilter{Tag: "并发", Page: cms.Page{PerPage: 100}})
		if err != nil {
			t.Fatal(err)
		}
		if total != workers*rounds {
			t.Errorf("%d stories, want %d", total, workers*rounds)
		}
	})
}
