package wechat_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/wechat"
	"github.com/huimin/huimin/cms/wechat/wechattest"
)

// memTokens is a cms.WechatStore holding only the token (the client needs
// nothing else); the store's own test covers the database.
type memTokens struct {
	cms.WechatStore
	mu      sync.Mutex
	token   string
	expires time.Time
}

func (m *memTokens) FindWechatToken(_ context.Context, _ string, now time.Time) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token == "" || !m.expires.After(now) {
		return "", cms.Errorf(cms.ENOTFOUND, "none")
	}
	return m.token, nil
}

func (m *memTokens) SaveWechatToken(_ context.Context, _, token string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.token, m.expires = token, expires
	return nil
}

func (m *memTokens) DropWechatToken(_ context.Context, _, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token == token {
		m.token = ""
	}
	return nil
}

const secret = "unit-app-secret-0c9d8e7f"

func newClient(t *testing.T) (*wechat.Client, *wechattest.Server, *bytes.Buffer, *[]time.Duration) {
	wx := wechattest.New(t, "wxunit", secret)
	var logs bytes.Buffer
	c := wechat.NewClient(wx.URL, "wxunit", secret, &memTokens{}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	var waits []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return c, wx, &logs, &waits
}

var jpeg = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00" + strings.Repeat("x", 100))

// TestClient_TokenRefresh: the token is fetched once and reused; a refused
// one (42001, 40001) is fetched again once and the call retried; a second
// refusal is not retried again.
func TestClient_TokenRefresh(t *testing.T) {
	c, wx, logs, _ := newClient(t)
	ctx := context.Background()
	for range 2 {
		if _, err := c.UploadImage(ctx, "a.jpg", jpeg); err != nil {
			t.Fatal(err)
		}
	}
	if n := wx.Calls("stable_token"); n != 1 {
		t.Fatalf("%d token requests for two calls, want 1", n)
	}
	wx.ExpireToken()
	if _, err := c.UploadImage(ctx, "a.jpg", jpeg); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if wx.Calls("stable_token") != 2 || wx.Calls("uploadimg") != 4 {
		t.Fatalf("calls %v, want one more token request and one retry", wx.AllCalls())
	}
	// A token refused twice: one refresh only, then the error.
	wx2 := wechattest.New(t, "wxunit", secret)
	c2 := wechat.NewClient(wx2.URL, "wxunit", secret, &memTokens{token: "STALE", expires: time.Now().Add(time.Hour)}, nil, nil)
	wx2.Fail("uploadimg", 40001, "invalid credential")
	_, err := c2.UploadImage(ctx, "a.jpg", jpeg)
	if err == nil || wx2.Calls("stable_token") != 1 || wx2.Calls("uploadimg") != 2 {
		t.Fatalf("refused twice: %v, calls %v; want one refresh then the error", err, wx2.AllCalls())
	}
	if e := wechat.Explain(err); cms.ErrorCode(e) != cms.EUNAVAILABLE || !strings.Contains(cms.ErrorMessage(e), "40001") {
		t.Errorf("explained as %v", e)
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "CONTRACT-TOKEN") {
		t.Errorf("log holds the secret or a token: %s", logs)
	}
}

// TestClient_Errors: errcodes become Chinese messages; 40164 names the IP;
// 45011 is retried after a growing back-off, 45009 is not; errors never
// quote the secret or the token, not even network errors.
func TestClient_Errors(t *testing.T) {
	ctx := context.Background()
	c, wx, _, waits := newClient(t)
	wx.DenyIP("198.51.100.9")
	_, err := c.UploadImage(ctx, "a.jpg", jpeg)
	e := wechat.Explain(err)
	if cms.ErrorCode(e) != cms.EUNAVAILABLE || !strings.Contains(cms.ErrorMessage(e), "198.51.100.9") || !strings.Contains(cms.ErrorMessage(e), "IP白名单") {
		t.Fatalf("40164: %v", e)
	}

	c, wx, _, waits = newClient(t)
	wx.Fail("add_material", 45011, "api minute-quota reach limit")
	wx.Fail("add_material", 45011, "api minute-quota reach limit")
	if _, err := c.AddImageMaterial(ctx, "c.jpg", jpeg); err != nil {
		t.Fatalf("after two 45011: %v", err)
	}
	if len(*waits) != 2 || (*waits)[1] != 2*(*waits)[0] {
		t.Fatalf("back-off waits %v, want two, doubling", *waits)
	}
	for range 3 {
		wx.Fail("add_material", 45011, "api minute-quota reach limit")
	}
	_, err = c.AddImageMaterial(ctx, "c.jpg", jpeg)
	if e := wechat.Explain(err); cms.ErrorCode(e) != cms.ERATELIMIT {
		t.Fatalf("three 45011: %v", e)
	}
	wx.Fail("draft/add", 45009, "reach max api daily quota limit")
	before := len(*waits)
	_, err = c.AddDraft(ctx, wechat.Article{Title: "t", Content: "<p>x</p>"})
	if e := wechat.Explain(err); cms.ErrorCode(e) != cms.ERATELIMIT || !strings.Contains(cms.ErrorMessage(e), "45009") || len(*waits) != before {
		t.Fatalf("45009: %v (waits %v); want 429, not retried", e, *waits)
	}

	for code, want := range map[int]string{48001: "权限", 40007: "素材", 40125: "AppSecret", -1: "繁忙"} {
		wx.Fail("draft/update", code, "x")
		err := c.UpdateDraft(ctx, "M", wechat.Article{})
		if msg := cms.ErrorMessage(wechat.Explain(err)); !strings.Contains(msg, want) {
			t.Errorf("errcode %d: %q, want it to mention %s", code, msg, want)
		}
	}

	wx.Close()
	_, err = c.UploadImage(ctx, "a.jpg", jpeg)
	if err == nil || strings.Contains(err.Error(), "access_token") || strings.Contains(err.Error(), "CONTRACT-TOKEN") {
		t.Fatalf("network error %v quotes the token", err)
	}
	if msg := cms.ErrorMessage(wechat.Explain(err)); !strings.Contains(msg, "连接微信服务器失败") {
		t.Errorf("network error explained as %q", msg)
	}
}

// TestConvert: classes and styles become inline styles; scripts, forms
// and frames go; links outside mp.weixin.qq.com become text with a note;
// every picture takes the URL resolve gives; the text stays.
func TestConvert(t *testing.T) {
	body := `<h1 class="x">大标题</h1><p class="lead" style="color:red" onclick="evil()">第一段<a href="/stories/a/">本站链接</a>和<a href="https://mp.weixin.qq.com/s/abc">公众号文章</a>以及<a href="javascript:alert(1)">坏链接</a>。</p>` +
		`<script>alert(1)</script><form action="/x"><input name="q"><button>提交</button></form><iframe src="https://v.qq.com/x"></iframe>` +
		`<figure data-media-id="7"><img src="/media/aa/w960.jpg" srcset="/media/aa/w480.jpg 480w" alt="合影" class="pic"><figcaption>合影</figcaption></figure>` +
		`<p><img src="https://elsewhere.example/p.png" alt="外站"></p><table><tr><td colspan="2" class="c">表格</td></tr></table><p><a href="https://example.org">https://example.org</a></p>`
	var seen []wechat.Image
	out, err := wechat.Convert(body, "https://mz.example.gov.cn", func(img wechat.Image) (string, error) {
		seen = append(seen, img)
		if img.MediaID == 7 {
			return "https://wx.example/pic/1", nil
		}
		return "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"class=", "<script", "alert", "<form", "<input", "提交", "<iframe", "onclick", "srcset", "elsewhere.example", "color:red", "<h1", "<figure", "javascript:"} {
		if strings.Contains(out, bad) {
			t.Errorf("converted body keeps %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{
		`<h2 style="`, `<img src="https://wx.example/pic/1" alt="合影" style="`, `<a href="https://mp.weixin.qq.com/s/abc" style="`,
		`本站链接<sup`, `[1] https://mz.example.gov.cn/stories/a/`, `坏链接。`, `<td colspan="2" style="`, `<p style="margin:.5em 0 0;`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("converted body lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "<sup") != 1 {
		t.Errorf("want one note (a link whose text is its address needs none):\n%s", out)
	}
	if len(seen) != 2 || seen[0].MediaID != 7 || seen[0].Index != 1 || seen[1].Src != "https://elsewhere.example/p.png" {
		t.Errorf("resolve saw %+v", seen)
	}
}

// TestCheck: WeChat's limits, checked before any call, name the field.
func TestCheck(t *testing.T) {
	if p := wechat.Check("标题", "作者", "摘要", "<p>正文</p>"); p != nil {
		t.Fatalf("fitting article: %v", p)
	}
	p := wechat.Check(strings.Repeat("题", 65), strings.Repeat("作", 9), strings.Repeat("摘", 121), strings.Repeat("文", 20000))
	for field, want := range map[string]string{"title": "标题", "author": "作者", "summary": "摘要", "body": "正文"} {
		if !strings.Contains(p[field], want) {
			t.Errorf("%s: %q, want it to name %s", field, p[field], want)
		}
	}
	if p := wechat.Check(strings.Repeat("题", 64), strings.Repeat("作", 8), strings.Repeat("摘", 120), strings.Repeat("文", 19000)); p != nil {
		t.Errorf("at the limits: %v", p)
	}
	if p := wechat.Check("t", "", "", strings.Repeat("<p>a</p>", 140000)); !strings.Contains(p["body"], "字符") {
		t.Errorf("over 20,000 characters: %v", p)
	}
}
