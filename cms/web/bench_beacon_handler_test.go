package web_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/huimin/huimin/cms/web"
)

// BenchmarkBeaconHandler is the CPU and allocations of one counted beacon
// inside the server, without the network or the load generator that
// BenchmarkBeacon includes: the part of the beacon's cost that is ours.
// The writer runs as in production, every second in the background.
//
//	go test -run '^$' -bench BenchmarkBeaconHandler -benchmem ./cms/web/
func BenchmarkBeaconHandler(b *testing.B) {
	db, stats, paths, cfg := openBeaconBench(b, "", b.TempDir(), 50)
	defer db.Close()
	defer stats.Close()
	s := web.New(cfg)
	body := []byte(`{"path":"` + paths[0] + `","from":"timeline","viewport":"phone","referrer":""}`)
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
