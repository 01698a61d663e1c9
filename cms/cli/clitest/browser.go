package clitest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds Debian's chromium, or skips the test.
func ChromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	tb.Skip("chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
	return ""
}

// AxeSource returns axe-core's browser build, installing it with npm into
// the user cache directory the first time.
func AxeSource(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("HUIMIN_AXE_JS"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		return string(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "huimin-test", "axe")
	file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	axeMu.Lock() // browser tests run in parallel: one installs
	defer axeMu.Unlock()
	if _, err := os.Stat(file); err != nil {
		installAxe(tb, dir)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

var axeMu sync.Mutex

// installAxe installs axe-core from npm into a new directory and renames
// it to dir, so that another test process never reads half an install.
func installAxe(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		tb.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".axe-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp) // gone after the rename, or after a failure
	cmd := exec.Command("npm", "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--prefix", tmp, "axe-core@4")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("installing axe-core from npm: %v\n%s", err, out)
	}
	err = os.Rename(tmp, dir)
	if err == nil {
		return
	}
	if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")); statErr == nil {
		return // another test process installed it meanwhile
	}
	// An unfinished install left by an older helper, which installed in place.
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		tb.Fatal(err)
	}
}

// NewDesktopBrowser starts headless chromium as a laptop at 1366 × 768 with
// a throwaway profile, and stops it when the test ends. Tabs are children
// of the returned context; the browser lives until ctx ends, so a deadline
// on ctx bounds the whole test. It skips when chromium is not installed.
//
// The command's browser tests' newBrowser is the public site seen from a phone in
// WeChat; this is the admin UI's desk.
func NewDesktopBrowser(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
	)
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}
