package media

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/media/mediatest"
)

// BenchmarkVariants is the whole pipeline for one 12 MP photo: validate,
// decode, detect the focus, render and encode all six variants.
func BenchmarkVariants(b *testing.B) {
	data := bigPhotoJPEG(b)
	p := NewProcessor(Options{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Process(context.Background(), data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVersusVipsthumbnail times our pipeline and vipsthumbnail on the
// same 12 MP photo-like JPEG, alternating in one run, and reports the ratio
// of medians (issue 7 asks for ≤ 0.5). vipsthumbnail runs sequentially, one
// process per output, as a shell script would; a two-at-a-time run is
// reported too. Rounds: max(b.N, 7).
func BenchmarkVersusVipsthumbnail(b *testing.B) {
	vips, err := exec.LookPath("vipsthumbnail")
	if err != nil {
		benchline.NotMeasured("media-inprocess", "vipsthumbnail", "vipsthumbnail not on PATH (apt-get install libvips-tools)")
		b.Skip("vipsthumbnail not on PATH (apt-get install libvips-tools)")
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "photo.jpg")
	data := bigPhotoJPEG(b)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		b.Fatal(err)
	}
	p := NewProcessor(Options{})
	outputs := mediatest.VipsArgs(src, dir)
	runVips := func(parallel int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		limit := make(chan struct{}, parallel)
		for _, args := range outputs {
			limit <- struct{}{}
			wg.Go(func() {
				defer func() { <-limit }()
				if out, err := exec.Command(vips, args...).CombinedOutput(); err != nil {
					b.Errorf("vipsthumbnail %v: %v\n%s", args, err, out)
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	runOurs := func() time.Duration {
		start := time.Now()
		if _, err := p.Process(context.Background(), data, nil); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	runOurs() // warm up: page in code, grow the heap once
	runVips(1)

	rounds := max(b.N, 7)
	var ours, seq, par []time.Duration
	peak := newPeakSampler()
	b.ResetTimer()
	for i := range rounds {
		// Alternate who goes first so drift on a shared machine hits both.
		if i%2 == 0 {
			ours = append(ours, runOurs())
			seq = append(seq, runVips(1))
		} else {
			seq = append(seq, runVips(1))
			ours = append(ours, runOurs())
		}
		par = append(par, runVips(runtime.GOMAXPROCS(0)))
	}
	b.StopTimer()
	heapPeak := peak.stop()
	vipsRSS := vipsPeakRSS(b, vips, outputs)
	oursRSS, _ := childRSS(b, 1)
	mo, ms, mp := median(ours), median(seq), median(par)
	b.ReportMetric(float64(mo)/float64(ms), "ratio")
	b.ReportMetric(float64(mo)/float64(mp), "ratio-vs-parallel-vips")
	b.ReportMetric(mo.Seconds()*1000, "ours-ms")
	b.ReportMetric(ms.Seconds()*1000, "vips-ms")
	b.ReportMetric(float64(oursRSS)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(heapPeak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(vipsRSS)/(1<<20), "vips-peak-RSS-MiB")
	benchline.Emit(benchline.Row{ID: "media-inprocess", Unit: "ms", Ours: benchline.Millis(ours),
		Peer: "vipsthumbnail ×6, one process each", Theirs: benchline.Millis(seq),
		Note: fmt.Sprintf("two vipsthumbnail at a time: %.0f ms; peak RSS ours %d MiB, vipsthumbnail %d MiB", mp.Seconds()*1000, oursRSS>>20, vipsRSS>>20)})
	b.Logf("12 MP JPEG (%d bytes), %d rounds, GOMAXPROCS=%d: ours median %v; vipsthumbnail ×6 sequential %v, two at a time %v; "+
		"ratio %.2f (vs parallel vips %.2f); peak RSS %d MiB for one upload in a fresh process (Go heap peak here %d MiB); "+
		"vipsthumbnail peak RSS %d MiB", len(data), rounds, runtime.GOMAXPROCS(0), mo, ms, mp, float64(mo)/float64(ms),
		float64(mo)/float64(mp), oursRSS>>20, heapPeak>>20, vipsRSS>>20)
}

// vipsPeakRSS runs each vipsthumbnail call once more under /usr/bin/time,
// untimed. Children forked straight from this process would report our own
// RSS: Linux carries the high-water mark across exec.
func vipsPeakRSS(b *testing.B, vips string, outputs [][]string) int64 {
	timeBin, err := exec.LookPath("time")
	if err != nil {
		timeBin = "/usr/bin/time"
	}
	var peak int64
	for _, args := range outputs {
		out, err := exec.Command(timeBin, append([]string{"-f", "maxrss=%M", vips}, args...)...).CombinedOutput()
		if err != nil {
			b.Logf("no vipsthumbnail RSS: %v", err)
			return 0
		}
		i := bytes.LastIndex(out, []byte("maxrss="))
		if i < 0 {
			return 0
		}
		kb, _ := strconv.ParseInt(string(bytes.TrimSpace(out[i+7:])), 10, 64)
		peak = max(peak, kb*1024)
	}
	return peak
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// peakSampler polls the Go heap, since maxrss only ever grows.
type peakSampler struct {
	done chan struct{}
	peak chan uint64
}

func newPeakSampler() *peakSampler {
	s := &peakSampler{done: make(chan struct{}), peak: make(chan uint64)}
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				s.peak <- peak
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	return s
}

func (s *peakSampler) stop() uint64 {
	close(s.done)
	return <-s.peak
}

// rssChildEnv marks the child process of childRSS: "path,n".
const rssChildEnv = "HUIMIN_MEDIA_RSS_CHILD"

// rssBound is the stated bound for n simultaneous uploads of size bytes
// with processor p: the uploads themselves, Concurrency images in flight at
// their estimated footprint, doubled for the garbage collector's headroom
// (GOGC=100), and 128 MiB for the runtime and test binary. With two CPUs and
// 20 × 12 MP photos that is about 440 MiB.
func rssBound(p *Processor, n int, size int64) int64 {
	return int64(n)*size + 2*int64(p.Options().Concurrency)*typicalFootprint() + 128<<20
}

// childRSS processes n copies of the 12 MP test photo at once in a fresh
// child process, so its peak RSS is the pipeline's alone, not whatever this
// test binary did before. It returns the child's peak RSS and its report.
func childRSS(tb testing.TB, n int) (int64, string) {
	path := filepath.Join(tb.TempDir(), "photo.jpg")
	if err := os.WriteFile(path, bigPhotoJPEG(tb), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProcess_ConcurrentRSS$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d", rssChildEnv, path, n))
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("child: %v\n%s", err, out)
	}
	report, _, _ := strings.Cut(string(out), "\n")
	return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024, report
}

// TestProcess_ConcurrentRSS checks that 20 simultaneous 12 MP uploads, on
// distinct buffers as a server would hold them, all complete under rssBound.
func TestProcess_ConcurrentRSS(t *testing.T) {
	if env := os.Getenv(rssChildEnv); env != "" {
		path, n, _ := strings.Cut(env, ",")
		count, _ := strconv.Atoi(n)
		concurrentChild(t, path, count)
		return
	}
	if testing.Short() {
		t.Skip("slow: 20 × 12 MP")
	}
	const n = 20
	rss, report := childRSS(t, n)
	p := NewProcessor(Options{}) // as the child configured it
	bound := rssBound(p, n, int64(len(bigPhotoJPEG(t))))
	t.Logf("%s", report)
	t.Logf("%d simultaneous 12 MP uploads: peak RSS %d MiB (bound %d MiB), Concurrency=%d, GOMAXPROCS=%d",
		n, rss>>20, bound>>20, p.Options().Concurrency, runtime.GOMAXPROCS(0))
	if rss > bound {
		t.Errorf("peak RSS %d MiB exceeds %d MiB", rss>>20, bound>>20)
	}
}

func concurrentChild(t *testing.T, path string, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProcessor(Options{})
	uploads := make([][]byte, n) // one buffer per request
	for i := range uploads {
		uploads[i] = bytes.Clone(data)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range uploads {
		wg.Go(func() { _, errs[i] = p.Process(context.Background(), uploads[i], nil) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("upload %d: %v", i, err)
		}
	}
	fmt.Printf("child: %d uploads done in %v with Concurrency=%d\n", n, time.Since(start).Round(time.Millisecond), p.Options().Concurrency)
}
