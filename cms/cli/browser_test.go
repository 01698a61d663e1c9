package cli_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// The browser tests drive Debian's headless chromium against a real
// `huimin serve`, as a reader inside WeChat on a phone would see the site:
// 375 × 812, a WeChat user agent. They skip when chromium is not installed
// (CI installs it: .ci/run). axe-core comes from npm at test time into the
// user cache directory, outside the repository.
//
// Screenshots of every page type in every reading mode go to
// $HUIMIN_SCREENSHOTS (kept) or a temporary directory.

const wechatUA = "Mozilla/5.0 (Linux; Android 13; V2055A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160083 MMWEBSDK/20231202 MMWEBID/4194 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"

// browser is one headless chromium tab that records every request it makes.
type browser struct {
	ctx  context.Context
	base string

	mu       sync.Mutex
	foreign  []string
	urls     map[network.RequestID]string
	received map[network.RequestID]float64
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(clitest.ChromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.WindowSize(375, 812),
		chromedp.UserAgent(wechatUA),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("no-pings", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{base: base, urls: map[network.RequestID]string{}, received: map[network.RequestID]float64{}}
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			b.urls[ev.RequestID] = ev.Request.URL
			if !loopback(ev.Request.URL) {
				b.foreign = append(b.foreign, ev.Request.URL)
			}
		case *network.EventLoadingFinished:
			b.received[ev.RequestID] = ev.EncodedDataLength
		}
	}))
	t.Cleanup(func() { cancelC(); cancelA() })
	b.ctx = ctx
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "zh-CN,zh;q=0.9"}})
			return err
		}),
		chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch),
	)
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// loopback accepts the machine itself and in-page URLs (data:, blob:).
func loopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return true
	case "http", "https", "ws", "wss":
		h := u.Hostname()
		return h == "127.0.0.1" || h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
	}
	return false
}

func (b *browser) run(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	b.run(t, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// eval runs js in the page, awaiting a promise, and decodes the result
// into out (nil to ignore it).
// axeResult is what axe-core's WCAG 2.1 A and AA rules found on a page.
type axeResult struct {
	Passes     int
	Violations []struct {
		ID    string   `json:"id"`
		Help  string   `json:"help"`
		Nodes []string `json:"nodes"`
	}
}

// axeRun runs axe-core (its source, clitest.AxeSource) on the page shown.
func (b *browser) axeRun(t *testing.T, axe string) axeResult {
	t.Helper()
	var res axeResult
	b.eval(t, axe+`;axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => ({Passes: r.passes.length, Violations: r.violations.map(v => ({id: v.id, help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.html.slice(0, 160) + " " + n.failureSummary)}))}))`, &res)
	return res
}

func (b *browser) eval(t *testing.T, js string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browser: %v\n%.300s", err, js)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("decoding %s: %v", raw, err)
		}
	}
}

func (b *browser) screenshot(t *testing.T) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return png
}

// transferred sums what the network delivered for the requests since the
// last resetTraffic whose URL matches.
func (b *browser) transferred(match func(string) bool) (n float64, files int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, u := range b.urls {
		if match(u) {
			n += b.received[id]
			files++
		}
	}
	return n, files
}

func (b *browser) resetTraffic() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.urls = map[network.RequestID]string{}
	b.received = map[network.RequestID]float64{}
}

func (b *browser) foreignRequests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.foreign...)
}

type sitePage struct{ name, path string }

// prepareSite gives one demo story a cover photo, so the story page shows
// the whole cover markup (srcset, share image), and returns the pages to
// visit, one of each type.
func prepareSite(t *testing.T, s *clitest.Server) []sitePage {
	t.Helper()
	token := s.Login(t, "admin", s.Password)
	code, list := s.Call(t, "GET", "/api/v1/content/stories?per_page=5&q=婚", "", nil)
	if code != 200 || len(list["items"].([]any)) == 0 {
		t.Fatalf("demo stories: %d %v", code, list)
	}
	st := list["items"].([]any)[0].(map[string]any)
	id := clitest.Num(st["id"])

	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 1600, 1000))
	for y := 0; y < 1000; y++ {
		for x := 0; x < 1600; x++ {
			m.Set(x, y, color.RGBA{uint8(140 + x/20), uint8(60 + y/12), uint8(50 + (x+y)/40), 255})
		}
	}
	if err := jpeg.Encode(&img, m, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	code, media, _ := s.Upload(t, token, "cover.jpg", img.Bytes())
	if code != http.StatusCreated {
		t.Fatalf("upload cover: %d %v", code, media)
	}
	mid := clitest.Num(media["id"])
	if code, out := s.Call(t, "PATCH", fmt.Sprintf("/api/v1/media/%d", mid), token, map[string]any{
		"version": media["version"], "alt": "新人在颁证厅里手捧结婚证合影", "caption": "颁证仪式现场", "credit": "区婚姻登记处",
	}); code != 200 {
		t.Fatalf("media alt: %d %v", code, out)
	}
	_, full := s.Call(t, "GET", fmt.Sprintf("/api/v1/stories/%d", id), token, nil)
	if code, out := s.Call(t, "PATCH", fmt.Sprintf("/api/v1/stories/%d", id), token, map[string]any{
		"version": full["version"], "cover_media_id": mid,
	}); code != 200 {
		t.Fatalf("set cover: %d %v", code, out)
	}
	pub := s.Must(t, 200, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", id), token, nil)
	s.WaitBuilt(t, token, pub["build_id"])
	project := st["project"].(map[string]any)
	tag := st["tags"].([]any)[0].(string)
	return []sitePage{
		{"home", "/"},
		{"project", project["url"].(string)},
		{"story", pub["url"].(string)},
		{"tag", "/tags/" + url.PathEscape(strings.ToLower(tag)) + "/"},
		{"topics", "/tags/"},
		{"projects", "/projects/"},
		{"stories", "/stories/"},
		{"about", "/about/"},
		{"search", "/search/?q=" + url.QueryEscape("养老")},
		{"ranking", "/ranking/"},
		{"404", "/no-such-page/"},
	}
}

func TestBrowser(t *testing.T) {
	clitest.ChromiumPath(t)
	axe := clitest.AxeSource(t)
	s := clitest.MustRunServe(t, "")
	pages := prepareSite(t, s)
	b := newBrowser(t, s.URL)
	shots := os.Getenv("HUIMIN_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// The reading modes, each with what it keeps in localStorage.
	modes := []struct{ name, js string }{
		{"normal", ""}, {"large", `localStorage.setItem("hm-large","1");`}, {"contrast", `localStorage.setItem("hm-contrast","1");`}}
	setMode := func(t *testing.T, js string) { b.eval(t, "localStorage.clear();"+js+"true", nil) }
	b.open(t, "/")

	t.Run("every page type renders", func(t *testing.T) {
		for _, p := range pages {
			b.open(t, p.path)
			var r struct {
				H1, Lang, Title string
				Tools, Footer   bool
			}
			b.eval(t, `({H1: (document.querySelector("main h1")||{}).textContent||"", Lang: document.documentElement.lang,
				Title: document.title, Tools: !!document.querySelector('.tools button[data-mode="large"]') && !!document.querySelector('.tools button[data-mode="contrast"]'),
				Footer: !!document.querySelector("footer.site-footer")})`, &r)
			if strings.TrimSpace(r.H1) == "" || r.Lang != "zh-CN" || r.Title == "" || !r.Tools || !r.Footer {
				t.Errorf("%s (%s): %+v", p.name, p.path, r)
			}
		}
	})

	t.Run("axe-core finds no WCAG 2.1 A/AA violations", func(t *testing.T) {
		for _, mode := range modes {
			setMode(t, mode.js)
			for _, p := range pages {
				b.open(t, p.path)
				if p.name == "search" {
					b.run(t, chromedp.WaitVisible(chromedp.CSS("#search-results li")))
				}
				res := b.axeRun(t, axe)
				if res.Passes < 10 {
					t.Errorf("%s page, %s mode: axe passed only %d rules: did it run?", p.name, mode.name, res.Passes)
				}
				for _, v := range res.Violations {
					t.Errorf("%s page, %s mode: %s (%s):\n  %s", p.name, mode.name, v.ID, v.Help, strings.Join(v.Nodes, "\n  "))
				}
			}
		}
		setMode(t, "")
	})

	t.Run("large text and high contrast apply and persist", func(t *testing.T) {
		setMode(t, "")
		b.open(t, "/")
		type style struct {
			Class      string
			Font, Line float64
			Bg         string
			Small      []string
			Pressed    string
		}
		// Touch targets: every link and control outside running text.
		measure := `(() => {
			const cs = getComputedStyle(document.querySelector("main p, main li") || document.body);
			const min = document.documentElement.classList.contains("large") ? 60 : 44;
			const small = [];
			document.querySelectorAll("header a, nav a, .tools a, .tools button, button:not([hidden]), summary, .story-link, .card-link, .tags a, .term-list a, .pager a, .records a, .prev-next a, .kicker a").forEach(el => {
				const r = el.getBoundingClientRect();
				if (r.width === 0 && r.height === 0) return;
				if (r.height < min - 0.5) small.push(el.textContent.trim().slice(0, 20) + " " + Math.round(r.height) + "px");
			});
			return {Class: document.documentElement.className, Font: parseFloat(getComputedStyle(document.body).fontSize),
				Line: parseFloat(cs.lineHeight) / parseFloat(cs.fontSize), Bg: getComputedStyle(document.body).backgroundColor, Small: small,
				Pressed: [...document.querySelectorAll("button[data-mode]")].map(b => b.dataset.mode + "=" + b.getAttribute("aria-pressed")).join(" ")};
		})()`
		var st style
		b.eval(t, measure, &st)
		if st.Font < 16 || st.Line < 1.5 || len(st.Small) > 0 {
			t.Errorf("normal mode: %+v", st)
		}
		b.run(t, chromedp.Click(chromedp.CSS(`button[data-mode="large"]`)))
		b.eval(t, measure, &st)
		if !strings.Contains(st.Class, "large") || st.Font < 20 || st.Line < 1.5 || len(st.Small) > 0 {
			t.Errorf("large mode after click: %+v", st)
		}
		for _, p := range pages[1:4] {
			b.open(t, p.path)
			b.eval(t, measure, &st)
			if !strings.Contains(st.Class, "large") || st.Font < 20 || st.Line < 1.5 || !strings.Contains(st.Pressed, "large=true") || len(st.Small) > 0 {
				t.Errorf("large mode on %s: %+v", p.name, st)
			}
		}
		b.run(t, chromedp.Click(chromedp.CSS(`button[data-mode="contrast"]`)))
		for _, p := range pages[:4] {
			b.open(t, p.path)
			b.eval(t, measure, &st)
			if !strings.Contains(st.Class, "contrast") || !strings.Contains(st.Class, "large") || st.Bg != "rgb(0, 0, 0)" || !strings.Contains(st.Pressed, "contrast=true") {
				t.Errorf("high contrast on %s: %+v", p.name, st)
			}
		}
		b.run(t, chromedp.Click(chromedp.CSS(`button[data-mode="large"]`)), chromedp.Click(chromedp.CSS(`button[data-mode="contrast"]`)))
		b.open(t, "/")
		b.eval(t, measure, &st)
		if strings.Contains(st.Class, "large") || strings.Contains(st.Class, "contrast") || st.Font >= 20 {
			t.Errorf("modes switched off do not stay off: %+v", st)
		}
	})

	t.Run("read-aloud on stories", func(t *testing.T) {
		setMode(t, "")
		b.open(t, pages[2].path)
		var r struct {
			Visible bool
			Label   string
			Lang    string
		}
		b.eval(t, `(() => { const b = document.getElementById("read-aloud"); const r = b && b.getBoundingClientRect();
			return {Visible: !!b && !b.closest("[hidden]") && r.height >= 44, Label: b ? b.textContent.trim() : ""}; })()`, &r)
		if !r.Visible || !strings.Contains(r.Label, "朗读") {
			t.Fatalf("read-aloud control: %+v", r)
		}
		// Record what the page asks the speech engine to say. The stand-in
		// never finishes speaking (headless chromium has no voices and would
		// end at once), so the reading is still on when the test stops it.
		b.eval(t, `window.__spoken = []; speechSynthesis.speak = u => { window.__spoken.push(u.lang); }; true`, nil)
		b.run(t, chromedp.Click(chromedp.CSS("#read-aloud")))
		var after struct {
			Pressed, Label string
			Langs          []string
		}
		b.eval(t, `({Pressed: document.getElementById("read-aloud").getAttribute("aria-pressed"), Label: document.getElementById("read-aloud").textContent.trim(), Langs: window.__spoken})`, &after)
		if len(after.Langs) == 0 || after.Langs[0] != "zh-CN" {
			t.Errorf("read-aloud spoke %v, want zh-CN utterances", after.Langs)
		}
		if after.Pressed != "true" || !strings.Contains(after.Label, "停止") {
			t.Errorf("reading: %+v, want the button pressed and labelled 停止朗读", after)
		}
		b.run(t, chromedp.Click(chromedp.CSS("#read-aloud")))
		b.eval(t, `({Pressed: document.getElementById("read-aloud").getAttribute("aria-pressed"), Label: document.getElementById("read-aloud").textContent.trim(), Langs: window.__spoken})`, &after)
		if after.Pressed != "false" || !strings.Contains(after.Label, "朗读全文") {
			t.Errorf("stop: %+v", after)
		}
	})

	t.Run("keyboard", func(t *testing.T) {
		setMode(t, "")
		for _, p := range []sitePage{pages[0], pages[2]} {
			b.open(t, p.path)
			var f struct {
				Class, Outline string
				Width          float64
			}
			focused := `(() => { const a = document.activeElement; const cs = getComputedStyle(a);
				return {Class: a.className + "#" + a.id + "<" + a.tagName, Outline: cs.outlineStyle, Width: parseFloat(cs.outlineWidth)}; })()`
			b.run(t, chromedp.KeyEvent(kb.Tab))
			b.eval(t, focused, &f)
			if !strings.HasPrefix(f.Class, "skip") || f.Outline == "none" || f.Width < 2 {
				t.Errorf("%s: first Tab focuses %+v, want the visible skip link", p.name, f)
			}
			b.run(t, chromedp.KeyEvent(kb.Enter))
			b.eval(t, focused, &f)
			if !strings.Contains(f.Class, "#main") {
				t.Errorf("%s: skip link moved focus to %+v, want main", p.name, f)
			}
		}
		// The reading modes work from the keyboard.
		b.open(t, "/")
		var cls string
		for i := 0; i < 40; i++ {
			b.run(t, chromedp.KeyEvent(kb.Tab))
			b.eval(t, `document.activeElement.dataset.mode || ""`, &cls)
			if cls == "large" {
				break
			}
		}
		if cls != "large" {
			t.Fatalf("Tab never reached the large-text button")
		}
		b.run(t, chromedp.KeyEvent(" "))
		b.eval(t, `document.documentElement.className`, &cls)
		if !strings.Contains(cls, "large") {
			t.Errorf("Space on the large-text button: class %q", cls)
		}
		setMode(t, "")
	})

	t.Run("search finds two-character words", func(t *testing.T) {
		for _, q := range []string{"养老", "婚姻", "殡葬"} {
			want := map[string]bool{}
			_, api := s.Call(t, "GET", "/api/v1/content/stories?per_page=100&q="+url.QueryEscape(q), "", nil)
			for _, it := range api["items"].([]any) {
				want[it.(map[string]any)["url"].(string)] = true
			}
			got := searchAll(t, b, q)
			if len(got) == 0 {
				t.Errorf("%s: no results", q)
			}
			for u := range want {
				if !got[u] {
					t.Errorf("%s: the content API finds %s, the site search does not", q, u)
				}
			}
			t.Logf("search %s: %d results (content API: %d)", q, len(got), len(want))
		}
	})

	t.Run("screenshots", func(t *testing.T) {
		for _, mode := range modes {
			setMode(t, mode.js)
			for _, p := range pages {
				b.open(t, p.path)
				if p.name == "search" {
					b.run(t, chromedp.WaitVisible(chromedp.CSS("#search-results li")))
				}
				// Scroll through the page so lazy images (thumbnails, the QR code) load.
				b.eval(t, `new Promise(r => { window.scrollTo(0, document.body.scrollHeight); setTimeout(() => { window.scrollTo(0, 0); setTimeout(r, 200, true); }, 400); })`, nil)
				if p.name == "story" {
					// Lazy: bring it into view and give it time to load on a busy machine.
					var qr float64
					b.eval(t, `new Promise(r => {
						const img = document.querySelector(".qr img");
						if (!img) return r(0);
						img.scrollIntoView();
						const t0 = Date.now();
						(function poll() {
							if ((img.complete && img.naturalWidth > 0) || Date.now() - t0 > 10000) return r(img.naturalWidth || 0);
							setTimeout(poll, 100);
						})();
					})`, &qr)
					if qr < 100 {
						t.Errorf("%s mode: the QR code image did not load (natural width %v)", mode.name, qr)
					}
				}
				png := b.screenshot(t)
				if err := os.WriteFile(filepath.Join(shots, p.name+"-"+mode.name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		setMode(t, "")
		t.Logf("screenshots in %s", shots)
	})

	t.Run("story page budget", func(t *testing.T) {
		total, parts := pageWeight(t, s, pages[2].path)
		t.Logf("story page budget: HTML+CSS+JS %d bytes gzip (%s), limit 30720", total, parts)
		if total > 30<<10 {
			t.Errorf("story page is %d bytes gzip, over 30 KB", total)
		}
	})

	t.Run("identity and meta tags", func(t *testing.T) {
		_, page := s.Get(t, pages[2].path)
		for _, want := range []string{
			`name="SiteName"`, `name="SiteDomain"`, `name="SiteIDCode" content="QX00000001"`, `name="ColumnName"`, `name="ColumnType"`,
			`name="ArticleTitle"`, `name="PubDate"`, `name="ContentSource"`,
			`主办单位：青溪区民政局`, `href="https://beian.miit.gov.cn/"`, `青ICP备20260001号-1`, `青公网安备 00000000000001号`,
			`政府网站标识码：QX00000001`, `网站纠错`, `class="badge"`, `srcset=`, `sizes=`, `fetchpriority="high"`,
			`class="qr"`, `/qr/`, `class="share-image"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("story page lacks %s", want)
			}
		}
		for _, bad := range []string{"wechat_secret", "res.wx.qq.com"} {
			if strings.Contains(page, bad) {
				t.Errorf("story page contains %q", bad)
			}
		}
		if code, robots := s.Get(t, "/robots.txt"); code != 200 || !strings.Contains(robots, "Sitemap:") {
			t.Errorf("robots.txt: %d %q", code, robots)
		}
		if sm := sitemap(t, s, "/sitemap.xml"); !strings.Contains(sm, pages[2].path) {
			t.Errorf("sitemap.xml lacks %s", pages[2].path)
		}
		if code, rss := s.Get(t, "/index.xml"); code != 200 || !strings.Contains(rss, "<rss") {
			t.Errorf("RSS: %d", code)
		}
		if code, _ := s.Get(t, "/no-such-page/"); code != http.StatusNotFound {
			t.Errorf("404 page: status %d", code)
		}
	})

	// Last, as it changes the settings: with an app id (and no secret, so
	// the server never calls WeChat) pages load the share-card script inside
	// WeChat, which asks the signature endpoint and stops at its 404. The
	// rebuild also publishes WeChat's domain verification file, which admins
	// drop into <data>/site/static.
	t.Run("WeChat JS-SDK only with an app id", func(t *testing.T) {
		verify := filepath.Join(s.Data, "site", "static", "MP_verify_Hm0Test1.txt")
		if err := os.WriteFile(verify, []byte("Hm0Test1"), 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(mustGet(t, s, pages[2].path), "MicroMessenger") {
			t.Fatalf("the WeChat loader is on the page without an app id")
		}
		token := s.Login(t, "admin", s.Password)
		_, set := s.Call(t, "GET", "/api/v1/settings", token, nil)
		if code, out := s.Call(t, "PATCH", "/api/v1/settings", token, map[string]any{"version": set["version"], "wechat_app_id": "wx00000000000000aa"}); code != 200 {
			t.Fatalf("settings: %d %v", code, out)
		}
		_, bld := s.Call(t, "POST", "/api/v1/builds", token, nil)
		s.WaitBuild(t, token, bld["id"])
		if code, body := s.Get(t, "/MP_verify_Hm0Test1.txt"); code != 200 || body != "Hm0Test1" {
			t.Errorf("MP_verify file: %d %.100q", code, body)
		}
		page := mustGet(t, s, pages[2].path)
		if !strings.Contains(page, "MicroMessenger") || strings.Contains(page, "res.wx.qq.com") {
			t.Fatalf("story page with an app id: no WeChat loader, or the SDK URL inline")
		}
		b.resetTraffic()
		b.open(t, pages[2].path+"?after-rebuild") // not the copy cached before the rebuild
		b.run(t, chromedp.Sleep(500*time.Millisecond))
		if _, n := b.transferred(func(u string) bool { return strings.Contains(u, "/wechat/signature") }); n != 1 {
			t.Errorf("inside WeChat the page asked for %d signatures, want 1", n)
		}
		if _, n := b.transferred(func(u string) bool { return strings.Contains(u, "/js/wechat") }); n != 1 {
			t.Errorf("inside WeChat the page loaded the share script %d times, want 1", n)
		}
	})

	if f := b.foreignRequests(); len(f) > 0 {
		t.Errorf("requests left the machine: %v", f)
	}
}

var sitemapLoc = regexp.MustCompile(`<loc>([^<]+)</loc>`)

// sitemap returns the sitemap at path and, for a sitemap index, its parts.
func sitemap(t *testing.T, s *clitest.Server, path string) string {
	t.Helper()
	body := mustGet(t, s, path)
	if !strings.Contains(body, "<sitemapindex") {
		return body
	}
	all := body
	for _, m := range sitemapLoc.FindAllStringSubmatch(body, -1) {
		if u, err := url.Parse(m[1]); err == nil {
			all += sitemap(t, s, u.Path)
		}
	}
	return all
}

func mustGet(t *testing.T, s *clitest.Server, path string) string {
	t.Helper()
	code, body := s.Get(t, path)
	if code != 200 {
		t.Fatalf("GET %s: %d", path, code)
	}
	return body
}

// searchAll runs a query on the search page and returns the result URLs,
// pressing "显示更多结果" until every result is listed.
func searchAll(t *testing.T, b *browser, q string) map[string]bool {
	t.Helper()
	b.open(t, "/search/?q="+url.QueryEscape(q))
	b.run(t, chromedp.WaitVisible(chromedp.CSS("#search-results li")))
	for i := 0; i < 50; i++ {
		var more bool
		b.eval(t, `!document.getElementById("search-more").hidden`, &more)
		if !more {
			break
		}
		var n int
		b.eval(t, `document.querySelectorAll("#search-results li").length`, &n)
		b.run(t, chromedp.Click(chromedp.CSS("#search-more")))
		b.run(t, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#search-results li:nth-child(%d)", n+1))))
	}
	var hrefs []string
	b.eval(t, `[...document.querySelectorAll("#search-results li a")].map(a => a.getAttribute("href"))`, &hrefs)
	got := map[string]bool{}
	for _, h := range hrefs {
		got[h] = true
	}
	return got
}

var assetRef = regexp.MustCompile(`(?:<link rel="?stylesheet"? href="?|<script[^>]* src="?)([^" >]+)`)

// pageWeight is the gzip size of a page's HTML and the CSS and JS it loads.
func pageWeight(t *testing.T, s *clitest.Server, path string) (int, string) {
	t.Helper()
	gz := func(b []byte) int {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
		w.Write(b)
		w.Close()
		return buf.Len()
	}
	_, html := s.Get(t, path)
	total := gz([]byte(html))
	parts := []string{fmt.Sprintf("html %d", total)}
	for _, m := range assetRef.FindAllStringSubmatch(html, -1) {
		code, body := s.Get(t, m[1])
		if code != 200 {
			t.Errorf("%s: %d", m[1], code)
		}
		n := gz([]byte(body))
		total += n
		parts = append(parts, fmt.Sprintf("%s %d", filepath.Base(m[1]), n))
	}
	return total, strings.Join(parts, ", ")
}

// httptestServer serves h on a loopback port until the test ends.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
