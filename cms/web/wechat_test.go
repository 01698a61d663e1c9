package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// TestWechatSignature is WeChat's documented worked example (JS-SDK
// documentation, appendix 1: signature algorithm).
func TestWechatSignature(t *testing.T) {
	t.Parallel()
	got := wechatSignature("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value")
	if want := "0f9de62fce790f9a083d5c99e95740ceb90c27ed"; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

type fakeSettings struct{ s cms.Settings }

func (f *fakeSettings) FindSettings(context.Context) (*cms.Settings, error) {
	c := f.s
	return &c, nil
}

func (f *fakeSettings) UpdateSettings(context.Context, cms.SettingsUpdate) (*cms.Settings, error) {
	return nil, errors.New("not used")
}

// fakeWechat plays api.weixin.qq.com and counts the calls.
type fakeWechat struct {
	mu      sync.Mutex
	tokens  int
	tickets int
	fail    bool
}

func (f *fakeWechat) Do(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return nil, &url.Error{Op: "Get", URL: r.URL.String(), Err: errors.New("connection refused")}
	}
	var body string
	switch r.URL.Path {
	case "/cgi-bin/token":
		f.tokens++
		if r.URL.Query().Get("secret") != "s3cret-value" {
			body = `{"errcode":40125,"errmsg":"invalid appsecret"}`
		} else {
			body = `{"access_token":"TOKEN","expires_in":7200}`
		}
	case "/cgi-bin/ticket/getticket":
		f.tickets++
		if r.URL.Query().Get("access_token") != "TOKEN" || r.URL.Query().Get("type") != "jsapi" {
			body = `{"errcode":40001,"errmsg":"invalid credential"}`
		} else {
			body = `{"errcode":0,"errmsg":"ok","ticket":"sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg","expires_in":7200}`
		}
	default:
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader(""))}, nil
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}, nil
}

func TestWechatSignatureEndpoint(t *testing.T) {
	t.Parallel()
	settings := &fakeSettings{s: cms.Settings{BaseURL: "https://mz.example.gov.cn/", WechatAppID: "wx1234567890", WechatSecret: "s3cret-value"}}
	fake := &fakeWechat{}
	j := newJSSDK(settings, fake)
	clock := time.Unix(1414587457, 0)
	j.now = func() time.Time { return clock }
	logs := &strings.Builder{}
	s := New(Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	e := gin.New()
	e.GET("/sig", s.handle(s.handleWechatSignature(j)))
	get := func(page string) (int, string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/sig?url="+url.QueryEscape(page), nil)
		r.Host = "127.0.0.1:8080"
		e.ServeHTTP(w, r)
		if strings.Contains(w.Body.String(), "s3cret") || strings.Contains(logs.String(), "s3cret") {
			t.Fatalf("the secret leaked: %s\nlogs: %s", w.Body.String(), logs.String())
		}
		return w.Code, w.Body.String()
	}

	code, body := get("https://mz.example.gov.cn/stories/a/?from=timeline#top")
	if code != 200 {
		t.Fatalf("signature: %d %s", code, body)
	}
	var r wechatSignatureResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r.AppID != "wx1234567890" || r.Timestamp != 1414587457 || r.URL != "https://mz.example.gov.cn/stories/a/?from=timeline" || len(r.NonceStr) < 16 {
		t.Errorf("response %+v", r)
	}
	want := wechatSignature("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg", r.NonceStr, r.Timestamp, r.URL)
	if r.Signature != want {
		t.Errorf("signature %s, want %s", r.Signature, want)
	}

	t.Run("cached for the ticket's lifetime", func(t *testing.T) {
		for range 5 {
			if code, body := get("http://127.0.0.1:8080/"); code != 200 {
				t.Fatalf("%d %s", code, body)
			}
		}
		clock = clock.Add(7200*time.Second - wechatMargin - time.Second)
		get("http://127.0.0.1:8080/")
		if fake.tokens != 1 || fake.tickets != 1 {
			t.Errorf("fetched %d tokens and %d tickets within 7200 s, want 1 and 1", fake.tokens, fake.tickets)
		}
		clock = clock.Add(2 * time.Second)
		get("http://127.0.0.1:8080/")
		if fake.tokens != 2 || fake.tickets != 2 {
			t.Errorf("after expiry: %d tokens and %d tickets, want 2 and 2", fake.tokens, fake.tickets)
		}
	})

	t.Run("foreign URL refused", func(t *testing.T) {
		if code, _ := get("https://evil.example.com/"); code != http.StatusUnprocessableEntity {
			t.Errorf("foreign URL: %d, want 422", code)
		}
		if code, _ := get("javascript:alert(1)"); code != http.StatusUnprocessableEntity {
			t.Errorf("javascript URL: %d, want 422", code)
		}
	})

	t.Run("wrong secret backs off and does not leak", func(t *testing.T) {
		settings.s.WechatSecret = "s3cret-wrong"
		before := fake.tokens
		for range 3 {
			if code, _ := get("http://127.0.0.1:8080/"); code != http.StatusServiceUnavailable {
				t.Errorf("wrong secret: %d, want 503", code)
			}
		}
		if fake.tokens != before+1 {
			t.Errorf("wrong secret: %d token requests, want 1 (back off)", fake.tokens-before)
		}
	})

	t.Run("network error does not leak the URL", func(t *testing.T) {
		settings.s.WechatSecret = "s3cret-value"
		settings.s.WechatAppID = "wx-other"
		fake.fail = true
		if code, _ := get("http://127.0.0.1:8080/"); code != http.StatusServiceUnavailable {
			t.Errorf("network error: %d, want 503", code)
		}
		fake.fail = false
	})

	t.Run("not configured", func(t *testing.T) {
		settings.s.WechatAppID = ""
		if code, _ := get("http://127.0.0.1:8080/"); code != http.StatusNotFound {
			t.Errorf("no app id: %d, want 404", code)
		}
	})
}
