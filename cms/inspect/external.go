// Package inspect is the 网站体检 (issue 20): it runs the checks of the
// 政府网站与政务新媒体检查指标 that Huimin can run on itself — links,
// freshness, 规范汉字, tampering, 互动回应 — and assembles them into one
// report, in which each item says what the indicator is, what was found,
// where, and how to fix it, and whether it alone fails the site (单项否决).
package inspect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/huimin/huimin/cms"
)

// Checker checks external links: HEAD first, GET when the server refuses
// HEAD, each request bounded by Timeout, at most PerHost requests to one
// host at a time and Concurrency in all.
type Checker struct {
	Client      *http.Client // nil: a client that follows up to 5 redirects
	Timeout     time.Duration
	PerHost     int
	Concurrency int
	UserAgent   string
	Now         func() time.Time
}

// Defaults of a Checker's zero fields.
const (
	DefaultLinkTimeout     = 15 * time.Second
	DefaultLinkPerHost     = 2
	DefaultLinkConcurrency = 8
)

func (c *Checker) client() *http.Client {
	if c.Client != nil {
		return c.Client
	}
	return &http.Client{
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("重定向次数过多")
			}
			return nil
		},
	}
}

// positive is n, or def when n is not positive: a Checker's zero fields
// take the defaults.
func positive[T int | time.Duration](n, def T) T {
	if n <= 0 {
		return def
	}
	return n
}

// Check checks every URL of urls once and returns the results in the same
// order. It returns early only when ctx is done. A nil Checker uses the
// defaults.
func (c *Checker) Check(ctx context.Context, urls []string) []cms.LinkCheckResult {
	if c == nil {
		c = &Checker{}
	}
	perHost := positive(c.PerHost, DefaultLinkPerHost)
	total := positive(c.Concurrency, DefaultLinkConcurrency)
	now := c.Now
	if now == nil {
		now = time.Now
	}
	client := c.client()
	var mu sync.Mutex
	hosts := map[string]chan struct{}{}
	hostSem := func(h string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		s := hosts[h]
		if s == nil {
			s = make(chan struct{}, perHost)
			hosts[h] = s
		}
		return s
	}
	all := make(chan struct{}, total)
	out := make([]cms.LinkCheckResult, len(urls))
	var wg sync.WaitGroup
	for i, raw := range urls {
		out[i] = cms.LinkCheckResult{URL: raw}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			out[i].Error, out[i].CheckedAt = "链接地址无效", now()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			hs := hostSem(strings.ToLower(u.Host))
			select {
			case hs <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-hs }()
			select {
			case all <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-all }()
			out[i] = c.one(ctx, client, raw)
			out[i].CheckedAt = now()
		}()
	}
	wg.Wait()
	return out
}

// one checks raw with HEAD, then with GET when HEAD does not say yes.
func (c *Checker) one(ctx context.Context, client *http.Client, raw string) cms.LinkCheckResult {
	r := cms.LinkCheckResult{URL: raw}
	status, err := c.request(ctx, client, http.MethodHead, raw)
	if err != nil || status >= 400 {
		// Many servers refuse or mishandle HEAD (405, 403, 404 on HEAD only).
		status, err = c.request(ctx, client, http.MethodGet, raw)
	}
	r.Status = status
	switch {
	case err != nil:
		r.Error = describeLinkError(err)
	case status >= 400:
		r.Error = fmt.Sprintf("网站返回 %d %s", status, http.StatusText(status))
	default:
		r.OK = true
	}
	return r
}

func (c *Checker) request(ctx context.Context, client *http.Client, method, raw string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, positive(c.Timeout, DefaultLinkTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, raw, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", cmp.Or(c.UserAgent, "Huimin-LinkCheck/1.0 (网站体检)"))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	// A little of the body, so the connection can be reused; no more.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

func describeLinkError(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return "网站无响应（超时）"
	case errors.As(err, &dnsErr):
		return "域名无法解析"
	case errors.Is(err, context.Canceled):
		return "检查被中止"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return "无法连接网站"
	}
	return "无法访问：" + err.Error()
}
