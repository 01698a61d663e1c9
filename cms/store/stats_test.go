package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// statsClock is a clock tests move by hand.
type statsClock struct{ t atomic.Int64 }

func (c *statsClock) now() time.Time  { return time.Unix(0, c.t.Load()) }
func (c *statsClock) set(t time.Time) { c.t.Store(t.UnixNano()) }
func newStatsClock(t time.Time) *statsClock {
	c := &statsClock{}
	c.set(t)
	return c
}

func openStats(t *testing.T, dsn, dataDir string, clock *statsClock) *store.StatsDB {
	t.Helper()
	opts := store.StatsOptions{FlushEvery: 50 * time.Millisecond, BatchSize: 200}
	if clock != nil {
		opts.Now = clock.now
	}
	s, err := store.OpenStats(context.Background(), dsn, dataDir, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStatsDB_Batching records a burst from many goroutines and closes the
// store at once: every hit must be written (Close flushes), none lost.
func TestStatsDB_Batching(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		ctx := context.Background()
		s, err := store.OpenStats(ctx, dsn, dataDir, nil, store.StatsOptions{BatchSize: 300})
		if err != nil {
			t.Fatal(err)
		}
		const workers, each = 16, 250
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					s.Record(cms.PageView{At: time.Now(), Path: fmt.Sprintf("/stories/s%d/", i%7), StoryID: int64(i%7 + 1),
						ProjectID: int64(w%3 + 1), Visitor: fmt.Sprintf("%016x", w), Source: cms.SourceDirect, Device: "phone"})
				}
			})
		}
		wg.Wait()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openStats(t, dsn, dataDir, nil)
		n, err := s.CountHits(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != workers*each || s.Dropped() != 0 {
			t.Fatalf("stored %d hits, want %d (dropped %d)", n, workers*each, s.Dropped())
		}
		views, visitors, err := s.SiteTotals(ctx)
		if err != nil || views != workers*each || visitors != workers {
			t.Fatalf("site totals %d views %d visitors (%v), want %d and %d", views, visitors, err, workers*each, workers)
		}
	})
}

// TestStatsDB_Rollup checks the hourly and daily rollups per page, project
// and source, and the report built from them.
func TestStatsDB_Rollup(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		ctx := context.Background()
		// 09:30 in China on 2026-12-01.
		at := time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC)
		clock := newStatsClock(at)
		s := openStats(t, dsn, dataDir, clock)
		hit := func(at time.Time, path string, project int64, visitor, source, device, mode, ref string) {
			s.Record(cms.PageView{At: at, Path: path, ProjectID: project, Visitor: visitor, Source: source,
				Device: device, Mode: mode, Referrer: ref})
		}
		hit(at, "/stories/a/", 1, "v1", cms.SourceWechatTimeline, "phone", "large", "")
		hit(at, "/stories/a/", 1, "v1", cms.SourceWechatTimeline, "phone", "large", "")
		hit(at, "/stories/b/", 2, "v1", cms.SourceWechatGroup, "phone", "", "")
		hit(at.Add(time.Hour), "/stories/a/", 1, "v2", cms.SourceReferral, "desktop", "", "www.example.org")
		hit(at.Add(24*time.Hour), "/", 0, "v1", cms.SourceDirect, "phone", "", "")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Report(ctx, cms.StatsQuery{From: "2026-12-01", To: "2026-12-03"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Views != 5 || rep.Visitors != 3 || len(rep.Days) != 3 {
			t.Fatalf("report %d views %d visitors %d days, want 5, 3 (2 + 1) and 3", rep.Views, rep.Visitors, len(rep.Days))
		}
		if d := rep.Days[0]; d.Views != 4 || d.Visitors != 2 {
			t.Errorf("first day %+v, want 4 views, 2 visitors", d)
		}
		if rep.Days[2].Views != 0 {
			t.Errorf("empty day %+v, want zero", rep.Days[2])
		}
		if p := rep.Pages[0]; p.Key != "/stories/a/" || p.Views != 3 || p.Visitors != 2 {
			t.Errorf("top page %+v, want /stories/a/ 3 views 2 visitors", p)
		}
		if p := rep.Projects[0]; p.Key != "1" || p.Views != 3 {
			t.Errorf("top project %+v", p)
		}
		src := map[string]int64{}
		for _, r := range rep.Sources {
			src[r.Key] = r.Views
		}
		if src[cms.SourceWechatTimeline] != 2 || src[cms.SourceWechatGroup] != 1 || src[cms.SourceReferral] != 1 {
			t.Errorf("sources %v", src)
		}
		if rep.Sources[0].Label != "微信/朋友圈" {
			t.Errorf("source label %q", rep.Sources[0].Label)
		}
		if len(rep.Referrers) != 1 || rep.Referrers[0].Key != "www.example.org" {
			t.Errorf("referrers %+v", rep.Referrers)
		}
		if rep.Hours[9].Views != 4 || rep.Hours[10].Views != 1 { // 09:30 on both days
			t.Errorf("hours 9 and 10: %d and %d, want 4 and 1", rep.Hours[9].Views, rep.Hours[10].Views)
		}
		modes := map[string]int64{}
		for _, r := range rep.Modes {
			modes[r.Key] = r.Views
		}
		if modes["large"] != 2 {
			t.Errorf("modes %v", modes)
		}
		// One project only.
		rep, err = s.Report(ctx, cms.StatsQuery{From: "2026-12-01", To: "2026-12-01", ProjectID: 2})
		if err != nil || rep.Views != 1 || len(rep.Pages) != 1 || rep.Pages[0].Key != "/stories/b/" {
			t.Fatalf("project report %+v %v", rep, err)
		}
		views, err := s.PathViews(ctx, []string{"/stories/a/", "/nope/"})
		if err != nil || views["/stories/a/"] != 3 || views["/nope/"] != 0 {
			t.Errorf("path views %v %v", views, err)
		}
		rank, err := s.Ranking(ctx, "2026-12-01", "/stories/", 10)
		if err != nil || len(rank) != 2 || rank[0].Path != "/stories/a/" || rank[0].Views != 3 {
			t.Errorf("ranking %+v %v", rank, err)
		}
		// Rolling a day up again after more hits replaces its rows.
		hit(at, "/stories/b/", 2, "v3", cms.SourceWechatSingle, "tablet", "", "")
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		views, _ = s.PathViews(ctx, []string{"/stories/b/"})
		if views["/stories/b/"] != 2 {
			t.Errorf("after a second rollup /stories/b/ has %d views, want 2", views["/stories/b/"])
		}
		for _, bad := range []struct {
			q     cms.StatsQuery
			field string
		}{
			{cms.StatsQuery{From: "x", To: "2026-12-01"}, "from"},
			{cms.StatsQuery{From: "2026-12-02", To: "2026-12-01"}, "to"},
			{cms.StatsQuery{From: "2020-01-01", To: "2026-12-01"}, "from"},
		} {
			_, err := s.Report(ctx, bad.q)
			var ce *cms.Error
			if !errors.As(err, &ce) || ce.Code != cms.EINVALID || ce.Fields[bad.field] == "" {
				t.Errorf("report %+v: %v, want EINVALID naming %s", bad.q, err, bad.field)
			}
		}
	})
}

// TestStatsDB_Prune keeps rollups and drops raw hits past the retention.
func TestStatsDB_Prune(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		ctx := context.Background()
		old := time.Date(2026, 8, 1, 4, 0, 0, 0, time.UTC)
		clock := newStatsClock(old)
		s := openStats(t, dsn, dataDir, clock)
		for i := range 10 {
			s.Record(cms.PageView{At: old, Path: "/", Visitor: fmt.Sprint(i), Source: cms.SourceDirect, Device: "phone"})
		}
		recent := old.AddDate(0, 0, 100)
		s.Record(cms.PageView{At: recent, Path: "/", Visitor: "x", Source: cms.SourceDirect, Device: "phone"})
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		clock.set(recent)
		set, err := s.FindStatsSettings(ctx)
		if err != nil || set.RetentionDays != 90 {
			t.Fatalf("settings %+v %v, want retention 90", set, err)
		}
		if err := s.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountHits(ctx); n != 1 {
			t.Errorf("%d raw hits after pruning, want 1", n)
		}
		views, _, err := s.SiteTotals(ctx)
		if err != nil || views != 11 {
			t.Errorf("rollups after pruning: %d views (%v), want 11", views, err)
		}
	})
}

// TestStatsDB_Salt: one salt a day, shared by reopening; the previous
// day's salt is deleted once a new day's is made.
func TestStatsDB_Salt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s := openStats(t, "", dir, nil)
	a, err := s.Salt(ctx, "2026-12-01")
	if err != nil || len(a) != 32 {
		t.Fatalf("salt %x %v", a, err)
	}
	s.Close()
	s = openStats(t, "", dir, nil)
	b, _ := s.Salt(ctx, "2026-12-01")
	if string(a) != string(b) {
		t.Fatal("a reopened store made a new salt for the same day")
	}
	c, _ := s.Salt(ctx, "2026-12-02")
	if string(c) == string(a) {
		t.Fatal("the next day has the same salt")
	}
	s.Close()
	s = openStats(t, "", dir, nil)
	d, _ := s.Salt(ctx, "2026-12-01")
	if string(d) == string(a) {
		t.Fatal("the previous day's salt was kept")
	}
}

// TestStatsDB_Settings validates and versions the statistics settings.
func TestStatsDB_Settings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStats(t, "", t.TempDir(), nil)
	off, bad := false, 1
	_, err := s.UpdateStatsSettings(ctx, cms.StatsSettingsUpdate{Version: 1, RetentionDays: &bad})
	var ce *cms.Error
	if !errors.As(err, &ce) || ce.Code != cms.EINVALID || ce.Fields["retention_days"] == "" {
		t.Fatalf("retention 1: %v, want EINVALID naming retention_days", err)
	}
	set, err := s.UpdateStatsSettings(ctx, cms.StatsSettingsUpdate{Version: 1, ShowRanking: &off})
	if err != nil || set.ShowRanking || !set.ShowStoryViews || set.Version != 2 {
		t.Fatalf("update: %+v %v", set, err)
	}
	_, err = s.UpdateStatsSettings(ctx, cms.StatsSettingsUpdate{Version: 1, ShowRanking: &off})
	if !errors.As(err, &ce) || ce.Code != cms.ECONFLICT {
		t.Fatalf("stale version: %v, want ECONFLICT", err)
	}
}
