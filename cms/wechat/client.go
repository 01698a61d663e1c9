// Package wechat sends stories to a WeChat Official Account (公众号) as
// drafts (issue 19): the access token, body pictures re-hosted through
// uploadimg, the cover as permanent material, draft/add and draft/update,
// and the conversion of a story body to what the 公众号 editor accepts.
//
// The client is hand-written on net/http rather than built on
// github.com/silenceper/wechat/v2, compared at its credential and draft
// packages: that SDK serves these endpoints, but its URLs are constants
// with https://api.weixin.qq.com built in (the contract server could only
// be reached by rewriting requests in a transport), its token cache is its
// own cache.Cache interface (memory, Redis, memcache — an adapter to the
// sealed database row would still be ours), its token errors are
// fmt.Errorf strings ("errcode=%v") that would have to be parsed back to
// map errcodes to Chinese messages, and it brings Redis, memcache and
// logrus clients into the module. What Huimin needs — the token in its
// database (sealed, shared by replicas), one refresh-and-retry on
// 40001/42001, errors that never quote the token or secret, a configurable
// base URL — is five endpoints and about as much code as the glue around
// the SDK would be.
package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

// DefaultBaseURL is WeChat's API server.
const DefaultBaseURL = "https://api.weixin.qq.com"

// tokenMargin renews a token this long before WeChat says it expires.
const tokenMargin = 5 * time.Minute

// maxResponse bounds what is read of a WeChat answer.
const maxResponse = 1 << 20

// Client calls WeChat's API for one account.
type Client struct {
	BaseURL string
	AppID   string
	secret  string
	HTTP    *http.Client
	Tokens  cms.WechatStore
	Log     *slog.Logger
	Now     func() time.Time
	// Backoff is the wait before retrying after 45011 (API minute limit),
	// doubled for the second retry.
	Backoff time.Duration
	// Sleep waits; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewClient returns a client for the account appID/secret. The secret is
// kept in an unexported field and only ever sent in the body of the
// stable_token request.
func NewClient(baseURL, appID, secret string, tokens cms.WechatStore, hc *http.Client, log *slog.Logger) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), AppID: appID, secret: secret, HTTP: hc, Tokens: tokens,
		Log: log, Now: time.Now, Backoff: 2 * time.Second, Sleep: sleep}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// status is the errcode/errmsg every WeChat answer may carry.
type status struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (s status) err(op string) error {
	if s.ErrCode == 0 {
		return nil
	}
	return &APIError{Op: op, Code: s.ErrCode, Msg: s.ErrMsg}
}

// Token returns an access token: the one cached in the database while it
// lasts, otherwise a fresh one from /cgi-bin/stable_token, which is cached.
func (c *Client) Token(ctx context.Context) (string, error) {
	if tok, err := c.Tokens.FindWechatToken(ctx, c.AppID, c.Now().Add(tokenMargin)); err == nil {
		return tok, nil
	} else if cms.ErrorCode(err) != cms.ENOTFOUND {
		return "", err
	}
	// Normal mode (force_refresh false): WeChat returns the token every
	// caller shares while it lasts, so replicas fetching at once do not
	// invalidate each other's token.
	req := map[string]any{"grant_type": "client_credential", "appid": c.AppID, "secret": c.secret, "force_refresh": false}
	var out struct {
		status
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.post(ctx, "stable_token", "/cgi-bin/stable_token", "", jsonBody(req), "application/json", &out); err != nil {
		return "", err
	}
	if err := out.err("stable_token"); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", &APIError{Op: "stable_token", Code: -2, Msg: "no access_token in the answer"}
	}
	if out.ExpiresIn <= 0 {
		out.ExpiresIn = 7200
	}
	if err := c.Tokens.SaveWechatToken(ctx, c.AppID, out.AccessToken, c.Now().Add(time.Duration(out.ExpiresIn)*time.Second)); err != nil {
		return "", err
	}
	return out.AccessToken, nil
}

// call runs one API call with a token and returns WeChat's answer, a
// struct embedding status, decoded afresh on each try. A token WeChat
// refuses (40001, 40014, 42001) is dropped, a fresh one fetched once and
// the call retried; 45011 (too frequent) is retried twice after a back-off.
func call[T interface{ err(string) error }](ctx context.Context, c *Client, op, path string, body func() (io.Reader, string, error)) (T, error) {
	refreshed, waits := false, 0
	for {
		var out T
		tok, err := c.Token(ctx)
		if err != nil {
			return out, err
		}
		r, ctype, err := body()
		if err != nil {
			return out, err
		}
		if err := c.post(ctx, op, path, tok, r, ctype, &out); err != nil {
			return out, err
		}
		err = out.err(op)
		var ae *APIError
		if !errors.As(err, &ae) {
			return out, err
		}
		switch {
		case ae.tokenRefused() && !refreshed:
			refreshed = true
			c.Log.Info("wechat refused the access token; fetching a new one", "op", op, "errcode", ae.Code)
			if err := c.Tokens.DropWechatToken(ctx, c.AppID, tok); err != nil {
				return out, err
			}
		case ae.Code == 45011 && waits < 2:
			d := c.Backoff << waits
			waits++
			c.Log.Info("wechat rate limit; backing off", "op", op, "wait", d)
			if err := c.Sleep(ctx, d); err != nil {
				return out, err
			}
		default:
			return out, err
		}
	}
}

// post sends one request. Errors name the endpoint, never the URL: the
// query carries the access token, which Go's URL errors would quote.
func (c *Client) post(ctx context.Context, op, path, token string, body io.Reader, ctype string, out any) error {
	u := c.BaseURL + path
	if token != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		u += sep + "access_token=" + url.QueryEscape(token)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return &NetError{Op: op, Err: errors.New("bad request")}
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL and its token
		}
		return &NetError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &NetError{Op: op, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return &NetError{Op: op, Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &NetError{Op: op, Err: fmt.Errorf("answer is not JSON: %.80q", raw)}
	}
	return nil
}

func jsonBody(v any) io.Reader {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // article HTML goes as it is
	_ = enc.Encode(v)
	return &b
}

func jsonFunc(v any) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) { return jsonBody(v), "application/json", nil }
}

// multipartFunc builds the form WeChat's upload endpoints take: the file
// in field "media".
func multipartFunc(filename string, data []byte) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		fw, err := w.CreateFormFile("media", filename)
		if err != nil {
			return nil, "", err
		}
		if _, err := fw.Write(data); err != nil {
			return nil, "", err
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		return &b, w.FormDataContentType(), nil
	}
}

type uploadImgAnswer struct {
	status
	URL string `json:"url"`
}

// UploadImage re-hosts a body picture (/cgi-bin/media/uploadimg: jpg or
// png under 1 MB) and returns its WeChat URL, the only kind of picture URL
// an article body may hold.
func (c *Client) UploadImage(ctx context.Context, filename string, data []byte) (string, error) {
	out, err := call[uploadImgAnswer](ctx, c, "uploadimg", "/cgi-bin/media/uploadimg", multipartFunc(filename, data))
	if err != nil {
		return "", err
	}
	if out.URL == "" {
		return "", &APIError{Op: "uploadimg", Code: -2, Msg: "no url in the answer"}
	}
	return out.URL, nil
}

type materialAnswer struct {
	status
	MediaID string `json:"media_id"`
	URL     string `json:"url"`
}

// AddImageMaterial adds a permanent image (/cgi-bin/material/add_material?
// type=image) and returns its media_id, which a draft's thumb_media_id
// names.
func (c *Client) AddImageMaterial(ctx context.Context, filename string, data []byte) (string, error) {
	out, err := call[materialAnswer](ctx, c, "add_material", "/cgi-bin/material/add_material?type=image", multipartFunc(filename, data))
	if err != nil {
		return "", err
	}
	if out.MediaID == "" {
		return "", &APIError{Op: "add_material", Code: -2, Msg: "no media_id in the answer"}
	}
	return out.MediaID, nil
}

// Article is one article of draft/add and draft/update, as WeChat names
// its fields.
type Article struct {
	Title              string `json:"title"`
	Author             string `json:"author,omitempty"`
	Digest             string `json:"digest,omitempty"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url,omitempty"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
}

type draftAnswer struct {
	status
	MediaID string `json:"media_id"`
}

// AddDraft creates a draft of one article and returns its media_id.
func (c *Client) AddDraft(ctx context.Context, a Article) (string, error) {
	out, err := call[draftAnswer](ctx, c, "draft/add", "/cgi-bin/draft/add", jsonFunc(map[string]any{"articles": []Article{a}}))
	if err != nil {
		return "", err
	}
	if out.MediaID == "" {
		return "", &APIError{Op: "draft/add", Code: -2, Msg: "no media_id in the answer"}
	}
	return out.MediaID, nil
}

// UpdateDraft replaces the first article of the draft mediaID.
func (c *Client) UpdateDraft(ctx context.Context, mediaID string, a Article) error {
	_, err := call[status](ctx, c, "draft/update", "/cgi-bin/draft/update",
		jsonFunc(map[string]any{"media_id": mediaID, "index": 0, "articles": a}))
	return err
}
