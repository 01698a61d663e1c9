package web_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web"
)

// BenchmarkBeacon measures page-view beacon ingestion against the minimal
// net/http server that BenchmarkContentAPI uses as its floor (here one that
// reads the body and answers 204), with 32 keep-alive connections from an
// in-process load generator on loopback, taking turns in short rounds. It
// runs on SQLite and, when HUIMIN_TEST_MYSQL_DSN is set, on MariaDB/MySQL,
// and at the end counts the stored views: every 204 must be one row. Run
// it once:
//
//	go test -run '^$' -bench BenchmarkBeacon -benchtime 1x ./cms/web/
//
// HUIMIN_BENCH_DURATION (default 5s) sets the time per measurement,
// HUIMIN_BENCH_STORIES (default 2000) the site size. Target (issue 18):
// ≥ 0.5× the minimal server's requests/s, no view lost.
func BenchmarkBeacon(b *testing.B) {
	dur, n := benchSize(2000)
	const conns = 32
	ctx := context.Background()
	fmt.Printf("%d connections, %s per measurement, GOMAXPROCS=%d\n\n", conns, dur, runtime.GOMAXPROCS(0))
	fmt.Printf("%-8s %-18s %10s %10s %9s %12s\n", "backend", "server", "req/s", "p99", "ratio", "views kept")
	for _, backend := range storetest.Backends(b) {
		db, stats, paths, cfg := openBeaconBench(b, backend.DSN(b), b.TempDir(), n)
		huimin, stop := serveBench(b, web.New(cfg))
		minimal, stop2 := serveBench(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusNoContent)
		}))
		var sent [2]atomic.Int64
		var lat [2][]time.Duration
		const rounds = 5
		for r := range rounds {
			for k := range 2 {
				i := (k + r) % 2
				addr := []string{minimal, huimin}[i]
				l, ok := loadBeacons(b, addr, paths, conns, dur/rounds)
				lat[i] = append(lat[i], l...)
				sent[i].Add(ok)
			}
		}
		stop()
		stop2()
		if err := stats.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		kept, err := stats.CountHits(ctx)
		if err != nil {
			b.Fatal(err)
		}
		res := make([]loadResult, 2)
		for i, l := range lat {
			slices.Sort(l)
			res[i] = loadResult{rps: float64(len(l)) / dur.Seconds(), p99: l[len(l)*99/100].Round(time.Microsecond)}
		}
		ratio := res[1].rps / res[0].rps
		fmt.Printf("%-8s %-18s %10.0f %10s %9s %12s\n", backend.Name, "minimal net/http", res[0].rps, res[0].p99, "", "")
		fmt.Printf("%-8s %-18s %10.0f %10s %8.2f× %5d of %d\n", "", "huimin beacon", res[1].rps, res[1].p99, ratio, kept, sent[1].Load())
		if kept != sent[1].Load() || stats.Dropped() != 0 {
			b.Errorf("%s: %d views stored of %d accepted (%d dropped)", backend.Name, kept, sent[1].Load(), stats.Dropped())
		}
		b.ReportMetric(ratio, backend.Name+"-ratio")
		benchline.Emit(benchline.Row{ID: "beacon-" + backend.Name, Unit: "req/s", Ours: benchline.One(res[1].rps),
			Peer: "minimal net/http server answering 204", Theirs: benchline.One(res[0].rps),
			Note: fmt.Sprintf("%d of %d accepted views stored", kept, sent[1].Load())})
		stats.Close()
		db.Close()
	}
	fmt.Println()
}

// openBeaconBench opens a store of n stories in dir (dsn as store.Open
// takes it) and its page-view store; it returns the paths of the first
// stories and the configuration of a server on them.
func openBeaconBench(b *testing.B, dsn, dir string, n int) (*store.DB, *store.StatsDB, []string, web.Config) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := importBenchStories(ctx, db, n); err != nil {
		b.Fatal(err)
	}
	stats, err := store.OpenStats(ctx, dsn, dir, nil, store.StatsOptions{})
	if err != nil {
		b.Fatal(err)
	}
	items, _, err := db.FindLiveStories(ctx, cms.ContentFilter{Page: cms.Page{Page: 1, PerPage: 50}})
	if err != nil || len(items) == 0 {
		b.Fatalf("stories: %v", err)
	}
	var paths []string
	for _, it := range items {
		paths = append(paths, cms.StoryURL(it.Slug))
	}
	return db, stats, paths, web.Config{
		Stories: db, Projects: db, Users: db, Settings: db, Pages: db, Builds: db, Audit: db, Media: db,
		Content: db, ContentVersion: db, Stats: stats, SitePages: db,
		// The per-client limiter stays in the path (clients are told
		// apart by X-Forwarded-For from a declared proxy), with a rate
		// above what the generator sends.
		BeaconRate: 1e9, BeaconBurst: 1e9, TrustedProxies: []string{"127.0.0.1"},
		Logger: slog.New(slog.DiscardHandler),
	}
}

// serveBench serves h on a free local port until the returned stop.
func serveBench(b *testing.B, h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }
}

// loadBeacons drives conns keep-alive connections, each a client of its
// own address, posting beacons for paths in turn for d; it returns the
// latencies and how many were accepted (204).
func loadBeacons(b *testing.B, addr string, paths []string, conns int, d time.Duration) ([]time.Duration, int64) {
	var wg sync.WaitGroup
	lat := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var accepted atomic.Int64
	deadline := time.Now().Add(d)
	for i := range conns {
		var reqs [][]byte
		for k, p := range paths {
			body := fmt.Sprintf(`{"path":%q,"from":"timeline","viewport":"phone","referrer":""}`, p)
			reqs = append(reqs, []byte(fmt.Sprintf("POST /api/v1/beacon HTTP/1.1\r\nHost: %s\r\n"+
				"User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.47\r\n"+
				"Content-Type: text/plain;charset=UTF-8\r\nX-Forwarded-For: 198.51.%d.%d\r\nContent-Length: %d\r\n\r\n%s",
				addr, i, k%250+1, len(body), body)))
		}
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 16<<10)
			lat[i] = make([]time.Duration, 0, 1<<15)
			for k := 0; ; k++ {
				t0 := time.Now()
				if t0.After(deadline) {
					return
				}
				if _, err := c.Write(reqs[k%len(reqs)]); err != nil {
					errs[i] = err
					return
				}
				if err := readNoContent(br); err != nil {
					errs[i] = err
					return
				}
				accepted.Add(1)
				lat[i] = append(lat[i], time.Since(t0))
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Errorf("load %s: %v", addr, err)
		}
	}
	return slices.Concat(lat...), accepted.Load()
}

// readNoContent reads one 204 answer (no body).
func readNoContent(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 204")) {
		return fmt.Errorf("%w: %q", errNot204, line)
	}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			return nil
		}
	}
}

var errNot204 = errors.New("status is not 204")
