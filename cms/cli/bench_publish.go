package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

// benchUsage documents `huimin bench`.
const benchUsage = `用法：
  huimin bench publish [--stories 10000] [--publishes 15] [--burst 100] [--full 2] [--hugo PATH] [--data DIR] [--keep]

在一个新数据目录中导入若干稿件，启动 huimin serve，然后在同一次运行中测量：
  - 发布一篇稿件（调用发布接口 → 页面带着新内容对外可见）的中位时间；
  - 同一内容的全量构建时间（导出 + 渲染），以及二者之比（目标 ≤ 0.05）；
  - 100 次发布在一秒内连发时合并成几次构建、多久全部上线；
  - 进程内存峰值（目标 ≤ 1.5 GiB）；
  - 全量构建与 hugo 命令行构建同一导出内容之比（目标 ≤ 1.2）。
hugo 命令行不在 PATH 中时跳过最后一项；可用下面的命令从模块缓存离线构建：
  cd $(mktemp -d) && go mod init x && go get github.com/gohugoio/hugo@v0.165.0 && go build -o /tmp/hugo github.com/gohugoio/hugo
`

// runBench runs `huimin bench publish`: the instant-publish benchmark of
// issue 5, measured through the public API and site of a real server.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, project fs.FS) error {
	if len(args) == 0 || args[0] != "publish" {
		fmt.Fprint(stderr, benchUsage)
		return fmt.Errorf("%w: expected 'bench publish'", errUsage)
	}
	fs := flag.NewFlagSet("bench publish", flag.ContinueOnError)
	stories := fs.Int("stories", 10000, "导入的稿件数")
	publishes := fs.Int("publishes", 15, "逐篇测量的发布次数")
	burst := fs.Int("burst", 100, "一秒内连发的发布次数；0 表示不测")
	fulls := fs.Int("full", 3, "测量全量构建的次数（与 hugo 命令行构建交替进行）")
	hugoBin := fs.String("hugo", "", "hugo 命令行程序；默认在 PATH 和 /tmp/hugo 中查找")
	data := fs.String("data", "", "数据目录；默认新建临时目录，结束后删除")
	keep := fs.Bool("keep", false, "保留数据目录")
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	b := &bench{out: stdout, log: stderr, hugo: project}
	dir := *data
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "huimin-bench-"); err != nil {
			return err
		}
		if !*keep {
			defer os.RemoveAll(dir)
		}
	}
	b.data = dir
	b.progress("数据目录：%s", dir)

	password, err := b.seed(ctx, *stories)
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}

	// Serve from the seeded directory; startup makes the first full build.
	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	start := time.Now()
	url, done, err := b.serve(srvCtx, getenv)
	if err != nil {
		return err
	}
	defer func() { stop(); <-done }()
	b.coldStart = time.Since(start)
	b.progress("服务已启动（含首次全量构建）：%s", b.coldStart.Round(time.Millisecond))
	b.url = url
	if err := b.login(password); err != nil {
		return err
	}

	// Full builds and hugo command builds take turns, so that the load
	// of a shared machine falls on both alike.
	cli, cliErr := b.findHugo(*hugoBin)
	for i := range *fulls {
		d, ms, err := b.fullBuild()
		if err != nil {
			return err
		}
		b.progress("全量构建 %d：%s（构建记录 %d ms）", i+1, d.Round(time.Millisecond), ms)
		b.full = append(b.full, d)
		if cliErr == nil {
			d, err := b.hugoCLI(cli)
			if err != nil {
				cliErr = err
				continue
			}
			b.progress("hugo 命令行构建 %d：%s", i+1, d.Round(time.Millisecond))
			b.cli = append(b.cli, d)
		}
	}
	for i := range *publishes {
		d, api, err := b.publishOne(i)
		if err != nil {
			return err
		}
		b.progress("发布 %d：%s 上线（接口 %s）", i+1, d.Round(time.Millisecond), api.Round(time.Millisecond))
		b.publish = append(b.publish, d)
	}
	if *burst > 0 {
		if err := b.burst(*burst); err != nil {
			return err
		}
	}
	b.report(cliErr)
	return nil
}

type bench struct {
	out, log io.Writer
	data     string
	url      string
	token    string
	project  int64
	hugo     fs.FS // the Hugo project

	coldStart          time.Duration
	full, cli, publish []time.Duration
	burstLine          string
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

// seed creates the admin account, the site settings and the stories.
func (b *bench) seed(ctx context.Context, n int) (string, error) {
	a, err := openApp(ctx, &common{data: b.data, project: b.hugo}, io.Discard)
	if err != nil {
		return "", err
	}
	defer a.Close()
	password := "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := a.db.CreateUser(ctx, &cms.User{Username: "bench", Name: "压测管理员", Role: cms.RoleAdmin}, password); err != nil {
		return "", err
	}
	set, err := a.db.FindSettings(ctx)
	if err != nil {
		return "", err
	}
	name, org, base := "溪暖万家 · 压测站点", "压测区民政局", "https://bench.huimin.example.cn/"
	if _, err := a.db.UpdateSettings(ctx, cms.SettingsUpdate{Version: set.Version, SiteName: &name, Organizer: &org, BaseURL: &base}); err != nil {
		return "", err
	}
	start := time.Now()
	first := time.Now().AddDate(-3, 0, 0)
	step := 3 * 365 * 24 * time.Hour / time.Duration(max(n, 1))
	var batch []*cms.ImportStory
	for i := range n {
		at := first.Add(time.Duration(i) * step)
		batch = append(batch, benchStory(i, at))
		if len(batch) == importBatch || i == n-1 {
			errs, err := a.db.ImportStories(ctx, batch)
			if err != nil {
				return "", err
			}
			for _, e := range errs {
				if e != nil {
					return "", e
				}
			}
			batch = batch[:0]
		}
	}
	b.progress("导入 %d 篇稿件：%s", n, time.Since(start).Round(time.Millisecond))
	return password, nil
}

var benchTopics = []string{"婚姻登记", "颁证仪式", "殡葬服务", "养老服务", "银龄互助", "志愿服务", "退役军人", "优抚", "社会救助",
	"残疾人就业", "儿童关爱", "社会组织", "社区治理", "移风易俗", "慈善", "未成年人保护", "低保", "临时救助", "适老化改造", "助餐"}

// benchStory is the i-th story of the benchmark site: ten projects, a few
// tags each from twenty topics, a body of about a thousand characters.
func benchStory(i int, at time.Time) *cms.ImportStory {
	topic := benchTopics[i%len(benchTopics)]
	var body strings.Builder
	for p := range 8 {
		fmt.Fprintf(&body, "<p>第%d段：%s项目的工作人员在社区开展第%d次走访，为困难群众送去关怀，倾听他们在%s方面的需求，并现场办理了%d件实事。</p>",
			p+1, topic, i+p, benchTopics[(i+p)%len(benchTopics)], (i+p)%7+1)
	}
	st := &cms.ImportStory{
		Title:       fmt.Sprintf("%s：第%d次暖心服务", topic, i+1),
		Body:        body.String(),
		Project:     fmt.Sprintf("bench-project-%d", i%10+1),
		Tags:        []string{topic, benchTopics[(i*7+3)%len(benchTopics)]},
		Author:      "通讯员",
		PublishedAt: &at,
		Status:      "published",
	}
	if i%2 == 0 {
		st.Summary = fmt.Sprintf("%s工作人员上门服务的第%d个故事。", topic, i+1)
	}
	return st
}

var benchListen = regexp.MustCompile(`Huimin 已启动：(http://[^/\s]+)/`)

// serve runs `huimin serve` in this process and returns its URL.
func (b *bench) serve(ctx context.Context, getenv func(string) string) (string, <-chan struct{}, error) {
	logf, err := os.Create(filepath.Join(b.data, "serve.log"))
	if err != nil {
		return "", nil, err
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(done)
		defer logf.Close()
		env := func(k string) string {
			if k == "HUIMIN_DATA" || k == "HUIMIN_DB" || k == "HUIMIN_ADDR" {
				return ""
			}
			return getenv(k)
		}
		err := Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", b.data, "--demo=false"}, env, strings.NewReader(""), pw, logf, b.hugo)
		pw.CloseWithError(err)
		errc <- err
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := benchListen.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u, done, nil
	case err := <-errc:
		return "", nil, fmt.Errorf("huimin serve exited: %v (see %s)", err, logf.Name())
	case <-time.After(30 * time.Minute):
		return "", nil, errors.New("huimin serve did not start")
	}
}

func (b *bench) call(method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.url+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(raw, out)
	}
	return resp.StatusCode, nil
}

func (b *bench) login(password string) error {
	var tok struct{ Token string }
	if _, err := b.call("POST", "/api/v1/auth/login", map[string]string{"username": "bench", "password": password}, &tok); err != nil {
		return err
	}
	b.token = tok.Token
	var projects struct {
		Items []struct{ ID int64 }
	}
	if _, err := b.call("GET", "/api/v1/projects?per_page=1", nil, &projects); err != nil {
		return err
	}
	if len(projects.Items) == 0 {
		return errors.New("no project to publish into")
	}
	b.project = projects.Items[0].ID
	return nil
}

type benchBuild struct {
	ID         int64
	Status     string
	Full       bool
	Error      string
	DurationMS int64 `json:"duration_ms"`
}

// fullBuild asks for a full build, as an admin does after a template
// change, and waits for it.
func (b *bench) fullBuild() (time.Duration, int64, error) {
	start := time.Now()
	var bl benchBuild
	if _, err := b.call("POST", "/api/v1/builds", nil, &bl); err != nil {
		return 0, 0, err
	}
	for {
		if _, err := b.call("GET", "/api/v1/builds/"+strconv.FormatInt(bl.ID, 10), nil, &bl); err != nil {
			return 0, 0, err
		}
		switch bl.Status {
		case string(cms.BuildSucceeded):
			return time.Since(start), bl.DurationMS, nil
		case string(cms.BuildFailed):
			return 0, 0, fmt.Errorf("full build %d failed: %s", bl.ID, bl.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type benchStoryResp struct {
	ID      int64
	Version int
	URL     string
	BuildID int64 `json:"build_id"`
}

func (b *bench) draft(title string) (*benchStoryResp, error) {
	var st benchStoryResp
	_, err := b.call("POST", "/api/v1/stories", map[string]any{
		"title": title, "summary": "压测发布的稿件", "project_id": b.project, "tags": []string{"压测"},
		"body": "<p>" + title + "：社区工作人员为老人送去生活用品。</p>", "author": "压测",
	}, &st)
	return &st, err
}

// publishOne publishes a new story and waits until its page is served; it
// returns that time and the time the publish call took.
func (b *bench) publishOne(i int) (live, api time.Duration, err error) {
	title := fmt.Sprintf("压测即时发布第%d篇-%d", i+1, time.Now().UnixNano())
	st, err := b.draft(title)
	if err != nil {
		return 0, 0, err
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	var pub benchStoryResp
	if _, err := b.call("POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", st.ID), map[string]any{}, &pub); err != nil {
		return 0, 0, err
	}
	api = time.Since(start)
	if pub.BuildID == 0 || pub.URL == "" {
		return 0, 0, fmt.Errorf("publish response without build id or url: %+v", pub)
	}
	if err := b.waitLive(pub.URL, title, 5*time.Minute); err != nil {
		return 0, 0, err
	}
	return time.Since(start), api, nil
}

// waitLive polls the public site until path answers with want in it.
func (b *bench) waitLive(path, want string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(b.url + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(want)) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s never went live", path)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// burst publishes n stories as fast as the API allows, then waits until all
// are live and counts the builds they made.
func (b *bench) burst(n int) error {
	var drafts []*benchStoryResp
	var titles []string
	for i := range n {
		title := fmt.Sprintf("压测连发第%d篇-%d", i+1, time.Now().UnixNano())
		st, err := b.draft(title)
		if err != nil {
			return err
		}
		drafts, titles = append(drafts, st), append(titles, title)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	var urls []string
	builds := map[int64]bool{}
	var slowest time.Duration
	for _, st := range drafts {
		t := time.Now()
		var pub benchStoryResp
		if _, err := b.call("POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", st.ID), map[string]any{}, &pub); err != nil {
			return err
		}
		slowest = max(slowest, time.Since(t))
		urls = append(urls, pub.URL)
		builds[pub.BuildID] = true
	}
	issued := time.Since(start)
	for i, u := range urls {
		if err := b.waitLive(u, titles[i], 10*time.Minute); err != nil {
			return err
		}
	}
	live := time.Since(start)
	for id := range builds {
		// A build's record is final a moment after its pages are live.
		for {
			var bl benchBuild
			if _, err := b.call("GET", "/api/v1/builds/"+strconv.FormatInt(id, 10), nil, &bl); err != nil {
				return err
			}
			if bl.Status == string(cms.BuildFailed) {
				return fmt.Errorf("burst build %d failed: %s", id, bl.Error)
			}
			if bl.Status == string(cms.BuildSucceeded) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.burstLine = fmt.Sprintf("%d 次发布在 %s 内发出（单次接口最长 %s），合并为 %d 次构建，%s 后全部上线",
		n, issued.Round(time.Millisecond), slowest.Round(time.Millisecond), len(builds), live.Round(time.Millisecond))
	b.progress("%s", b.burstLine)
	return nil
}

// findHugo returns the hugo command to compare with: bin, or hugo on the
// PATH, or /tmp/hugo.
func (b *bench) findHugo(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	if p, err := exec.LookPath("hugo"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/tmp/hugo"); err == nil {
		return "/tmp/hugo", nil
	}
	return "", errors.New("没有找到 hugo 命令行程序（见 huimin bench 的用法说明）")
}

// hugoCLI builds the exported content with the hugo command, with the same
// config files and caches as the server's builds, into a fresh directory.
func (b *bench) hugoCLI(bin string) (time.Duration, error) {
	site := filepath.Join(b.data, "site")
	projects, _ := filepath.Glob(filepath.Join(site, "project", "*", "config.toml"))
	if len(projects) != 1 {
		return 0, fmt.Errorf("expected one extracted Hugo project, found %d", len(projects))
	}
	proj := filepath.Dir(projects[0])
	extra := filepath.Join(b.data, "bench-cli.toml")
	if err := os.WriteFile(extra, []byte(fmt.Sprintf("resourceDir = %q\n", filepath.Join(site, "resources"))), 0o644); err != nil {
		return 0, err
	}
	out := filepath.Join(b.data, "cli-public")
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

// peakRSS reads the process's peak resident set size from /proc.
func peakRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

func (b *bench) report(cliErr error) {
	w := b.out
	pub, full := median(b.publish), median(b.full)
	fmt.Fprintln(w, "== huimin bench publish ==")
	fmt.Fprintf(w, "publish-to-live, median of %d:   %s (min %s, max %s)\n", len(b.publish),
		pub.Round(time.Millisecond), slices.Min(b.publish).Round(time.Millisecond), slices.Max(b.publish).Round(time.Millisecond))
	fmt.Fprintf(w, "full build (export + render), median of %d: %s (first, cold, at startup: %s)\n", len(b.full),
		full.Round(time.Millisecond), b.coldStart.Round(time.Millisecond))
	ratio := float64(pub) / float64(full)
	fmt.Fprintf(w, "ratio publish / full build:     %.4f (goal ≤ 0.05: %s)\n", ratio, verdict(ratio <= 0.05))
	if b.burstLine != "" {
		fmt.Fprintf(w, "burst: %s\n", b.burstLine)
	}
	if len(b.cli) == 0 {
		fmt.Fprintf(w, "hugo CLI: skipped: %v\n", cliErr)
	} else {
		cli := median(b.cli)
		r := float64(full) / float64(cli)
		fmt.Fprintf(w, "hugo CLI on the exported content, median of %d: %s; full build / CLI: %.2f (goal ≤ 1.2: %s)\n",
			len(b.cli), cli.Round(time.Millisecond), r, verdict(r <= 1.2))
	}
	if rss, err := peakRSS(); err == nil {
		fmt.Fprintf(w, "peak memory (VmHWM):            %d MiB (goal ≤ 1536 MiB: %s)\n", rss>>20, verdict(rss <= 1536<<20))
	} else {
		fmt.Fprintf(w, "peak memory: unknown: %v\n", err)
	}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
