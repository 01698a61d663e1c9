package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
)

// BenchmarkPublish is DESIGN.md's instant-publish target, measured through
// the public API and site of a real server on a seeded site, side by side in
// one run:
//   - publish one story (publish call → its page served with the new text),
//     median of several, ÷ a full build of the same site (goal ≤ 0.05);
//   - a burst of publishes within a second: how many builds, how long;
//   - a full build ÷ the hugo command line on the exported content (goal
//     ≤ 1.2), when a hugo binary is found (HUIMIN_BENCH_HUGO, PATH, /tmp/hugo);
//   - peak memory of this process (goal ≤ 1.5 GiB).
//
// HUIMIN_BENCH_STORIES (default 10000), HUIMIN_BENCH_PUBLISHES (15),
// HUIMIN_BENCH_BURST (100) and HUIMIN_BENCH_FULL (3) size the run. Run it
// with -benchtime 1x: one iteration is the whole measurement.
func BenchmarkPublish(b *testing.B) {
	stories := envInt(b, "HUIMIN_BENCH_STORIES", 10000)
	publishes := envInt(b, "HUIMIN_BENCH_PUBLISHES", 15)
	burst := envInt(b, "HUIMIN_BENCH_BURST", 100)
	fulls := envInt(b, "HUIMIN_BENCH_FULL", 3)

	pb := &publishBench{tb: b}
	data := b.TempDir()
	const password = "Bench-publish-2026"
	start := time.Now()
	pb.seed(data, stories, password)
	pb.progress("导入 %d 篇稿件：%s", stories, time.Since(start).Round(time.Millisecond))

	// Serving a seeded directory makes the first full build at startup.
	start = time.Now()
	s := clitest.MustRun(b, data, "", []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--demo=false"})
	pb.coldStart = time.Since(start)
	pb.progress("服务已启动（含首次全量构建）：%s", pb.coldStart.Round(time.Millisecond))
	pb.srv = s
	pb.token = s.Login(b, "bench", password)
	pb.project = pb.firstProject()

	for b.Loop() {
		// Full builds and hugo command builds take turns, so that the
		// load of a shared machine falls on both alike.
		hugo, hugoErr := findHugo()
		for i := range fulls {
			d, ms := pb.fullBuild()
			pb.progress("全量构建 %d：%s（构建记录 %d ms）", i+1, d.Round(time.Millisecond), ms)
			pb.full = append(pb.full, d)
			if hugoErr == nil {
				d, err := pb.hugoCLI(data, hugo)
				if err != nil {
					hugoErr = err
					continue
				}
				pb.progress("hugo 命令行构建 %d：%s", i+1, d.Round(time.Millisecond))
				pb.cli = append(pb.cli, d)
			}
		}
		for i := range publishes {
			d, api := pb.publishOne(i)
			pb.progress("发布 %d：%s 上线（接口 %s）", i+1, d.Round(time.Millisecond), api.Round(time.Millisecond))
			pb.publish = append(pb.publish, d)
		}
		if burst > 0 {
			pb.burst(burst)
		}
		pb.report(b, hugoErr)
	}
	saveServerLog(b, "publish", s)
}

// saveServerLog writes what server s logged to NAME.log in the directory
// HUIMIN_BENCH_LOGS, when set: each build's stages (export, render, link
// check, manifest, bucket) are in its "site built" lines.
func saveServerLog(tb testing.TB, name string, s *clitest.Server) {
	dir := os.Getenv("HUIMIN_BENCH_LOGS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".log"), []byte(s.Stderr()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

type publishBench struct {
	tb      testing.TB
	srv     *clitest.Server
	token   string
	project int64
	// host, when set, is the Host header of every request: the site of a
	// platform the benchmark publishes on (the default site otherwise).
	host string

	coldStart          time.Duration
	full, cli, publish []time.Duration
	burstLine          string
}

func envInt(tb testing.TB, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		tb.Fatalf("%s=%q: want a number ≥ 0", key, v)
	}
	return n
}

func (pb *publishBench) progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

var benchTopics = []string{"婚姻登记", "颁证仪式", "殡葬服务", "养老服务", "银龄互助", "志愿服务", "退役军人", "优抚", "社会救助",
	"残疾人就业", "儿童关爱", "社会组织", "社区治理", "移风易俗", "慈善", "未成年人保护", "低保", "临时救助", "适老化改造", "助餐"}

// seed imports n stories through `huimin import` and creates the admin
// account through `huimin user create`, as an operator would.
func (pb *publishBench) seed(data string, n int, password string) {
	seedBench(pb.tb, n, password, func(string) string { return "" }, "--data", data)
}

// seedBench writes n benchmark stories to a JSON Lines file, imports them
// with `huimin import` into the store that where names (--data, --db) and
// creates the admin "bench" with `huimin user create`.
func seedBench(tb testing.TB, n int, password string, env func(string) string, where ...string) {
	tb.Helper()
	file := benchStoriesFile(tb, n)
	ctx := context.Background()
	args := append(append([]string{"import"}, where...), "--build=false", file)
	if err := cli.Run(ctx, args, env, strings.NewReader(""), io.Discard, io.Discard, clitest.Project(tb)); err != nil {
		tb.Fatalf("import: %v", err)
	}
	args = append(append([]string{"user", "create"}, where...), "--name", "bench", "--role", "admin", "--password-stdin")
	if err := cli.Run(ctx, args, env, strings.NewReader(password+"\n"), io.Discard, io.Discard, clitest.Project(tb)); err != nil {
		tb.Fatalf("user create: %v", err)
	}
}

// benchStoriesFile writes n benchmark stories to a JSON Lines file for
// `huimin import` and returns its path.
func benchStoriesFile(tb testing.TB, n int) string {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "stories.jsonl")
	f, err := os.Create(file)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	first := time.Now().AddDate(-3, 0, 0)
	step := 3 * 365 * 24 * time.Hour / time.Duration(max(n, 1))
	for i := range n {
		line, err := json.Marshal(benchStory(i, first.Add(time.Duration(i)*step)))
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		tb.Fatal(err)
	}
	return file
}

// benchStory is the i-th story of the benchmark site: ten projects, a few
// tags each from twenty topics, a body of about a thousand characters.
func benchStory(i int, at time.Time) map[string]any {
	topic := benchTopics[i%len(benchTopics)]
	var body strings.Builder
	for p := range 8 {
		fmt.Fprintf(&body, "<p>第%d段：%s项目的工作人员在社区开展第%d次走访，为困难群众送去关怀，倾听他们在%s方面的需求，并现场办理了%d件实事。</p>",
			p+1, topic, i+p, benchTopics[(i+p)%len(benchTopics)], (i+p)%7+1)
	}
	st := map[string]any{
		"title":        fmt.Sprintf("%s：第%d次暖心服务", topic, i+1),
		"body":         body.String(),
		"project":      fmt.Sprintf("bench-project-%d", i%10+1),
		"tags":         []string{topic, benchTopics[(i*7+3)%len(benchTopics)]},
		"author":       "通讯员",
		"published_at": at.Format(time.RFC3339),
		"status":       "published",
	}
	if i%2 == 0 {
		st["summary"] = fmt.Sprintf("%s工作人员上门服务的第%d个故事。", topic, i+1)
	}
	return st
}

// call makes a JSON request that must succeed.
func (pb *publishBench) call(method, path string, body, out any) {
	pb.tb.Helper()
	if code := pb.callCode(method, path, body, out); code >= 300 {
		pb.tb.Fatalf("%s %s: %d %+v", method, path, code, out)
	}
}

// callCode makes a JSON request on pb's site and returns its status.
func (pb *publishBench) callCode(method, path string, body, out any) int {
	pb.tb.Helper()
	if pb.host == "" {
		return pb.srv.CallJSON(pb.tb, method, path, pb.token, body, out)
	}
	req := clitest.Request(pb.tb, method, pb.srv.URL+path, pb.token, body)
	req.Host = pb.host
	resp, raw := clitest.Send(pb.tb, nil, req)
	if len(raw) > 0 && out != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, out); err != nil {
			pb.tb.Fatalf("%s %s (host %s): invalid JSON %q: %v", method, path, pb.host, raw, err)
		}
	}
	return resp.StatusCode
}

func (pb *publishBench) firstProject() int64 {
	var projects struct {
		Items []struct{ ID int64 }
	}
	pb.call("GET", "/api/v1/projects?per_page=1", nil, &projects)
	if len(projects.Items) == 0 {
		pb.tb.Fatal("no project to publish into")
	}
	return projects.Items[0].ID
}

type benchBuild struct {
	ID         int64
	Status     string
	Error      string
	DurationMS int64 `json:"duration_ms"`
}

// waitBuild polls a build record until it is final; a failed build ends
// the benchmark.
func (pb *publishBench) waitBuild(id int64) benchBuild {
	for {
		bl := pb.build(id)
		switch bl.Status {
		case "succeeded":
			return bl
		case "failed":
			pb.tb.Fatalf("build %d failed: %s", id, bl.Error)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fullBuild asks for a full build, as an admin does after a template
// change, and waits for it.
func (pb *publishBench) fullBuild() (time.Duration, int64) {
	start := time.Now()
	var bl benchBuild
	pb.call("POST", "/api/v1/builds", nil, &bl)
	bl = pb.waitBuild(bl.ID)
	return time.Since(start), bl.DurationMS
}

type benchStoryResp struct {
	ID      int64
	URL     string
	BuildID int64 `json:"build_id"`
}

func (pb *publishBench) draft(title string) benchStoryResp {
	var st benchStoryResp
	pb.call("POST", "/api/v1/stories", map[string]any{
		"title": title, "summary": "压测发布的稿件", "project_id": pb.project, "tags": []string{"压测"},
		"body": "<p>" + title + "：社区工作人员为老人送去生活用品。</p>", "author": "压测",
	}, &st)
	return st
}

func (pb *publishBench) publishCall(id int64) benchStoryResp {
	var pub benchStoryResp
	pb.call("POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", id), map[string]any{}, &pub)
	if pub.BuildID == 0 || pub.URL == "" {
		pb.tb.Fatalf("publish response without build id or url: %+v", pub)
	}
	return pub
}

// publishOne publishes a new story and waits until its page is served; it
// returns that time and the time the publish call took.
func (pb *publishBench) publishOne(i int) (live, api time.Duration) {
	return pb.publishTo(pb, fmt.Sprintf("压测即时发布第%d篇-%d", i+1, time.Now().UnixNano()), 5*time.Minute)
}

// publishTo publishes a new story titled title and waits until site serves
// its page, for at most limit; it returns that time and the time the
// publish call took.
func (pb *publishBench) publishTo(site *publishBench, title string, limit time.Duration) (live, api time.Duration) {
	st := pb.draft(title)
	time.Sleep(200 * time.Millisecond) // let the draft's own work settle
	start := time.Now()
	pub := pb.publishCall(st.ID)
	api = time.Since(start)
	site.waitLive(pub.URL, title, limit)
	return time.Since(start), api
}

// waitLive polls the public site until path answers with want in it.
func (pb *publishBench) waitLive(path, want string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	req, err := http.NewRequest("GET", pb.srv.URL+path, nil)
	if err != nil {
		pb.tb.Fatal(err)
	}
	if pb.host != "" {
		req.Host = pb.host
	}
	for {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(want)) {
				return
			}
		}
		if time.Now().After(deadline) {
			pb.tb.Fatalf("%s never went live", path)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// burst publishes n stories as fast as the API allows, then waits until all
// are live and counts the builds they made.
func (pb *publishBench) burst(n int) {
	var drafts []benchStoryResp
	var titles []string
	for i := range n {
		title := fmt.Sprintf("压测连发第%d篇-%d", i+1, time.Now().UnixNano())
		drafts, titles = append(drafts, pb.draft(title)), append(titles, title)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	var urls []string
	builds := map[int64]bool{}
	var slowest time.Duration
	for _, st := range drafts {
		t := time.Now()
		pub := pb.publishCall(st.ID)
		slowest = max(slowest, time.Since(t))
		urls = append(urls, pub.URL)
		builds[pub.BuildID] = true
	}
	issued := time.Since(start)
	for i, u := range urls {
		pb.waitLive(u, titles[i], 10*time.Minute)
	}
	live := time.Since(start)
	for id := range builds {
		pb.waitBuild(id) // a build's record is final a moment after its pages are live
	}
	pb.burstLine = fmt.Sprintf("%d 次发布在 %s 内发出（单次接口最长 %s），合并为 %d 次构建，%s 后全部上线",
		n, issued.Round(time.Millisecond), slowest.Round(time.Millisecond), len(builds), live.Round(time.Millisecond))
	pb.progress("%s", pb.burstLine)
}

// findHugo returns the hugo command to compare with.
func findHugo() (string, error) {
	if bin := os.Getenv("HUIMIN_BENCH_HUGO"); bin != "" {
		return bin, nil
	}
	if p, err := exec.LookPath("hugo"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/tmp/hugo"); err == nil {
		return "/tmp/hugo", nil
	}
	return "", errors.New("no hugo command found: set HUIMIN_BENCH_HUGO, or build one: " +
		"cd $(mktemp -d) && go mod init x && go get github.com/gohugoio/hugo@v0.165.0 && go build -o /tmp/hugo github.com/gohugoio/hugo")
}

// hugoCLI builds the exported content with the hugo command, with the same
// config files and caches as the server's builds, into a fresh directory.
func (pb *publishBench) hugoCLI(data, bin string) (time.Duration, error) {
	site := filepath.Join(data, "site")
	projects, _ := filepath.Glob(filepath.Join(site, "project", "*", "config.toml"))
	if len(projects) != 1 {
		return 0, fmt.Errorf("expected one extracted Hugo project, found %d", len(projects))
	}
	proj := filepath.Dir(projects[0])
	extra := filepath.Join(data, "bench-cli.toml")
	if err := os.WriteFile(extra, []byte(fmt.Sprintf("resourceDir = %q\n", filepath.Join(site, "resources"))), 0o644); err != nil {
		return 0, err
	}
	out := filepath.Join(data, "cli-public")
	if err := os.RemoveAll(out); err != nil {
		return 0, err
	}
	cmd := exec.Command(bin, "--source", proj, "--config", strings.Join([]string{projects[0], filepath.Join(site, "site.toml"), extra}, ","),
		"--destination", out, "--cacheDir", filepath.Join(site, "cache"), "--environment", "production", "--noBuildLock", "--quiet")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %v: %s", bin, err, stderr.String())
	}
	return time.Since(start), nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// peakRSSOf reads the peak resident set size (VmHWM) of process pid
// ("self" for this one) from /proc.
func peakRSSOf(pid string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/" + pid + "/status")
}

func (pb *publishBench) report(b *testing.B, hugoErr error) {
	w := os.Stdout
	fmt.Fprintln(w, "== publish benchmark ==")
	if len(pb.publish) > 0 && len(pb.full) > 0 {
		pub, full := median(pb.publish), median(pb.full)
		fmt.Fprintf(w, "publish-to-live, median of %d:   %s (min %s, max %s)\n", len(pb.publish),
			pub.Round(time.Millisecond), slices.Min(pb.publish).Round(time.Millisecond), slices.Max(pb.publish).Round(time.Millisecond))
		fmt.Fprintf(w, "full build (export + render), median of %d: %s (first, cold, at startup: %s)\n", len(pb.full),
			full.Round(time.Millisecond), pb.coldStart.Round(time.Millisecond))
		ratio := float64(pub) / float64(full)
		fmt.Fprintf(w, "ratio publish / full build:     %.4f (goal ≤ 0.05: %s)\n", ratio, verdict(ratio <= 0.05))
		b.ReportMetric(ratio, "publish/full")
		benchline.Emit(benchline.Row{ID: "publish-live", Unit: "ms", Ours: benchline.Millis(pb.publish),
			Peer: "full build of the same site", Theirs: benchline.Millis(pb.full), Note: pb.burstLine})
	}
	if pb.burstLine != "" {
		fmt.Fprintf(w, "burst: %s\n", pb.burstLine)
	}
	if len(pb.cli) == 0 {
		fmt.Fprintf(w, "hugo CLI: skipped: %v\n", hugoErr)
		benchline.NotMeasured("build-vs-hugo", "hugo CLI", fmt.Sprint(hugoErr))
	} else {
		cli, full := median(pb.cli), median(pb.full)
		r := float64(full) / float64(cli)
		fmt.Fprintf(w, "hugo CLI on the exported content, median of %d: %s; full build / CLI: %.2f (goal ≤ 1.2: %s)\n",
			len(pb.cli), cli.Round(time.Millisecond), r, verdict(r <= 1.2))
		b.ReportMetric(r, "full/hugo-cli")
		bin, _ := findHugo()
		benchline.Emit(benchline.Row{ID: "build-vs-hugo", Unit: "ms", Ours: benchline.Millis(pb.full),
			Peer: hugoVersion(bin), Theirs: benchline.Millis(pb.cli)})
	}
	// The server runs in this process, so its peak is the server's too.
	if rss, err := peakRSSOf("self"); err == nil {
		fmt.Fprintf(w, "peak memory (VmHWM):            %d MiB (goal ≤ 1536 MiB: %s)\n", rss>>20, verdict(rss <= 1536<<20))
		b.ReportMetric(float64(rss>>20), "peak-MiB")
		benchline.Emit(benchline.Row{ID: "build-peak-memory", Unit: "MiB", Ours: benchline.One(float64(rss >> 20))})
	} else {
		fmt.Fprintf(w, "peak memory: unknown: %v\n", err)
	}
}

// hugoVersion names the hugo command that ran, e.g. "hugo CLI v0.165.0".
func hugoVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if f := strings.Fields(string(out)); err == nil && len(f) > 1 {
		return "hugo CLI " + strings.SplitN(f[1], "-", 2)[0]
	}
	return "hugo CLI"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
