package cli_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
)

// BenchmarkSites_PublishUnderRebuild is acceptance 3 of issue 15, measured
// side by side in one run on the compiled binary (a process of its own, so
// its peak memory is the server's alone):
//
//  1. publish-to-live of one story on an idle single-site installation of
//     HUIMIN_BENCH_SITE_STORIES stories;
//  2. the same on a small site of a platform of HUIMIN_BENCH_SITES sites of
//     that size (the default site among them) plus one of
//     HUIMIN_BENCH_STORIES stories, while
//     the big site runs a full rebuild (every publish counted starts and
//     goes live during one);
//
// then the ratio of the medians (goal ≤ 2) and the platform server's peak
// resident memory, VmHWM (goal ≤ 2 GiB). The defaults are the issue's: 20
// sites × 500 stories plus one of 10,000; HUIMIN_BENCH_PUBLISHES (5) is
// the publishes of each side, one a round; a round lasts one full build
// of the big site. Run it with -benchtime 1x:
//
//	go test -run '^$' -bench BenchmarkSites_PublishUnderRebuild -benchtime 1x -timeout 60m ./cms/cli/
func BenchmarkSites_PublishUnderRebuild(b *testing.B) {
	sites := envInt(b, "HUIMIN_BENCH_SITES", 20)
	perSite := envInt(b, "HUIMIN_BENCH_SITE_STORIES", 500)
	bigStories := envInt(b, "HUIMIN_BENCH_STORIES", 10000)
	publishes := envInt(b, "HUIMIN_BENCH_PUBLISHES", 5)
	if sites < 1 || publishes < 1 {
		b.Fatal("HUIMIN_BENCH_SITES and HUIMIN_BENCH_PUBLISHES must be at least 1")
	}
	const password = "Bench-sites-2026"
	progress := (&publishBench{}).progress
	bin := clitest.BuildBinary(b, clitest.ServiceDir(b, nil))
	env := func(string) string { return "" }
	smallFile := benchStoriesFile(b, perSite)

	// The single-site installation: one site the size of a small one.
	single := filepath.Join(b.TempDir(), "single")
	seedBench(b, perSite, password, env, "--data", single)

	// The platform: the default site is the first small one (it builds
	// before the server listens, the others are queued), the big one a
	// site of its own.
	platform := filepath.Join(b.TempDir(), "platform")
	start := time.Now()
	benchCLI(b, "", "import", "--data", platform, "--build=false", smallFile)
	for i := 2; i <= sites; i++ {
		slug := fmt.Sprintf("qu%d", i)
		benchCLI(b, "", "site", "create", "--data", platform, "--name", fmt.Sprintf("第%d区民政局", i), "--slug", slug, "--host", slug+".bench.test")
		benchCLI(b, "", "import", "--data", platform, "--in-site", slug, "--build=false", smallFile)
	}
	benchCLI(b, "", "site", "create", "--data", platform, "--name", "市民政局", "--slug", "big", "--host", "big.bench.test")
	benchCLI(b, "", "import", "--data", platform, "--in-site", "big", "--build=false", benchStoriesFile(b, bigStories))
	benchCLI(b, password+"\n", "user", "create", "--data", platform, "--name", "bench", "--role", "admin", "--platform-admin", "--password-stdin")
	progress("平台导入：%d 个站点 × %d 篇 + %d 篇：%s", sites, perSite, bigStories, time.Since(start).Round(time.Millisecond))

	for b.Loop() {
		start = time.Now()
		sa := clitest.RunBinary(b, bin, nil, "serve", "--addr", "127.0.0.1:0", "--data", single, "--demo=false")
		idle := &publishBench{tb: b, srv: sa, token: sa.Login(b, "bench", password)}
		idle.waitIdle()
		idle.project = idle.firstProject()
		progress("单站点服务已启动并完成首次构建：%s", time.Since(start).Round(time.Millisecond))

		start = time.Now()
		sp := clitest.RunBinary(b, bin, nil, "serve", "--addr", "127.0.0.1:0", "--data", platform, "--demo=false")
		token := sp.Login(b, "bench", password)
		big := &publishBench{tb: b, srv: sp, token: token, host: "big.bench.test"}
		small := make([]*publishBench, sites)
		for i := range small {
			small[i] = &publishBench{tb: b, srv: sp, token: token}
			if i > 0 {
				small[i].host = fmt.Sprintf("qu%d.bench.test", i+1)
			}
		}
		big.waitIdle()
		for _, s := range small {
			s.waitIdle()
			s.project = s.firstProject()
		}
		startup := time.Since(start)
		progress("平台服务已启动，%d 个站点完成首次构建：%s", sites+1, startup.Round(time.Millisecond))

		// Rounds, so that a busy machine slows both sides alike: a publish
		// on the single site while nothing builds anywhere, then a full
		// rebuild of the big site and, while it runs, a publish on the
		// next small site; the round ends when the rebuild does. A publish
		// that goes live after the rebuild ended is not counted (the big
		// site is then too small to measure against) and is tried again.
		var idleLive, busyLive, rebuilds []time.Duration
		missed := 0
		for round := range publishes {
			d, _ := idle.publishOne(round)
			idleLive = append(idleLive, d)
			progress("空闲单站点 发布 %d：%s 上线", round+1, d.Round(time.Millisecond))
			for {
				rebuild := big.startFullBuild()
				s := small[round%len(small)]
				d, _ := s.publishOne(round)
				during := big.build(rebuild.ID).Status == "running"
				rebuild = big.waitBuild(rebuild.ID)
				rebuilds = append(rebuilds, time.Duration(rebuild.DurationMS)*time.Millisecond)
				if during {
					busyLive = append(busyLive, d)
					progress("平台 %s 发布 %d（大站点全量构建 #%d 进行中，用时 %d ms）：%s 上线", s.siteName(), round+1, rebuild.ID, rebuild.DurationMS, d.Round(time.Millisecond))
					break
				}
				progress("平台 %s 发布：%s 上线，但大站点的全量构建已先结束，不计", s.siteName(), d.Round(time.Millisecond))
				if missed++; missed > 2*publishes {
					b.Fatalf("%d publishes went live after the big site's rebuild ended: too small to measure against (HUIMIN_BENCH_STORIES=%d)", missed, bigStories)
				}
			}
		}
		idleRSS, idleErr := peakRSSOf(strconv.Itoa(sa.PID()))
		sa.Stop(b)
		rss, rssErr := peakRSSOf(strconv.Itoa(sp.PID()))
		sp.Stop(b)

		w := os.Stdout
		mi, mb := median(idleLive), median(busyLive)
		ratio := float64(mb) / float64(mi)
		fmt.Fprintln(w, "== sites benchmark ==")
		fmt.Fprintf(w, "platform: %d sites × %d stories + 1 site of %d stories; GOMAXPROCS=%d\n", sites, perSite, bigStories, runtime.GOMAXPROCS(0))
		fmt.Fprintf(w, "platform start-up, every site's first build: %s\n", startup.Round(time.Millisecond))
		fmt.Fprintf(w, "big site full rebuild (build records), median of %d: %s\n", len(rebuilds), median(rebuilds).Round(time.Millisecond))
		fmt.Fprintf(w, "publish-to-live, idle single site, median of %d: %s (min %s, max %s)\n", len(idleLive),
			mi.Round(time.Millisecond), slices.Min(idleLive).Round(time.Millisecond), slices.Max(idleLive).Round(time.Millisecond))
		fmt.Fprintf(w, "publish-to-live, small site while the big one rebuilds, median of %d: %s (min %s, max %s; %d more went live after a rebuild ended, not counted)\n",
			len(busyLive), mb.Round(time.Millisecond), slices.Min(busyLive).Round(time.Millisecond), slices.Max(busyLive).Round(time.Millisecond), missed)
		fmt.Fprintf(w, "ratio under rebuild / idle: %.2f (goal ≤ 2.0: %s)\n", ratio, verdict(ratio <= 2))
		b.ReportMetric(ratio, "rebuild/idle")
		benchline.Emit(benchline.Row{ID: "sites-publish-under-rebuild", Unit: "ms", Ours: benchline.Millis(busyLive),
			Peer: "idle single-site installation", Theirs: benchline.Millis(idleLive),
			Note: fmt.Sprintf("%d sites × %d + %d stories; big site's full rebuild %s", sites, perSite, bigStories, median(rebuilds).Round(time.Second))})
		if idleErr == nil {
			fmt.Fprintf(w, "peak memory (VmHWM), single-site server: %d MiB\n", idleRSS>>20)
		}
		if rssErr != nil {
			fmt.Fprintf(w, "peak memory of the platform server: unknown: %v\n", rssErr)
			benchline.NotMeasured("sites-peak-memory", "", rssErr.Error())
			continue
		}
		fmt.Fprintf(w, "peak memory (VmHWM), platform server: %d MiB (goal ≤ 2048 MiB: %s)\n", rss>>20, verdict(rss <= 2<<30))
		b.ReportMetric(float64(rss>>20), "peak-MiB")
		benchline.Emit(benchline.Row{ID: "sites-peak-memory", Unit: "MiB", Ours: benchline.One(float64(rss >> 20)),
			Note: fmt.Sprintf("%d sites × %d + %d stories", sites, perSite, bigStories)})
	}
}

// benchCLI runs a huimin command line that must succeed.
func benchCLI(tb testing.TB, stdin string, args ...string) {
	tb.Helper()
	var errb strings.Builder
	if err := cli.Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), io.Discard, &errb, clitest.Project(tb)); err != nil {
		tb.Fatalf("huimin %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
}

// waitIdle waits until pb's site has built at least once and no build of
// it is queued or running.
func (pb *publishBench) waitIdle() {
	pb.tb.Helper()
	deadline := time.Now().Add(30 * time.Minute)
	for {
		var l struct{ Items []benchBuild }
		pb.call("GET", "/api/v1/builds?per_page=100", nil, &l)
		done, busy := false, false
		for _, bl := range l.Items {
			switch bl.Status {
			case "succeeded":
				done = true
			case "failed":
				pb.tb.Fatalf("build %d of %s failed: %s", bl.ID, pb.siteName(), bl.Error)
			default:
				busy = true
			}
		}
		if done && !busy {
			return
		}
		if time.Now().After(deadline) {
			pb.tb.Fatalf("%s never finished building: %+v", pb.siteName(), l.Items)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (pb *publishBench) siteName() string {
	if pb.host == "" {
		return "the default site"
	}
	return pb.host
}

// build reads a build record.
func (pb *publishBench) build(id int64) benchBuild {
	var bl benchBuild
	pb.call("GET", "/api/v1/builds/"+strconv.FormatInt(id, 10), nil, &bl)
	return bl
}

// startFullBuild asks for a full build of pb's site and waits until it
// runs.
func (pb *publishBench) startFullBuild() benchBuild {
	pb.tb.Helper()
	var bl benchBuild
	pb.call("POST", "/api/v1/builds", nil, &bl)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		bl = pb.build(bl.ID)
		switch bl.Status {
		case "running", "succeeded":
			return bl
		case "failed":
			pb.tb.Fatalf("full build %d of %s failed: %s", bl.ID, pb.siteName(), bl.Error)
		}
		if time.Now().After(deadline) {
			pb.tb.Fatalf("full build %d of %s never started: %+v", bl.ID, pb.siteName(), bl)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
