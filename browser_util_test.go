package main

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// newDesktopBrowser starts headless chromium as a laptop at 1366 × 768 with
// a throwaway profile, and stops it when the test ends. Tabs are children
// of the returned context; the browser lives until ctx ends, so a deadline
// on ctx bounds the whole test. It skips when chromium is not installed.
//
// browser_test.go's newBrowser is the public site seen from a phone in
// WeChat; this is the admin UI's desk.
func newDesktopBrowser(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
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
