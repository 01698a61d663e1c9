package cli_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/objstore/objstoretest"
)

// BenchmarkReplicas is issue 14's scale-out figures, side by side in one
// run on one MariaDB database and one SeaweedFS bucket, for a seeded site:
//   - publish through replica a → the page served with its text by replica
//     b, median of several, ÷ a full build to the local directory (goal
//     ≤ 0.05, as on one machine);
//   - a full build copied into an empty bucket prefix ÷ a full build to the
//     local directory, both by `huimin build` (goal ≤ 1.3), and the same
//     full build again into the bucket that holds it (a manual rebuild:
//     only what changed is sent).
//
// HUIMIN_BENCH_STORIES (default 10000), HUIMIN_BENCH_PUBLISHES (5) and
// HUIMIN_BENCH_FULL (2) size it; it needs HUIMIN_TEST_MYSQL_DSN and
// HUIMIN_TEST_S3_ENDPOINT. Run with -benchtime 1x.
func BenchmarkReplicas(b *testing.B) {
	dsn := mysqlOnly(b)
	objstoretest.Endpoint(b) // skips without an S3 server (.ci/seaweedfs starts SeaweedFS)
	stories := envInt(b, "HUIMIN_BENCH_STORIES", 10000)
	publishes := envInt(b, "HUIMIN_BENCH_PUBLISHES", 5)
	fulls := envInt(b, "HUIMIN_BENCH_FULL", 2)

	key := make([]byte, 32)
	rand.Read(key)
	secret := base64.StdEncoding.EncodeToString(key)
	env := func(k string) string {
		if k == "HUIMIN_SECRET_KEY" {
			return secret
		}
		return os.Getenv(k) // endpoint credentials, if any
	}
	// The replicas' environment: the shared key and the endpoint's
	// credentials, if any (SeaweedFS without identities needs none).
	serveEnv := []string{"HUIMIN_SECRET_KEY=" + secret}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := os.Getenv(k); v != "" {
			serveEnv = append(serveEnv, k+"="+v)
		}
	}
	const password = "Bench-replicas-2026"
	pb := &publishBench{tb: b}
	start := time.Now()
	seedBench(b, stories, password, env, "--data", b.TempDir(), "--db", dsn)
	pb.progress("导入 %d 篇稿件到 MySQL：%s", stories, time.Since(start).Round(time.Millisecond))

	var local, bucket, again []time.Duration
	var pub []time.Duration
	for b.Loop() {
		// Local and bucket builds take turns, so the load of a shared
		// machine falls on both alike; each bucket build starts from an
		// empty prefix, the worst case (every file sent).
		for i := range fulls {
			d := timeBuild(b, env, "--data", b.TempDir(), "--db", dsn)
			pb.progress("全量构建到本地目录 %d：%s", i+1, d.Round(time.Millisecond))
			local = append(local, d)
			u := objstoretest.URL(b)
			d = timeBuild(b, env, "--data", b.TempDir(), "--db", dsn, "--storage", u)
			pb.progress("全量构建并上传到空的对象存储 %d：%s", i+1, d.Round(time.Millisecond))
			bucket = append(bucket, d)
			d = timeBuild(b, env, "--data", b.TempDir(), "--db", dsn, "--storage", u)
			pb.progress("全量构建到已有上一版网站的对象存储 %d：%s", i+1, d.Round(time.Millisecond))
			again = append(again, d)
		}

		u := objstoretest.URL(b)
		bin := clitest.BuildBinary(b, b.TempDir())
		run := func(name string) *clitest.Server {
			s := clitest.RunBinaryEnv(b, bin, nil, serveEnv, "serve", "--addr", "127.0.0.1:0",
				"--data", b.TempDir(), "--db", dsn, "--storage", u, "--replica", name, "--demo=false")
			if err := clitest.WaitHealthy(s.URL, 30*time.Minute); err != nil {
				b.Fatalf("replica %s: %v", name, err)
			}
			return s
		}
		start := time.Now()
		a := run("a")
		pb.progress("副本 a 已就绪（首次全量构建并上传）：%s", time.Since(start).Round(time.Millisecond))
		start = time.Now()
		rb := run("b")
		pb.progress("副本 b 已就绪（从对象存储取得网站）：%s", time.Since(start).Round(time.Millisecond))
		pb.srv, pb.token = a, a.Login(b, "bench", password)
		pb.project = pb.firstProject()
		for i := range publishes {
			title := fmt.Sprintf("副本压测发布第%d篇-%d", i+1, time.Now().UnixNano())
			d, _ := pb.publishTo(&publishBench{tb: b, srv: rb}, title, 10*time.Minute)
			pb.progress("在 a 发布 %d → b 上线：%s", i+1, d.Round(time.Millisecond))
			pub = append(pub, d)
		}
		saveServerLog(b, "replica-a", a)
		saveServerLog(b, "replica-b", rb)
	}

	w := os.Stdout
	fmt.Fprintf(w, "== replicas benchmark (%d stories, MariaDB + the S3 server at %s) ==\n", stories, objstoretest.Endpoint(b))
	if len(local) > 0 && len(bucket) > 0 {
		l, bk := median(local), median(bucket)
		r := float64(bk) / float64(l)
		fmt.Fprintf(w, "full build to the local directory, median of %d: %s\n", len(local), l.Round(time.Millisecond))
		fmt.Fprintf(w, "full build copied to an empty bucket, median of %d: %s\n", len(bucket), bk.Round(time.Millisecond))
		fmt.Fprintf(w, "ratio bucket / local:            %.3f (goal ≤ 1.3: %s)\n", r, verdict(r <= 1.3))
		b.ReportMetric(r, "bucket/local")
		benchline.Emit(benchline.Row{ID: "replica-bucket", Unit: "ms", Ours: benchline.Millis(bucket),
			Peer: "full build to the local directory", Theirs: benchline.Millis(local)})
		ag := median(again)
		ra := float64(ag) / float64(l)
		fmt.Fprintf(w, "full build to a bucket holding the previous build (only changed files sent), median of %d: %s; ratio %.3f (goal ≤ 1.3: %s)\n",
			len(again), ag.Round(time.Millisecond), ra, verdict(ra <= 1.3))
		b.ReportMetric(ra, "rebuild-bucket/local")
		benchline.Emit(benchline.Row{ID: "replica-rebuild-bucket", Unit: "ms", Ours: benchline.Millis(again),
			Peer: "full build to the local directory", Theirs: benchline.Millis(local)})
		if len(pub) > 0 {
			p := median(pub)
			r := float64(p) / float64(l)
			fmt.Fprintf(w, "publish on a → live on b, median of %d: %s\n", len(pub), p.Round(time.Millisecond))
			fmt.Fprintf(w, "ratio publish-to-other-replica / full build: %.4f (goal ≤ 0.05: %s)\n", r, verdict(r <= 0.05))
			b.ReportMetric(r, "replica-publish/full")
			benchline.Emit(benchline.Row{ID: "replica-publish", Unit: "ms", Ours: benchline.Millis(pub),
				Peer: "full build to the local directory", Theirs: benchline.Millis(local)})
		}
	}
}

// timeBuild runs `huimin build` with args and returns how long it took.
func timeBuild(tb testing.TB, env func(string) string, args ...string) time.Duration {
	tb.Helper()
	start := time.Now()
	if err := cli.Run(context.Background(), append([]string{"build"}, args...), env,
		strings.NewReader(""), io.Discard, io.Discard, clitest.Project(tb)); err != nil {
		tb.Fatalf("huimin build %v: %v", args, err)
	}
	return time.Since(start)
}
