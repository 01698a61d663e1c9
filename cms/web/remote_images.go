package web

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// Pictures pasted from WeChat articles point at WeChat's image servers
// (mmbiz.qpic.cn), which refuse them to other sites' pages; screenshots
// pasted from some editors arrive as data: URIs, megabytes inline. On save
// the server copies both kinds into the media library, through the same
// pipeline as uploads (upright, metadata stripped, variants), and points
// the body at the copy. Only hosts in RemoteImageHosts are fetched, never
// at internal addresses, preferably over https (remote_guard.go): the
// server must not become a way to reach arbitrary addresses. A picture it
// cannot copy stays as it is, and publishing names it (checkImages).

// DefaultRemoteImageHosts are WeChat's image servers.
var DefaultRemoteImageHosts = []string{"mmbiz.qpic.cn", "mmbiz.qlogo.cn"}

const (
	remoteImageTimeout  = 10 * time.Second // one picture
	remoteImageParallel = 4
	// remoteImageRetry is how long a picture that could not be fetched is
	// not tried again: a server without a way out (an intranet) must not
	// make every autosave of that story wait for the timeout.
	remoteImageRetry = 10 * time.Minute
)

// importRemoteImages returns body with its copyable pictures pointing at
// their media-library copies (data-media-id set; responsiveImages then adds
// the variants). It never fails: what it cannot copy it leaves, and logs.
func (s *Server) importRemoteImages(ctx context.Context, body string) string {
	if s.cfg.Ingest == nil || s.cfg.Media == nil || !strings.Contains(body, "<img") {
		return body
	}
	type job struct {
		src string
		m   *cms.Media
	}
	jobs := map[string]*job{}
	var order []*job
	for _, img := range markup.Images(body) {
		src := img.Src
		if src == "" || img.HasMediaID || jobs[src] != nil || !s.copyable(src) || s.recentlyFailed(src) {
			continue
		}
		j := &job{src: src}
		jobs[src] = j
		order = append(order, j)
	}
	if len(order) == 0 {
		return body
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, remoteImageParallel)
	for _, j := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			data, name, err := s.fetchImage(ctx, j.src)
			if err == nil {
				j.m, _, err = s.cfg.Ingest.IngestMedia(ctx, data, name)
			}
			if err != nil {
				s.remoteFailed.Store(j.src, time.Now())
				s.log.Warn("copying a pasted picture into the media library", "src", clipURL(j.src), "err", err)
			}
		}()
	}
	wg.Wait()
	return markup.RewriteImages(body, func(t *markup.Tag) string {
		img := markup.ImageOf(t)
		j := jobs[img.Src]
		if j == nil || j.m == nil || img.HasMediaID {
			return ""
		}
		v := j.m.Variant("w960")
		if v == nil && len(j.m.Variants) > 0 {
			v = &j.m.Variants[0]
		}
		if v == nil {
			return ""
		}
		t.Prepend(markup.Attr{Key: "src", Val: v.URL}, markup.Attr{Key: "data-media-id", Val: strconv.FormatInt(j.m.ID, 10)})
		return t.String()
	})
}

// recentlyFailed reports whether src could not be fetched a short while ago.
func (s *Server) recentlyFailed(src string) bool {
	v, ok := s.remoteFailed.Load(src)
	if !ok {
		return false
	}
	if time.Since(v.(time.Time)) < remoteImageRetry {
		return true
	}
	s.remoteFailed.Delete(src)
	return false
}

// copyable reports whether src is a data: image or an http(s) URL on one
// of the allowed hosts.
func (s *Server) copyable(src string) bool {
	if isDataImage(src) {
		return true
	}
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return s.remoteHostAllowed(u.Host)
}

func (s *Server) remoteHostAllowed(host string) bool {
	for _, h := range s.cfg.RemoteImageHosts {
		if h != "" && strings.EqualFold(strings.TrimSpace(h), host) {
			return true
		}
	}
	return false
}

func isDataImage(src string) bool {
	return len(src) > 11 && strings.EqualFold(src[:11], "data:image/")
}

// fetchImage returns the bytes of src and a file name for the library.
func (s *Server) fetchImage(ctx context.Context, src string) ([]byte, string, error) {
	limit := s.cfg.MaxUploadBytes
	if isDataImage(src) {
		meta, payload, ok := strings.Cut(src[len("data:"):], ",")
		if !ok || !strings.HasSuffix(strings.ToLower(meta), ";base64") {
			return nil, "", errors.New("not a base64 data URI")
		}
		if int64(base64.StdEncoding.DecodedLen(len(payload))) > limit+3 {
			return nil, "", errors.New("data URI larger than the upload limit")
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
		if err != nil {
			return nil, "", err
		}
		ext := ".png"
		if exts, _ := mime.ExtensionsByType(strings.TrimSuffix(meta, ";base64")); len(exts) > 0 {
			ext = exts[0]
		}
		return data, "粘贴的图片" + ext, nil
	}
	ctx, cancel := context.WithTimeout(ctx, remoteImageTimeout)
	defer cancel()
	var errs []error
	for _, u := range s.fetchURLs(src) {
		data, name, err := s.fetchURL(ctx, u, limit)
		if err == nil {
			return data, name, nil
		}
		errs = append(errs, err)
		var status statusError
		if errors.As(err, &status) || ctx.Err() != nil {
			break // the server answered: plain http would not do better
		}
	}
	return nil, "", errors.Join(errs...)
}

// statusError is a fetch the server answered with other than 200.
type statusError string

func (e statusError) Error() string { return string(e) }

func (s *Server) fetchURL(ctx context.Context, src string, limit int64) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "image/*")
	resp, err := s.remoteClient().Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", statusError(fmt.Sprintf("%s answered %s", req.URL.Host, resp.Status))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(data)) > limit {
		return nil, "", errors.New("picture larger than the upload limit")
	}
	return data, remoteName(req.URL), nil
}

// remoteClient follows redirects only to allowed hosts, and to plain http
// only where that is allowed (remote_guard.go).
func (s *Server) remoteClient() *http.Client {
	s.remoteOnce.Do(func() {
		var tr http.RoundTripper = s.remoteTransport()
		if s.cfg.RemoteTransport != nil {
			tr = s.cfg.RemoteTransport
		}
		s.remote = &http.Client{
			Transport: tr,
			CheckRedirect: func(r *http.Request, via []*http.Request) error {
				if len(via) >= 5 || !s.remoteHostAllowed(r.URL.Host) ||
					(r.URL.Scheme == "http" && !s.plainHTTPAllowed(r.URL.Host)) {
					return fmt.Errorf("redirect to %s refused", r.URL.Host)
				}
				return nil
			},
		}
	})
	return s.remote
}

// remoteName names a fetched picture for the library: WeChat's URLs end in
// "/640?wx_fmt=jpeg", so the format comes from the query when it is there.
func remoteName(u *url.URL) string {
	base := "微信图片"
	if !strings.Contains(u.Host, "qpic.cn") && !strings.Contains(u.Host, "qlogo.cn") {
		base = "网络图片"
	}
	if f := u.Query().Get("wx_fmt"); f != "" {
		return base + "." + strings.ToLower(f)
	}
	if ext := path.Ext(u.Path); ext != "" && len(ext) <= 5 {
		return base + strings.ToLower(ext)
	}
	return base + ".jpg"
}

// clipURL keeps data URIs out of the log.
func clipURL(src string) string {
	if isDataImage(src) {
		return src[:min(len(src), 30)] + "…"
	}
	return src
}
