package web

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// WeChat JS-SDK share cards. The public site's script (themes/huimin,
// js/wechat.js, loaded only inside WeChat and only when an app id is set)
// asks this endpoint to sign the page URL, then configures the share card.
// The access token and jsapi_ticket live 7200 s; WeChat limits how often
// they may be fetched, so both are cached in memory until shortly before
// they expire. The app secret never leaves this file: not in responses, not
// in logs, not in error messages (Go's URL errors would quote it).

const (
	wechatAPI = "https://api.weixin.qq.com"
	// wechatMargin renews a token this long before WeChat says it expires.
	wechatMargin = 5 * time.Minute
	// wechatBackoff stops a wrong secret from hammering WeChat's API.
	wechatBackoff = time.Minute
)

// httpDoer is the part of *http.Client the JS-SDK signer uses; tests pass a fake.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// jssdk signs page URLs for wx.config, caching WeChat's credentials.
type jssdk struct {
	settings cms.SettingsService
	client   httpDoer
	api      string
	now      func() time.Time

	mu       sync.Mutex
	key      string // app id + secret digest the cache belongs to
	ticket   string
	expires  time.Time
	failedAt time.Time
}

// newJSSDK returns a signer reading the app id and secret from settings.
// A nil client means a plain HTTP client with a timeout.
func newJSSDK(settings cms.SettingsService, client httpDoer) *jssdk {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &jssdk{settings: settings, client: client, api: wechatAPI, now: time.Now}
}

// wechatSignatureResponse is what wx.config needs. The secret is not in it.
type wechatSignatureResponse struct {
	AppID     string `json:"app_id"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonce_str"`
	Signature string `json:"signature"`
	URL       string `json:"url"`
}

// handleWechatSignature answers GET ?url=<page URL without #fragment>.
// 404 when no app id and secret are configured.
func (s *Server) handleWechatSignature(j *jssdk) func(*gin.Context) error {
	return func(c *gin.Context) error {
		ctx := c.Request.Context()
		set, err := j.settings.FindSettings(ctx)
		if err != nil {
			return err
		}
		if strings.TrimSpace(set.WechatAppID) == "" || set.WechatSecret == "" {
			return cms.Errorf(cms.ENOTFOUND, "未配置微信公众号")
		}
		page, ok := signableURL(c.Query("url"), set.BaseURL, c.Request.Host)
		if !ok {
			return cms.Invalid(map[string]string{"url": "只能为本站页面签名"})
		}
		ticket, err := j.jsapiTicket(ctx, set.WechatAppID, set.WechatSecret)
		if err != nil {
			s.log.Warn("wechat jsapi_ticket", "err", err)
			return cms.Errorf(cms.EUNAVAILABLE, "暂时无法连接微信，请稍后再试")
		}
		nonce := nonceStr()
		ts := j.now().Unix()
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, wechatSignatureResponse{
			AppID: set.WechatAppID, Timestamp: ts, NonceStr: nonce, URL: page,
			Signature: wechatSignature(ticket, nonce, ts, page),
		})
		return nil
	}
}

// wechatSignature is WeChat's JS-SDK signature: SHA1 over the four fields
// sorted by name, joined as a query string without escaping.
func wechatSignature(ticket, nonce string, timestamp int64, pageURL string) string {
	s := "jsapi_ticket=" + ticket + "&noncestr=" + nonce + "&timestamp=" + strconv.FormatInt(timestamp, 10) + "&url=" + pageURL
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signableURL accepts an http(s) URL of this site (the base URL's host, or
// the host the request came to) and drops its fragment, as WeChat requires.
func signableURL(raw, baseURL, reqHost string) (string, bool) {
	if raw == "" || len(raw) > 2048 {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	allowed := u.Host == reqHost
	if b, err := url.Parse(baseURL); err == nil && b.Host != "" && b.Host == u.Host {
		allowed = true
	}
	if !allowed {
		return "", false
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	return raw, true
}

func nonceStr() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// jsapiTicket returns a cached ticket or fetches a token and a ticket.
func (j *jssdk) jsapiTicket(ctx context.Context, appID, secret string) (string, error) {
	sum := sha1.Sum([]byte(appID + "\x00" + secret))
	key := hex.EncodeToString(sum[:])
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	if j.key == key && j.ticket != "" && now.Before(j.expires) {
		return j.ticket, nil
	}
	if j.key == key && now.Sub(j.failedAt) < wechatBackoff {
		return "", errors.New("wechat: last attempt failed less than a minute ago")
	}
	j.key, j.ticket = key, ""
	token, err := j.fetchToken(ctx, appID, secret)
	if err == nil {
		j.ticket, j.expires, err = j.fetchTicket(ctx, token)
	}
	if err != nil {
		j.failedAt = now
		return "", err
	}
	return j.ticket, nil
}

type wechatReply struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	Ticket      string `json:"ticket"`
	ExpiresIn   int    `json:"expires_in"`
}

func (j *jssdk) fetchToken(ctx context.Context, appID, secret string) (string, error) {
	q := url.Values{"grant_type": {"client_credential"}, "appid": {appID}, "secret": {secret}}
	r, err := j.get(ctx, "/cgi-bin/token", q)
	if err != nil {
		return "", fmt.Errorf("access_token: %w", err)
	}
	if r.AccessToken == "" {
		return "", fmt.Errorf("access_token: errcode %d: %s", r.ErrCode, r.ErrMsg)
	}
	return r.AccessToken, nil
}

func (j *jssdk) fetchTicket(ctx context.Context, token string) (string, time.Time, error) {
	r, err := j.get(ctx, "/cgi-bin/ticket/getticket", url.Values{"access_token": {token}, "type": {"jsapi"}})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("jsapi_ticket: %w", err)
	}
	if r.ErrCode != 0 || r.Ticket == "" {
		return "", time.Time{}, fmt.Errorf("jsapi_ticket: errcode %d: %s", r.ErrCode, r.ErrMsg)
	}
	life := time.Duration(r.ExpiresIn) * time.Second
	if life <= 0 {
		life = 7200 * time.Second
	}
	return r.Ticket, j.now().Add(life - wechatMargin), nil
}

// get calls WeChat's API. Errors never include the URL: it carries the
// secret or the access token.
func (j *jssdk) get(ctx context.Context, path string, q url.Values) (*wechatReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.api+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, errors.New("bad request")
	}
	resp, err := j.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	var r wechatReply
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&r); err != nil {
		return nil, fmt.Errorf("GET %s: decoding the reply: %v", path, err)
	}
	return &r, nil
}
