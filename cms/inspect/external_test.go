package inspect

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The checker never has more than PerHost requests in flight to one host,
// falls back to GET when HEAD is refused, reports a 404 as broken, and
// gives up on a server that never answers after its timeout.
func TestChecker(t *testing.T) {
	t.Parallel()
	var inFlight, maxInFlight atomic.Int32
	var methods sync.Map
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		methods.Store(r.Method+" "+r.URL.Path, true)
		time.Sleep(20 * time.Millisecond)
		switch {
		case r.URL.Path == "/no-head" && r.Method == http.MethodHead:
			w.WriteHeader(http.StatusMethodNotAllowed)
		case r.URL.Path == "/gone":
			http.NotFound(w, r)
		}
	}))
	defer busy.Close()
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(stop)

	var urls []string
	for i := range 20 {
		urls = append(urls, fmt.Sprintf("%s/page/%d", busy.URL, i))
	}
	urls = append(urls, busy.URL+"/no-head", busy.URL+"/gone", hang.URL+"/never", "ftp://example.cn/x")
	c := &Checker{PerHost: 2, Concurrency: 8, Timeout: 300 * time.Millisecond}
	start := time.Now()
	res := c.Check(context.Background(), urls)
	took := time.Since(start)

	if m := maxInFlight.Load(); m > 2 || m < 1 {
		t.Errorf("at most %d requests to one host at once, want ≤ 2", m)
	}
	for i := range 20 {
		if !res[i].OK || res[i].Status != 200 || res[i].CheckedAt.IsZero() {
			t.Errorf("%s: %+v", urls[i], res[i])
		}
	}
	if r := res[20]; !r.OK {
		t.Errorf("HEAD refused, GET fine: %+v", r)
	}
	if _, ok := methods.Load("GET /no-head"); !ok {
		t.Error("no GET after the refused HEAD")
	}
	if r := res[21]; r.OK || r.Status != 404 || r.Error == "" {
		t.Errorf("404: %+v", r)
	}
	if r := res[22]; r.OK || r.Status != 0 || r.Error != "网站无响应（超时）" {
		t.Errorf("hanging server: %+v", r)
	}
	if r := res[23]; r.OK || r.Error == "" {
		t.Errorf("ftp link: %+v", r)
	}
	// HEAD and GET to the hanging server each wait out the timeout; the
	// 22 others at two at a time take about 22/2 × 20 ms.
	if took > 3*time.Second {
		t.Errorf("took %s", took)
	}
}
