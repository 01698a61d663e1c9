package cli_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/cli/clitest"
)

// BenchmarkBeaconPublish measures publish-to-live while page-view beacons
// flood the server, against the same server idle (issue 18: ≤ 1.5×). The
// flood is 32 keep-alive connections speaking raw HTTP/1.1 and posting
// beacons as fast as they are answered: once as 32 readers behind a
// declared proxy, so the per-client limit applies as in production, once
// from ever new addresses, so every beacon is counted. At the end the views stored are
// counted against the beacons accepted.
//
//	go test -run '^$' -bench BenchmarkBeaconPublish -benchtime 1x ./cms/cli/
//
// HUIMIN_BENCH_STORIES (default 2000) sizes the site, HUIMIN_BENCH_PUBLISHES
// (default 9) the publishes per phase.
func BenchmarkBeaconPublish(b *testing.B) {
	stories := envInt(b, "HUIMIN_BENCH_STORIES", 2000)
	publishes := envInt(b, "HUIMIN_BENCH_PUBLISHES", 9)
	pb := &publishBench{tb: b}
	data := b.TempDir()
	const password = "Bench-publish-2026"
	pb.seed(data, stories, password)
	s := clitest.MustRun(b, data, "", []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--demo=false",
		"--trusted-proxies", "127.0.0.1"})
	pb.srv = s
	pb.token = s.Login(b, "bench", password)
	pb.project = pb.firstProject()
	var list struct {
		Items []struct{ Slug string }
	}
	pb.call("GET", "/api/v1/content/stories?per_page=50&fields=slug", nil, &list)

	for b.Loop() {
		var idle []time.Duration
		n := 0
		phase := func(name string) []time.Duration {
			var out []time.Duration
			for i := range publishes {
				d, _ := pb.publishOne(n)
				n++
				out = append(out, d)
				pb.progress("%s 发布 %d：%s 上线", name, i+1, d.Round(time.Millisecond))
			}
			return out
		}
		idle = phase("空闲")
		mi := median(idle)
		w := os.Stdout
		fmt.Fprintf(w, "\n%d stories, %d publishes a phase, GOMAXPROCS=%d\n", stories, publishes, runtime.GOMAXPROCS(0))
		fmt.Fprintf(w, "publish-to-live idle, median:  %s\n", mi.Round(time.Millisecond))
		var stored int64
		for _, fl := range []struct {
			name     string
			spread   bool // every beacon from another address: no per-client limit applies
			progress string
		}{{"32 readers flooding", false, "洪泛（32 个地址）"}, {"a flood from every address", true, "洪泛（每次换地址）"}} {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var accepted, limited, failed atomic.Int64
			for c := range 32 {
				wg.Go(func() {
					// Raw HTTP/1.1 on a keep-alive connection (as wrk does), so
					// that the generator, which shares the CPUs, stays cheap.
					conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
					if err != nil {
						failed.Add(1)
						return
					}
					defer conn.Close()
					br := bufio.NewReader(conn)
					for k := 0; ; k++ {
						select {
						case <-stop:
							return
						default:
						}
						body := fmt.Sprintf(`{"path":"/stories/%s/","from":"timeline","viewport":"phone"}`, list.Items[k%len(list.Items)].Slug)
						addr := fmt.Sprintf("198.51.100.%d", c+1)
						if fl.spread {
							addr = fmt.Sprintf("10.%d.%d.%d", c, k/250%250, k%250+1)
						}
						fmt.Fprintf(conn, "POST /api/v1/beacon HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"+
							"Content-Type: text/plain;charset=UTF-8\r\nX-Forwarded-For: %s\r\nContent-Length: %d\r\n\r\n%s",
							strings.TrimPrefix(s.URL, "http://"), wechatAndroidUA, addr, len(body), body)
						status, err := readStatus(br)
						if err != nil {
							failed.Add(1)
							return
						}
						switch status {
						case http.StatusNoContent:
							accepted.Add(1)
						case http.StatusTooManyRequests:
							limited.Add(1)
						default:
							failed.Add(1)
						}
					}
				})
			}
			time.Sleep(time.Second)
			start := time.Now()
			flooded := phase(fl.progress)
			took := time.Since(start) + time.Second
			close(stop)
			wg.Wait()
			mf := median(flooded)
			total := accepted.Load() + limited.Load() + failed.Load()
			fmt.Fprintf(w, "publish-to-live, %s: %s (%.2f× idle; target ≤ 1.5×) %s\n", fl.name,
				mf.Round(time.Millisecond), float64(mf)/float64(mi), verdict(float64(mf) <= 1.5*float64(mi)))
			fmt.Fprintf(w, "  %d beacons in %s (%.0f/s): %d counted, %d refused by the per-client limit, %d failed\n",
				total, took.Round(time.Millisecond), float64(total)/took.Seconds(), accepted.Load(), limited.Load(), failed.Load())
			stored += accepted.Load()
			b.ReportMetric(float64(mf)/float64(mi), map[bool]string{false: "limited", true: "spread"}[fl.spread]+"-flood/idle")
			benchline.Emit(benchline.Row{ID: "beacon-publish-" + map[bool]string{false: "limited", true: "spread"}[fl.spread],
				Unit: "ms", Ours: benchline.Millis(flooded), Peer: "the same publish, server idle", Theirs: benchline.Millis(idle),
				Note: fmt.Sprintf("%s: %.0f beacons/s", fl.name, float64(total)/took.Seconds())})
		}
		pb.call("POST", "/api/v1/stats/flush", nil, nil)
		var rep struct{ Views int64 }
		pb.call("GET", "/api/v1/stats/report", nil, &rep)
		fmt.Fprintf(w, "views stored: %d of %d accepted %s\n\n", rep.Views, stored, verdict(rep.Views == stored))
		if rep.Views != stored {
			b.Errorf("%d views stored of %d accepted", rep.Views, stored)
		}
	}
}

// readStatus reads one response and returns its status code; the body is
// discarded (Content-Length or chunked).
func readStatus(br *bufio.Reader) (int, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	var status int
	if _, err := fmt.Sscanf(line, "HTTP/1.1 %d", &status); err != nil {
		return 0, fmt.Errorf("status line %q: %w", line, err)
	}
	length, chunked := 0, false
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		h = strings.TrimSpace(h)
		if h == "" {
			break
		}
		k, v, _ := strings.Cut(h, ":")
		switch strings.ToLower(k) {
		case "content-length":
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(v), "chunked")
		}
	}
	if !chunked {
		_, err := br.Discard(length)
		return status, err
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(l), 16, 64)
		if err != nil {
			return 0, err
		}
		if _, err := br.Discard(int(n) + 2); err != nil {
			return 0, err
		}
		if n == 0 {
			return status, nil
		}
	}
}
