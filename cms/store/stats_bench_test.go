package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// BenchmarkStatsReport times the 数据统计 screen's 30-day report over the
// rollups of 10 million page views: a year of 27,400 views a day over 2,000
// story pages in 12 projects, with sources, devices, reading modes,
// referrers and hours. The rollups are written directly (recording 10
// million views one by one would take this machine most of an hour); the
// report reads only rollups. Target (issue 18): ≤ 200 ms. HUIMIN_BENCH_BACKEND
// (sqlite or mysql) runs one backend only.
//
//	go test -run '^$' -bench BenchmarkStatsReport -benchtime 1x ./cms/store/
func BenchmarkStatsReport(b *testing.B) {
	const (
		days     = 365
		pages    = 2000
		projects = 12
		total    = 10_000_000
	)
	ctx := context.Background()
	for _, backend := range storetest.Backends(b) {
		if only := os.Getenv("HUIMIN_BENCH_BACKEND"); only != "" && only != backend.Name {
			continue
		}
		s, err := store.OpenStats(ctx, backend.DSN(b), b.TempDir(), nil, store.StatsOptions{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		rng := rand.New(rand.NewPCG(1, 2))
		today := time.Now()
		var sum int64
		var pageRows, dimRows, totalRows [][]any
		perDay := total / days
		sources := []string{"wx_timeline", "wx_group", "wx_single", "wx_article", "wx_other", "search", "referral", "internal", "direct"}
		dims := map[string][]string{"source": sources, "device": {"phone", "tablet", "desktop"}, "mode": {"", "large", "contrast", "both"}}
		for i := range 20 {
			dims["referrer"] = append(dims["referrer"], fmt.Sprintf("site%d.example.cn", i))
		}
		for h := range 24 {
			dims["hour"] = append(dims["hour"], strconv.Itoa(h))
		}
		flush := func() {
			for _, t := range []struct {
				table string
				cols  []string
				rows  *[][]any
			}{
				{"stat_daily_pages", []string{"day", "path", "path_hash", "project_id", "views", "visitors"}, &pageRows},
				{"stat_daily_dims", []string{"day", "project_id", "dim", "dkey", "views", "visitors"}, &dimRows},
				{"stat_daily_totals", []string{"day", "project_id", "views", "visitors"}, &totalRows},
			} {
				if err := s.BulkInsertForTest(ctx, t.table, t.cols, *t.rows); err != nil {
					b.Fatal(err)
				}
				*t.rows = (*t.rows)[:0]
			}
		}
		for d := range days {
			day := cms.StatsDayOf(today.AddDate(0, 0, -d))
			byProject := make([]int64, projects+1)
			for p := range pages {
				// Popularity falls with the page number, with some noise.
				v := int64(float64(perDay) * 2.08 / float64(pages) * (0.5 + rng.Float64()) * float64(pages-p) / float64(pages))
				if v == 0 {
					continue
				}
				proj := p%projects + 1
				path := fmt.Sprintf("/stories/s%04d/", p)
				pageRows = append(pageRows, []any{day, path, store.PathHashForTest(path), proj, v, v*2/3 + 1})
				byProject[proj] += v
				sum += v
			}
			for proj := 1; proj <= projects; proj++ {
				totalRows = append(totalRows, []any{day, proj, byProject[proj], byProject[proj] * 2 / 3})
				for dim, keys := range dims {
					left := byProject[proj]
					for k, key := range keys {
						v := left / 2
						if k == len(keys)-1 {
							v = left
						}
						left -= v
						dimRows = append(dimRows, []any{day, proj, dim, key, v, v * 2 / 3})
					}
				}
			}
			var all int64
			for _, v := range byProject {
				all += v
			}
			totalRows = append(totalRows, []any{day, 0, all, all / 2})
			if d%30 == 29 {
				flush()
			}
		}
		flush()
		var dict [][]any
		for p := range pages {
			path := fmt.Sprintf("/stories/s%04d/", p)
			dict = append(dict, []any{store.PathHashForTest(path), path})
		}
		if err := s.BulkInsertForTest(ctx, "stat_paths", []string{"path_hash", "path"}, dict); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("%s: rollups of %d views (%d days, %d pages) written in %s\n", backend.Name, sum, days, pages, time.Since(start).Round(time.Millisecond))
		from, to := cms.StatsDayOf(today.AddDate(0, 0, -29)), cms.StatsDayOf(today)
		for _, q := range []struct {
			name string
			q    cms.StatsQuery
		}{{"whole site", cms.StatsQuery{From: from, To: to}}, {"one project", cms.StatsQuery{From: from, To: to, ProjectID: 3}}} {
			var took []time.Duration
			var rep *cms.StatsReport
			for range 7 {
				t0 := time.Now()
				rep, err = s.Report(ctx, q.q)
				if err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			fmt.Printf("%s: 30-day report, %s: median %s, slowest %s (%d views, %d pages listed; target ≤ 200ms)\n",
				backend.Name, q.name, took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), rep.Views, len(rep.Pages))
			b.ReportMetric(float64(took[len(took)/2].Milliseconds()), backend.Name+"-"+q.name[:3]+"-ms")
			benchline.Emit(benchline.Row{ID: "stats-report-" + strings.ReplaceAll(q.name, " ", "-") + "-" + backend.Name,
				Unit: "ms", Ours: benchline.Millis(took), Note: fmt.Sprintf("%d views over 365 days", sum)})
		}
		s.Close()
	}
}
