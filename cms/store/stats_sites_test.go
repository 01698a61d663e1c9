package store_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestStatsDB_Sites: two sites of one platform count views of the same
// page path apart. Each site's report, ranking, page views, totals, raw
// hits and settings are its own, and pruning keeps to each site's
// retention.
func TestStatsDB_Sites(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		at := time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC) // 09:30 in China
		clock := newStatsClock(at)
		s := openStats(t, dsn, dataDir, clock)
		one := context.Background() // the default site
		two := cms.NewContextWithSite(one, 2)
		three := cms.NewContextWithSite(one, 3)
		hit := func(site int64, at time.Time, path string, project int64, visitor, source string) {
			s.Record(cms.PageView{SiteID: site, At: at, Path: path, ProjectID: project, Visitor: visitor,
				Source: source, Device: "phone"})
		}
		// Site 1: /stories/a/ read 3 times by 2 readers, the home page once.
		hit(1, at, "/stories/a/", 1, "v1", cms.SourceWechatTimeline)
		hit(1, at, "/stories/a/", 1, "v1", cms.SourceWechatTimeline)
		hit(1, at, "/stories/a/", 1, "v2", cms.SourceDirect)
		hit(1, at, "/", 0, "v1", cms.SourceDirect)
		// Site 2: the same path once, in a project of its own with the
		// same id, by a reader whose hash happens to be site 1's v1, and a
		// page of its own twice, an hour later.
		hit(2, at, "/stories/a/", 1, "v1", cms.SourceSearch)
		hit(2, at.Add(time.Hour), "/stories/b/", 1, "v9", cms.SourceSearch)
		hit(2, at.Add(time.Hour), "/stories/b/", 1, "v9", cms.SourceSearch)
		if err := s.Flush(one); err != nil {
			t.Fatal(err)
		}

		q := cms.StatsQuery{From: "2026-12-01", To: "2026-12-01"}
		rep1, err := s.Report(one, q)
		if err != nil {
			t.Fatal(err)
		}
		rep2, err := s.Report(two, q)
		if err != nil {
			t.Fatal(err)
		}
		if rep1.Views != 4 || rep1.Visitors != 2 || rep2.Views != 3 || rep2.Visitors != 2 {
			t.Fatalf("reports: site 1 %d views %d visitors, site 2 %d and %d; want 4/2 and 3/2",
				rep1.Views, rep1.Visitors, rep2.Views, rep2.Visitors)
		}
		pages := func(rep *cms.StatsReport) map[string]int64 {
			m := map[string]int64{}
			for _, p := range rep.Pages {
				m[p.Key] = p.Views
			}
			return m
		}
		if p := pages(rep1); len(p) != 2 || p["/stories/a/"] != 3 || p["/"] != 1 {
			t.Errorf("site 1 pages %v, want /stories/a/ 3 and / 1", p)
		}
		if p := pages(rep2); len(p) != 2 || p["/stories/a/"] != 1 || p["/stories/b/"] != 2 || rep2.Pages[0].Key != "/stories/b/" {
			t.Errorf("site 2 pages %+v, want /stories/b/ 2 then /stories/a/ 1", rep2.Pages)
		}
		if len(rep1.Projects) != 1 || rep1.Projects[0].Views != 3 || len(rep2.Projects) != 1 || rep2.Projects[0].Views != 3 {
			t.Errorf("projects: site 1 %+v, site 2 %+v; want 3 views each", rep1.Projects, rep2.Projects)
		}
		if len(rep2.Sources) != 1 || rep2.Sources[0].Key != cms.SourceSearch || rep2.Sources[0].Views != 3 {
			t.Errorf("site 2 sources %+v, want search 3", rep2.Sources)
		}
		for _, r := range rep1.Sources {
			if r.Key == cms.SourceSearch {
				t.Errorf("site 1 sources %+v hold site 2's search views", rep1.Sources)
			}
		}
		if rep1.Hours[9].Views != 4 || rep1.Hours[10].Views != 0 || rep2.Hours[9].Views != 1 || rep2.Hours[10].Views != 2 {
			t.Errorf("hours 9 and 10: site 1 %d %d, site 2 %d %d; want 4 0 and 1 2",
				rep1.Hours[9].Views, rep1.Hours[10].Views, rep2.Hours[9].Views, rep2.Hours[10].Views)
		}
		// One project of each site.
		if r, err := s.Report(two, cms.StatsQuery{From: q.From, To: q.To, ProjectID: 1}); err != nil || r.Views != 3 || len(r.Pages) != 2 {
			t.Errorf("site 2 project 1: %+v %v, want 3 views on 2 pages", r, err)
		}

		for _, c := range []struct {
			name         string
			ctx          context.Context
			a, b         int64
			views, total int64
			rank         string
		}{
			{"site 1", one, 3, 0, 4, 4, "/stories/a/"},
			{"site 2", two, 1, 2, 3, 3, "/stories/b/"},
			{"site 3", three, 0, 0, 0, 0, ""},
		} {
			v, err := s.PathViews(c.ctx, []string{"/stories/a/", "/stories/b/"})
			if err != nil || v["/stories/a/"] != c.a || v["/stories/b/"] != c.b {
				t.Errorf("%s: path views %v %v, want a %d b %d", c.name, v, err, c.a, c.b)
			}
			views, _, err := s.SiteTotals(c.ctx)
			if err != nil || views != c.views {
				t.Errorf("%s: site totals %d %v, want %d", c.name, views, err, c.views)
			}
			rank, err := s.Ranking(c.ctx, "", "/stories/", 10)
			if err != nil || (c.rank == "" && len(rank) != 0) || (c.rank != "" && (len(rank) == 0 || rank[0].Path != c.rank)) {
				t.Errorf("%s: ranking %+v %v, want %q first", c.name, rank, err, c.rank)
			}
			if n, err := s.CountHits(c.ctx); err != nil || n != c.total {
				t.Errorf("%s: %d raw hits (%v), want %d", c.name, n, err, c.total)
			}
		}
		if rep, err := s.Report(three, q); err != nil || rep.Views != 0 || len(rep.Pages) != 0 || len(rep.Sources) != 0 {
			t.Errorf("site 3 report %+v %v, want empty", rep, err)
		}

		// Settings: one row per site, versioned apart.
		set2, err := s.FindStatsSettings(two)
		if err != nil || set2.Version != 1 || !set2.ShowRanking || set2.RetentionDays != 90 {
			t.Fatalf("site 2's first settings %+v %v, want the defaults at version 1", set2, err)
		}
		off, short := false, 2
		if _, err := s.UpdateStatsSettings(two, cms.StatsSettingsUpdate{Version: 1, ShowRanking: &off, RetentionDays: &short}); err != nil {
			t.Fatal(err)
		}
		set1, err := s.FindStatsSettings(one)
		if err != nil || set1.Version != 1 || !set1.ShowRanking || set1.RetentionDays != 90 {
			t.Errorf("site 1 settings after site 2's change: %+v %v", set1, err)
		}
		if set2, _ = s.FindStatsSettings(two); set2.Version != 2 || set2.ShowRanking || set2.RetentionDays != 2 {
			t.Errorf("site 2 settings %+v, want version 2, no ranking, 2 days", set2)
		}
		if _, err := s.UpdateStatsSettings(one, cms.StatsSettingsUpdate{Version: 2, ShowRanking: &off}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Errorf("site 1 updated at site 2's version: %v, want ECONFLICT", err)
		}

		// Ten days on, site 2's raw hits are past its 2 days, site 1's
		// within its 90; the rollups of both stay.
		clock.set(at.AddDate(0, 0, 10))
		if err := s.Prune(one); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountHits(one); n != 4 {
			t.Errorf("site 1 has %d raw hits after pruning, want 4", n)
		}
		if n, _ := s.CountHits(two); n != 0 {
			t.Errorf("site 2 has %d raw hits after pruning, want 0", n)
		}
		if views, _, _ := s.SiteTotals(two); views != 3 {
			t.Errorf("site 2 totals after pruning %d, want 3", views)
		}
	})
}

// TestStatsDB_UpgradeToSites: a statistics database of the release before
// sites, with hits, rollups, settings and today's salt, keeps all of it as
// the default site's — also when an earlier attempt at the upgrade stopped
// half way — and goes on counting from there.
func TestStatsDB_UpgradeToSites(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		ctx := context.Background()
		at := time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC)
		const day = "2026-12-01"
		pool, err := store.MigrateStatsForTest(ctx, dsn, dataDir, "202612060002_stat_paths")
		if err != nil {
			t.Fatal(err)
		}
		// What the previous release wrote: raw hits, then its rollup of the
		// day (its statements, verbatim).
		for _, h := range []struct {
			path, visitor, source string
			project               int64
		}{
			{"/stories/a/", "v1", cms.SourceWechatTimeline, 1},
			{"/stories/a/", "v2", cms.SourceDirect, 1},
			{"/", "v1", cms.SourceDirect, 0},
		} {
			if _, err := pool.ExecContext(ctx, `INSERT INTO stat_hits (at, day, hour, path, path_hash, story_id, project_id,
				visitor, source, referrer, device, mode) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, at, day, 9, h.path,
				store.PathHashForTest(h.path), 0, h.project, h.visitor, h.source, "", "phone", ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []string{
			`INSERT INTO stat_paths (path_hash, path)
			 SELECT path_hash, MIN(path) FROM stat_hits
			 WHERE day = ? AND path_hash NOT IN (SELECT path_hash FROM stat_paths) GROUP BY path_hash`,
			`INSERT INTO stat_hourly (day, hour, path, source, project_id, views, visitors)
			 SELECT day, hour, path, source, MAX(project_id), COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE day = ? GROUP BY day, hour, path, source`,
			`INSERT INTO stat_daily_pages (day, path, path_hash, project_id, views, visitors)
			 SELECT day, path, MAX(path_hash), MAX(project_id), COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE day = ? GROUP BY day, path`,
			`INSERT INTO stat_daily_totals (day, project_id, views, visitors)
			 SELECT day, 0, COUNT(*), COUNT(DISTINCT visitor) FROM stat_hits WHERE day = ? GROUP BY day`,
			`INSERT INTO stat_daily_totals (day, project_id, views, visitors)
			 SELECT day, project_id, COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE day = ? AND project_id > 0 GROUP BY day, project_id`,
			`INSERT INTO stat_daily_dims (day, project_id, dim, dkey, views, visitors)
			 SELECT day, project_id, 'source', source, COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE day = ? GROUP BY day, project_id, source`,
			`INSERT INTO stat_daily_dims (day, project_id, dim, dkey, views, visitors)
			 SELECT day, project_id, 'hour', hour, COUNT(*), COUNT(DISTINCT visitor)
			 FROM stat_hits WHERE day = ? GROUP BY day, project_id, hour`,
		} {
			if _, err := pool.ExecContext(ctx, q, day); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		salt := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
		for _, q := range []string{
			"UPDATE stat_settings SET show_ranking = false, retention_days = 30, version = 2 WHERE id = 1",
			"INSERT INTO stat_salts (day, salt) VALUES ('" + day + "', '" + salt + "')",
			// An earlier start stopped after putting one table aside.
			"ALTER TABLE stat_daily_totals RENAME TO stat_daily_totals_v3",
		} {
			if _, err := pool.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		pool.Close()

		s := openStats(t, dsn, dataDir, newStatsClock(at))
		check := func(when string, views, hits int64) {
			t.Helper()
			rep, err := s.Report(ctx, cms.StatsQuery{From: day, To: day})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Views != views || rep.Visitors != 2 || len(rep.Pages) != 2 || rep.Pages[0].Key != "/stories/a/" ||
				rep.Pages[0].Views != views-1 || len(rep.Projects) != 1 || rep.Hours[9].Views != views {
				t.Errorf("%s: site 1 report %d views %d visitors, pages %+v, projects %+v; want %d views, 2 visitors, /stories/a/ %d",
					when, rep.Views, rep.Visitors, rep.Pages, rep.Projects, views, views-1)
			}
			if n, err := s.CountHits(ctx); err != nil || n != hits {
				t.Errorf("%s: %d raw hits of site 1 (%v), want %d", when, n, err, hits)
			}
			if v, _, err := s.SiteTotals(ctx); err != nil || v != views {
				t.Errorf("%s: site 1 totals %d (%v), want %d", when, v, err, views)
			}
		}
		check("after the upgrade", 3, 3)
		two := cms.NewContextWithSite(ctx, 2)
		if rep, err := s.Report(two, cms.StatsQuery{From: day, To: day}); err != nil || rep.Views != 0 || len(rep.Pages) != 0 {
			t.Errorf("site 2 after the upgrade: %+v %v, want nothing", rep, err)
		}
		set, err := s.FindStatsSettings(ctx)
		if err != nil || set.ShowRanking || set.RetentionDays != 30 || set.Version != 2 {
			t.Errorf("site 1 settings after the upgrade %+v %v, want the old ones (no ranking, 30 days, version 2)", set, err)
		}
		if set, err := s.FindStatsSettings(two); err != nil || !set.ShowRanking || set.RetentionDays != 90 || set.Version != 1 {
			t.Errorf("site 2 settings %+v %v, want the defaults", set, err)
		}
		if b, err := s.Salt(ctx, day); err != nil || hex.EncodeToString(b) != salt {
			t.Errorf("the day's salt after the upgrade: %x %v, want the old one", b, err)
		}

		// Counting goes on: a new view of the day is rolled up with the old
		// raw hits, which are site 1's; site 2's view of the same page is
		// its own.
		s.Record(cms.PageView{SiteID: 1, At: at, Path: "/stories/a/", ProjectID: 1, Visitor: "v2", Source: cms.SourceDirect})
		s.Record(cms.PageView{SiteID: 2, At: at, Path: "/stories/a/", Visitor: "v7", Source: cms.SourceDirect})
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a new view", 4, 4)
		if v, _ := s.PathViews(two, []string{"/stories/a/"}); v["/stories/a/"] != 1 {
			t.Errorf("site 2 views of /stories/a/ %v, want 1", v)
		}
		s.Close()

		// Running the migration again changes nothing.
		if err := store.RerunStatsSitesMigrationForTest(ctx, dsn, dataDir); err != nil {
			t.Fatal(err)
		}
		s = openStats(t, dsn, dataDir, newStatsClock(at))
		check("after the migration ran again", 4, 4)
	})
}
