package admin_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
)

// BenchmarkAdminFirstScreen measures issue 6's "first screen after login
// under 1 s with 10,000 stories": from pressing 登录 to the dashboard with
// all its lists filled (my drafts, what waits for me, recently published,
// latest builds), then from the menu to the first page of the story list.
// The same steps run side by side against the 39-story demo, so the ratio
// shows what 10,000 stories cost the UI. Run it with
//
//	go test -run '^$' -bench AdminFirstScreen -benchtime 5x .
func BenchmarkAdminFirstScreen(b *testing.B) {
	clitest.ChromiumPath(b)
	if _, err := os.Stat(filepath.Join("dist", "index.html")); err != nil {
		b.Skip("admin UI not built: run `make admin`")
	}
	const password = "Bench-password-2026"
	big := seedAdminBench(b, 10000, password)
	demo := clitest.MustRunServe(b, "")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	browser := clitest.NewDesktopBrowser(b, ctx)

	type sample struct{ login, dash, list time.Duration }
	// The lists count as filled when each dashboard card shows stories or
	// says it has none, and the builds card shows builds.
	filled := `["dashboard-review", "dashboard-drafts", "dashboard-published"].every(c => {
			const card = document.querySelector('[data-test="' + c + '"]');
			return card && (card.querySelector('[data-test="mini-story"]') || card.querySelector(".mini-list__empty"));
		}) && document.querySelectorAll('[data-test="mini-build"]').length > 0`
	rows := `document.querySelectorAll('[data-test="story-row"]').length >= 10`
	measure := func(base, user, pass string) sample {
		tab, cancelTab := chromedp.NewContext(browser)
		defer cancelTab()
		do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
			if err := chromedp.Do(tab, actions...); err != nil {
				b.Fatalf("%s: %s: %v", base, what, err)
			}
		}
		poll := func(what, cond string) {
			ok, err := chromedp.Run(tab, chromedp.Poll[bool]("!!("+cond+")",
				chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
			if err != nil || !ok {
				b.Fatalf("%s: waiting for %s: %v", base, what, err)
			}
		}
		var s sample
		do("open the login form", chromedp.Navigate(base+"/admin/login"), chromedp.WaitVisible(dt("login-form")),
			chromedp.SendKeys(dt("login-username"), user), chromedp.SendKeys(dt("login-password"), pass))
		t0 := time.Now()
		do("press 登录", chromedp.Click(dt("login-submit")))
		poll("the dashboard", `!!document.querySelector('[data-test="dashboard-review"]')`)
		s.login = time.Since(t0)
		poll("the dashboard's lists", filled)
		s.dash = time.Since(t0)
		t1 := time.Now()
		do("open 稿件", chromedp.Click(dt("menu-stories")))
		poll("the story list", rows)
		s.list = time.Since(t1)
		// Sign out so the next round starts at the login form.
		if _, err := chromedp.Run(tab, chromedp.Evaluate[chromedp.Void](`localStorage.clear(); sessionStorage.clear()`)); err != nil {
			b.Fatal(err)
		}
		return s
	}
	// One warm-up each: the first load compiles the UI's scripts.
	measure(big.URL, "boss", password)
	measure(demo.URL, "admin", demo.Password)
	var bigs, demos []sample
	for b.Loop() {
		bigs = append(bigs, measure(big.URL, "boss", password))
		demos = append(demos, measure(demo.URL, "admin", demo.Password))
	}
	pick := func(ss []sample, f func(sample) time.Duration) []time.Duration {
		ds := make([]time.Duration, len(ss))
		for i, s := range ss {
			ds[i] = f(s)
		}
		return ds
	}
	med := func(ss []sample, f func(sample) time.Duration) time.Duration {
		ds := pick(ss, f)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	login := func(s sample) time.Duration { return s.login }
	dash := func(s sample) time.Duration { return s.dash }
	list := func(s sample) time.Duration { return s.list }
	b.ReportMetric(float64(med(bigs, dash).Milliseconds()), "ms-dashboard-10k")
	benchline.Emit(benchline.Row{ID: "admin-first-screen", Unit: "ms", Ours: benchline.Millis(pick(bigs, dash)),
		Peer: "the same steps on the 39-story demo", Theirs: benchline.Millis(pick(demos, dash)),
		Note: fmt.Sprintf("menu → story list page 1: %v vs %v", med(bigs, list), med(demos, list))})
	b.ReportMetric(float64(med(bigs, list).Milliseconds()), "ms-list-10k")
	b.ReportMetric(float64(med(demos, dash).Milliseconds()), "ms-dashboard-demo")
	b.Logf("press 登录 → dashboard shown: 10,000 stories %v, demo %v", med(bigs, login), med(demos, login))
	b.Logf("press 登录 → dashboard lists filled: 10,000 stories %v, demo %v (ratio %.2f; budget 1 s)",
		med(bigs, dash), med(demos, dash), float64(med(bigs, dash))/float64(med(demos, dash)))
	b.Logf("menu → story list page 1: 10,000 stories %v, demo %v (ratio %.2f)",
		med(bigs, list), med(demos, list), float64(med(bigs, list))/float64(med(demos, list)))
}

// seedAdminBench imports n published stories into a new data directory,
// adds an admin "boss", and serves it (the first start builds the site).
func seedAdminBench(b *testing.B, n int, password string) *clitest.Server {
	b.Helper()
	data := b.TempDir()
	file := filepath.Join(b.TempDir(), "stories.jsonl")
	clitest.WriteImportFile(b, file, n, nil)
	ctx := context.Background()
	env := func(string) string { return "" }
	if err := cli.Run(ctx, []string{"import", "--data", data, "--build=false", file}, env, strings.NewReader(""), io.Discard, io.Discard, clitest.Project(b)); err != nil {
		b.Fatalf("import: %v", err)
	}
	if err := cli.Run(ctx, []string{"user", "create", "--data", data, "--name", "boss", "--role", "admin", "--password-stdin"},
		env, strings.NewReader(password+"\n"), io.Discard, io.Discard, clitest.Project(b)); err != nil {
		b.Fatalf("user create: %v", err)
	}
	s := clitest.MustRun(b, data, "", []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--demo=false"})
	b.Logf("seeded %d stories at %s", n, s.URL)
	return s
}
