package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// The reach beacon (issue 18). Every public page posts one small JSON
// beacon with navigator.sendBeacon (themes/huimin/assets/js/stats.js), or,
// without JavaScript, loads /api/v1/beacon.gif from a <noscript> image. A
// beacon is counted only for a page the site has, from a client that is
// not a bot, not a prefetch and not an admin preview, within a per-client
// rate. Nothing is set on the client: no cookie, no storage. The visitor is
// a hash of (the day's random salt, IP, user agent, site); the IP itself is
// never kept. A view counts for the site the request's Host names (issue
// 15), among that site's pages only.

const (
	maxBeaconBody     = 2048
	maxBeaconPath     = 512
	maxBeaconReferrer = 1024
	// Readers turn pages every few seconds; a client posting faster than
	// beaconRate a second (bursts of beaconBurst) is not a reader.
	defaultBeaconRate  = 1
	defaultBeaconBurst = 20
	// sitePagesMaxAge bounds how long a page published by another process
	// takes to be counted when there is no content version to watch.
	sitePagesMaxAge = 30 * time.Second
)

// beaconRequest is what stats.js posts.
type beaconRequest struct {
	Path     string `json:"path"`     // location.pathname
	Referrer string `json:"referrer"` // document.referrer
	From     string `json:"from"`     // WeChat share context: timeline, groupmessage, singlemessage
	Src      string `json:"src"`      // cms.StatsSourceParam, e.g. wx_article for 阅读原文
	Mode     string `json:"mode"`     // "", large, contrast, both
	Viewport string `json:"viewport"` // phone, tablet, desktop
}

var (
	beaconModes     = map[string]bool{"": true, "large": true, "contrast": true, "both": true}
	beaconViewports = map[string]bool{"": true, "phone": true, "tablet": true, "desktop": true}
	wechatFrom      = map[string]string{
		"timeline": cms.SourceWechatTimeline, "groupmessage": cms.SourceWechatGroup, "singlemessage": cms.SourceWechatSingle,
	}
)

// Valid reports the fields that are out of bounds; nil when none is (the
// map is made only for a bad beacon).
func (r *beaconRequest) Valid() map[string]string {
	var f map[string]string
	set := func(k, v string) {
		if f == nil {
			f = map[string]string{}
		}
		f[k] = v
	}
	switch {
	case r.Path == "":
		set("path", "缺少页面地址")
	case len(r.Path) > maxBeaconPath:
		set("path", "页面地址过长")
	case !strings.HasPrefix(r.Path, "/"):
		set("path", "页面地址应以 / 开头")
	}
	if len(r.Referrer) > maxBeaconReferrer {
		set("referrer", "来源地址过长")
	}
	if !isToken(r.From) {
		set("from", "from 参数无效")
	}
	if !isToken(r.Src) {
		set("src", cms.StatsSourceParam+" 参数无效")
	}
	if !beaconModes[r.Mode] {
		set("mode", "阅读模式应为 large、contrast 或 both")
	}
	if !beaconViewports[r.Viewport] {
		set("viewport", "屏幕类型应为 phone、tablet 或 desktop")
	}
	return f
}

// isToken reports whether v is at most 32 of a-z and _ (a share context
// or source marker), as ^[a-z_]{0,32}$ would, at a fraction of its cost.
func isToken(v string) bool {
	if len(v) > 32 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// botMarks are lower-case pieces of the user agents of crawlers, link
// previewers, monitors, headless browsers and HTTP libraries. Matched with
// strings.Contains: one regular expression of them all cost more than the
// rest of a beacon together.
var botMarks = []string{"spider", "crawl", "slurp", "archiver", "preview", "facebookexternalhit", "headless",
	"lighthouse", "pagespeed", "phantomjs", "selenium", "puppeteer", "playwright", "curl/", "wget/", "python",
	"java/", "go-http-client", "okhttp", "httpclient", "axios", "node-fetch", "libwww", "scrapy", "monitor",
	"uptime", "feedfetcher", "bingpreview"}

// isBot reports whether ua is empty or looks like a bot's: one of
// botMarks, or the word "bot" (Googlebot/2.1, bingbot, Bytespider's "bot;").
func isBot(ua string) bool {
	if ua == "" {
		return true
	}
	low := strings.ToLower(ua)
	for _, m := range botMarks {
		if strings.Contains(low, m) {
			return true
		}
	}
	for i := 0; ; {
		k := strings.Index(low[i:], "bot")
		if k < 0 {
			return false
		}
		end := i + k + 3
		if end == len(low) || low[end] < 'a' || low[end] > 'z' {
			if !strings.HasSuffix(low[:i+k], "cu") { // CUBOT phones
				return true
			}
		}
		i = end
	}
}

// ignoredBeacon reports why a request is not counted, or "" to count it.
func ignoredBeacon(r *http.Request) string {
	h := r.Header
	for _, k := range []string{"Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"} {
		if v := strings.ToLower(h.Get(k)); strings.Contains(v, "prefetch") || strings.Contains(v, "preview") {
			return "prefetch"
		}
	}
	if isBot(h.Get("User-Agent")) {
		return "bot"
	}
	if v := h.Get("Referer"); v != "" {
		if ref, err := url.Parse(v); err == nil && ref.Host == r.Host {
			if p := ref.Path; strings.HasPrefix(p, "/preview/") || strings.HasPrefix(p, "/admin") {
				return "preview"
			}
		}
	}
	return ""
}

// sitePages is the set of the site's pages the beacon counts, reloaded
// when the content version moves. Beacons read the current set without a
// lock; one of them at a time reloads it.
type sitePages struct {
	src cms.SitePageService

	mu  sync.Mutex // one reload at a time
	cur atomic.Pointer[pageSet]
}

// pageSet is the site's pages at one content version.
type pageSet struct {
	pages   map[string]cms.SitePage
	version int64
	loaded  time.Time
}

func (ps *pageSet) stale(v int64, versioned bool) bool {
	return ps == nil || (versioned && v != ps.version) || (!versioned && time.Since(ps.loaded) > sitePagesMaxAge)
}

// lookup returns the page at path (normalised: pagination and index.html
// dropped), and whether the site has it.
func (sp *sitePages) lookup(ctx context.Context, s *Server, path string) (cms.SitePage, bool, error) {
	v, versioned, err := s.contentOf(ctx).versions.current(ctx)
	if err != nil {
		versioned = false
	}
	ps := sp.cur.Load()
	if ps.stale(v, versioned) {
		sp.mu.Lock()
		if ps = sp.cur.Load(); ps.stale(v, versioned) {
			list, err := sp.src.FindSitePages(ctx)
			if err != nil {
				sp.mu.Unlock()
				return cms.SitePage{}, false, err
			}
			ps = &pageSet{pages: make(map[string]cms.SitePage, len(list)), version: v, loaded: time.Now()}
			for _, p := range list {
				ps.pages[p.Path] = p
			}
			sp.cur.Store(ps)
		}
		sp.mu.Unlock()
	}
	p, ok := ps.pages[normalisePagePath(path)]
	return p, ok, nil
}

// title returns the title of the page at path, or "".
func (sp *sitePages) title(path string) string {
	if ps := sp.cur.Load(); ps != nil {
		return ps.pages[path].Title
	}
	return ""
}

// normalisePagePath is the page a path shows: unescaped, with a trailing
// slash, without index.html and without a pagination suffix (/page/N/).
func normalisePagePath(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	p = strings.TrimSuffix(p, "index.html")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	rest := p[:len(p)-1]
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return p
	}
	if n := rest[i+1:]; n == "" || strings.TrimLeft(n, "0123456789") != "" || !strings.HasSuffix(rest[:i], "/page") {
		return p
	}
	return rest[:i-len("/page")] + "/"
}

// handleBeacon counts a page view posted by stats.js. It answers 204 also
// when the view is not counted (bot, prefetch, preview), so a bot learns
// nothing; 422 names a field out of bounds or a path the site has not.
func (s *Server) handleBeacon(c *gin.Context) error {
	if s.cfg.Stats == nil {
		c.Status(http.StatusNoContent)
		return nil
	}
	s.yieldToBuild(c)
	buf := beaconBodies.Get().(*[maxBeaconBody + 1]byte)
	defer beaconBodies.Put(buf)
	n, err := io.ReadFull(c.Request.Body, buf[:])
	switch {
	case err == nil:
		return &cms.Error{Code: cms.ETOOLARGE, Message: "统计请求内容过大"}
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return cms.Errorf(cms.EBADREQUEST, "无法读取请求内容")
	}
	var req beaconRequest
	if err := cms.DecodeJSON(bytes.NewReader(buf[:n]), &req); err != nil {
		if cms.ErrorCode(err) == cms.EINVALID {
			return err
		}
		return cms.Errorf(cms.EBADREQUEST, "无法解析统计请求")
	}
	return s.countBeacon(c, &req)
}

// defaultBeaconsWhileBuilding is how many beacons a second pass in all
// while a build runs: far above what a bureau's site gets (a few a
// second), far below a flood.
const defaultBeaconsWhileBuilding = 1000

// yieldToBuild holds a beacon back, before any work on it, while this
// process builds a site and more than Config.BeaconsWhileBuilding arrive a
// second. A flood of beacons would otherwise take most of the CPU from the
// build that puts a publish live. Held back, not refused: each beacon is
// counted on its turn (or at once if its reader hangs up), and a client
// that sends one beacon after another sends fewer while it waits.
func (s *Server) yieldToBuild(c *gin.Context) {
	if s.cfg.Building == nil || !s.cfg.Building() {
		return
	}
	_ = s.duringBuild.Wait(c.Request.Context()) // an error: the reader left; count it anyway
}

// beaconBodies are the buffers beacons are read into, one byte longer
// than a beacon may be.
var beaconBodies = sync.Pool{New: func() any { return new([maxBeaconBody + 1]byte) }}

// handleBeaconImage counts a view from the <noscript> image: the page path
// is its path parameter, the referrer its ref parameter.
func (s *Server) handleBeaconImage(c *gin.Context) error {
	req := beaconRequest{Path: c.Query("path"), Referrer: c.Query("ref"), From: c.Query("from"), Src: c.Query(cms.StatsSourceParam)}
	if s.cfg.Stats != nil {
		s.yieldToBuild(c)
		if err := s.countBeacon(c, &req); err != nil {
			return err
		}
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/gif", transparentGIF)
	return nil
}

// transparentGIF is a 1×1 transparent GIF.
var transparentGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func (s *Server) countBeacon(c *gin.Context, req *beaconRequest) error {
	r := c.Request
	if why := ignoredBeacon(r); why != "" {
		c.Status(http.StatusNoContent)
		return nil
	}
	now := time.Now()
	ip := c.ClientIP()
	if ok, wait := s.beaconLimit.allow(ip, now); !ok {
		return tooMany(c, wait, "统计请求过于频繁")
	}
	if f := req.Valid(); len(f) > 0 {
		return cms.Invalid(f)
	}
	if strings.HasPrefix(req.Path, "/preview/") {
		c.Status(http.StatusNoContent)
		return nil
	}
	page, ok, err := s.contentOf(r.Context()).pages.lookup(r.Context(), s, req.Path)
	if err != nil {
		return err
	}
	if !ok {
		return cms.Invalid(map[string]string{"path": "不是本站的页面"})
	}
	salt, err := s.cfg.Stats.Salt(r.Context(), cms.StatsDayOf(now))
	if err != nil {
		return err
	}
	ua := r.Header.Get("User-Agent")
	device := req.Viewport
	if device == "" {
		device = deviceOf(ua)
	}
	source, refHost := sourceOf(req, ua, r.Host)
	site := siteID(c)
	s.cfg.Stats.Record(cms.PageView{
		SiteID: site, At: now, Path: page.Path, StoryID: page.StoryID, ProjectID: page.ProjectID,
		Visitor: visitorHash(salt, ip, ua, site), Source: source, Referrer: refHost, Device: device, Mode: req.Mode,
	})
	c.Status(http.StatusNoContent)
	return nil
}

// visitorHash identifies a visitor of one site for one day: the salt is
// random, made for the day and deleted after it, so the hash cannot be
// turned back into an address, nor linked to the same reader's hash of
// another day. The site is in the hash, not the host name: a reader is
// one visitor of a site whichever of its host names they came by, and a
// different, unlinkable one on every other site of the platform.
func visitorHash(salt []byte, ip, ua string, site int64) string {
	var buf [512]byte
	b := append(buf[:0], salt...)
	b = append(append(b, 0), ip...)
	b = append(append(b, 0), ua...)
	b = strconv.AppendInt(append(b, 0), site, 10)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

var searchHosts = []string{"baidu.", "sogou.", "so.com", "sm.cn", "bing.", "google.", "yandex.", "toutiao.", "quark.", "360.cn"}

// sourceOf classifies a view: the 阅读原文 marker first, then WeChat's
// share context, then the referrer.
func sourceOf(req *beaconRequest, ua, host string) (source, refHost string) {
	if req.Src == cms.StatsSourceArticle {
		return cms.SourceWechatArticle, ""
	}
	if src, ok := wechatFrom[req.From]; ok {
		return src, ""
	}
	if ref, err := url.Parse(req.Referrer); err == nil && ref.Host != "" && (ref.Scheme == "http" || ref.Scheme == "https") {
		rh := strings.ToLower(ref.Hostname())
		if rh == strings.ToLower(hostOnly(host)) {
			return cms.SourceInternal, ""
		}
		if strings.Contains(rh, "weixin.qq.com") || strings.Contains(rh, "wx.qq.com") {
			return cms.SourceWechatOther, rh
		}
		for _, s := range searchHosts {
			if strings.Contains(rh, s) {
				return cms.SourceSearch, rh
			}
		}
		return cms.SourceReferral, rh
	}
	if strings.Contains(ua, "MicroMessenger") {
		return cms.SourceWechatOther, ""
	}
	return cms.SourceDirect, ""
}

func hostOnly(hostport string) string {
	if u, err := url.Parse("//" + hostport); err == nil {
		return u.Hostname()
	}
	return hostport
}

var phoneUA = regexp.MustCompile(`(?i)mobile|iphone|android|micromessenger`)

// deviceOf guesses the kind of device when the page did not say (no
// JavaScript): phone, tablet or desktop.
func deviceOf(ua string) string {
	switch {
	case strings.Contains(strings.ToLower(ua), "ipad") || strings.Contains(strings.ToLower(ua), "tablet"):
		return "tablet"
	case phoneUA.MatchString(ua):
		return "phone"
	}
	return "desktop"
}
