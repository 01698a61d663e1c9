package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/web"
)

// BenchmarkBeaconHandler is the CPU and allocations of one counted beacon
// inside the server, without the network or the load generator that
// BenchmarkBeacon includes: the part of the beacon's cost that is ours.
// The writer runs as in production, every second in the background.
//
//	go test -run '^$' -bench BenchmarkBeaconHandler -benchmem ./cms/web/
func BenchmarkBeaconHandler(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := store.Open(ctx, "", dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := importBenchStories(ctx, db, 50); err != nil {
		b.Fatal(err)
	}
	stats, err := store.OpenStats(ctx, "", dir, nil, store.StatsOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	items, _, err := db.FindLiveStories(ctx, cms.ContentFilter{Page: cms.Page{Page: 1, PerPage: 1}})
	if err != nil || len(items) == 0 {
		b.Fatalf("stories: %v", err)
	}
	s := web.New(web.Config{
		Stories: db, Projects: db, Users: db, Settings: db, Pages: db, Builds: db, Audit: db, Media: db,
		Content: db, ContentVersion: db, Stats: stats, SitePages: db,
		BeaconRate: 1e9, BeaconBurst: 1e9, TrustedProxies: []string{"127.0.0.1"},
		Logger: slog.New(slog.DiscardHandler),
	})
	body := []byte(`{"path":"` + cms.StoryURL(items[0].Slug) + `","from":"timeline","viewport":"phone","referrer":""}`)
	rd := bytes.NewReader(body)
	r, _ := http.NewRequest("POST", "http://127.0.0.1/api/v1/beacon", io.NopCloser(rd))
	r.RemoteAddr = "127.0.0.1:40000"
	r.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.47")
	r.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		clear(w.h)
		w.status = 0
		s.ServeHTTP(w, r)
		if w.status != http.StatusNoContent {
			b.Fatalf("status %d", w.status)
		}
	}
}

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
