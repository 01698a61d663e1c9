package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestOpen_MigrateTwice opens the same database again, sequentially and
// from several goroutines at once (standing in for several processes
// starting together): migrations must run once and leave data alone.
func TestOpen_MigrateTwice(t *testing.T) {
	t.Parallel()
	storetest.ForEachEmptyBackend(t, func(t *testing.T, dsn, dataDir string) {
		ctx := context.Background()
		db := openStore(t, dsn, dataDir)
		p := &cms.Project{Name: "保留", Slug: "keep", Kind: cms.KindBenefit, Area: "assistance"}
		if err := db.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		db.Close()

		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Go(func() {
				db, err := store.Open(ctx, dsn, dataDir, nil)
				if err == nil {
					_, err = db.FindProjectBySlug(ctx, "keep")
					db.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Errorf("reopen: %v", err)
			}
		}
	})
}

func TestOpen_DSN(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "x.db")
	db, err := store.Open(ctx, "sqlite://"+path, "", nil)
	if err != nil {
		t.Fatalf("sqlite:// DSN: %v", err)
	}
	if err := db.Ping(ctx); err != nil || db.Dialect() != "sqlite" {
		t.Errorf("Ping = %v, dialect %q", err, db.Dialect())
	}
	db.Close()

	_, err = store.Open(ctx, "postgres://x", t.TempDir(), nil)
	wantCode(t, err, cms.EINVALID)
	_, err = store.Open(ctx, "mysql://not a dsn", t.TempDir(), nil)
	wantCode(t, err, cms.EINVALID)
}

// TestStore_ConcurrentWrites runs many writers and readers at once. On
// SQLite no "database is locked" (or any other error) may reach callers.
func TestStore_ConcurrentWrites(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		const writers, rounds = 8, 15
		stories := make([]*cms.Story, writers)
		for i := range stories {
			stories[i] = f.newStory(fmt.Sprintf("并发写入%d", i))
		}
		start := time.Now()
		var wg sync.WaitGroup
		errc := make(chan error, writers*rounds*3)
		for w := range writers {
			wg.Go(func() {
				id, version := stories[w].ID, 1
				for r := range rounds {
					s, err := db.UpdateStory(f.as(f.editor), id, cms.StoryUpdate{Version: version, Summary: ptr(fmt.Sprint(r))})
					if err != nil {
						errc <- err
						return
					}
					version = s.Version
					if err := db.CreateStory(f.as(f.editor), &cms.Story{Title: "新稿", ProjectID: f.project.ID}); err != nil {
						errc <- err
					}
				}
			})
			wg.Go(func() { // a reader beside each writer
				for range rounds {
					if _, _, err := db.FindStories(context.Background(), cms.StoryFilter{}); err != nil {
						errc <- err
					}
					if _, _, err := db.FindLiveStories(context.Background(), cms.ContentFilter{}); err != nil {
						errc <- err
					}
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Errorf("concurrent operation failed: %v", err)
		}
		t.Logf("%d writes in %v", writers*rounds*2, time.Since(start).Round(time.Millisecond))
		_, total, _ := db.FindStories(context.Background(), cms.StoryFilter{})
		if total != writers+writers*rounds {
			t.Errorf("%d stories, want %d", total, writers+writers*rounds)
		}
	})
}

// TestStore_TwoHandlesSQLite writes through two stores on one SQLite file,
// as `huimin import` does beside a running `huimin serve`: busy_timeout with
// BEGIN IMMEDIATE must make them wait for each other, never fail.
func TestStore_TwoHandlesSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	serve, imp := openStore(t, "", dir), openStore(t, "", dir)
	p := &cms.Project{Name: "并发", Slug: "bing-fa", Kind: cms.KindWindow, Area: "community"}
	if err := serve.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 100)
	wg.Go(func() {
		for i := range 10 {
			batch := make([]*cms.ImportStory, 100)
			for j := range batch {
				batch[j] = &cms.ImportStory{Title: fmt.Sprintf("导入%d-%d", i, j), Project: "bing-fa", Status: "published"}
			}
			if _, err := imp.ImportStories(ctx, batch); err != nil {
				errc <- err
			}
		}
	})
	wg.Go(func() {
		for i := range 40 {
			if err := serve.CreateStory(ctx, &cms.Story{Title: fmt.Sprintf("编辑%d", i), ProjectID: p.ID}); err != nil {
				errc <- err
			}
		}
	})
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("write failed: %v", err)
	}
	if _, total, _ := serve.FindStories(ctx, cms.StoryFilter{}); total != 1040 {
		t.Errorf("%d stories, want 1040", total)
	}
}
