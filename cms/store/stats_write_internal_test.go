package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// BenchmarkStatsInsert is the writer's cost per page view on SQLite: the
// bulk insert of a second's views, without the rollup.
//
//	go test -run '^$' -bench BenchmarkStatsInsert -benchmem ./cms/store/
func BenchmarkStatsInsert(b *testing.B) {
	ctx := context.Background()
	s, err := OpenStats(ctx, "", b.TempDir(), nil, StatsOptions{FlushEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const batch = 1000
	hits := make([]cms.PageView, batch)
	now := time.Now()
	for i := range hits {
		hits[i] = cms.PageView{SiteID: 1, At: now, Path: fmt.Sprintf("/stories/s%d/", i%50), StoryID: int64(i%50 + 1),
			ProjectID: 3, Visitor: "0123456789abcdef", Source: cms.SourceWechatTimeline, Device: "phone"}
	}
	b.ReportAllocs()
	for b.Loop() {
		s.writeMu.Lock()
		err := s.insert(ctx, hits)
		s.writeMu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/view")
}
