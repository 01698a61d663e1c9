// Package web is Huimin's HTTP layer: the management API, the public content
// API, the admin UI and the public site, on one Gin engine. It reaches
// storage and publishing only through the cms interfaces.
package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// Config wires the server to its collaborators. Everything is injected; the
// package keeps no globals.
type Config struct {
	Stories   cms.StoryService
	Projects  cms.ProjectService
	Users     cms.UserService
	Settings  cms.SettingsService
	Pages     cms.PageService
	Builds    cms.BuildService
	Audit     cms.AuditService
	Media     cms.MediaService
	Content   cms.ContentService
	Publisher cms.Publisher

	// Logins keeps the login limits replicas share (login_limit.go); login
	// fails without it. LoginClock is the limits' clock, time.Now when nil:
	// tests hold it still so a wait of a second never runs out between
	// two requests of a slow machine.
	Logins     cms.LoginThrottleService
	LoginClock func() time.Time

	// The editorial workflow: revisions, review inbox, wording dictionary
	// and checks, and previews signed with PreviewKey (kept server-side).
	Revisions  cms.RevisionService
	Review     cms.ReviewService
	Dictionary cms.DictionaryService
	Checks     cms.CheckService
	Previewer  cms.Previewer
	PreviewKey []byte

	// Ingest is the media pipeline: uploads, pasted pictures, media files.
	Ingest cms.MediaIngester

	// Site serves the public site (latest good build); Admin serves the admin UI.
	Site  http.Handler
	Admin http.Handler

	// Ready reports whether the server may answer /healthz with 200.
	Ready func(ctx context.Context) error
	// Replica, when set, says what GET /readyz reports besides readiness:
	// builder or not, queue depth, the live build and its age.
	Replica func(ctx context.Context) (cms.ReplicaStatus, error)

	Logger   *slog.Logger
	TokenTTL time.Duration
	// MaxJSONBytes bounds request bodies of JSON endpoints.
	MaxJSONBytes int64
	// MaxUploadBytes bounds media uploads.
	MaxUploadBytes int64
	// TrustedProxies lists proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// RemoteImageHosts lists the hosts (host or host:port) whose pictures,
	// pasted into a story body, are copied into the media library on save
	// (remote_images.go). RemoteTransport fetches them; nil means one that
	// refuses internal addresses (remote_guard.go), which an injected
	// transport must do itself.
	RemoteImageHosts []string
	RemoteTransport  http.RoundTripper
	// RemoteAllowPrivate lets the fetcher reach loopback, private and other
	// internal addresses (tests, a picture server on an intranet).
	RemoteAllowPrivate bool
	// RemoteAllowHTTP lets the fetcher fall back to plain http when https
	// fails for an http:// picture.
	RemoteAllowHTTP bool

	// The content delivery API (content.go, cache.go, ratelimit.go, cors.go).
	// ContentVersion keys the memory cache; nil turns that cache off.
	ContentVersion cms.ContentVersionService
	APIKeys        cms.APIKeyService
	// ContentVersionMaxAge bounds how long a change made by another process
	// (an import, another replica) takes to reach the cache; default 1s.
	ContentVersionMaxAge time.Duration
	// ContentCacheBytes bounds the memory cache; default 64 MiB.
	ContentCacheBytes int
	// ContentMaxAge is the Cache-Control max-age of content answers; default 30s.
	ContentMaxAge time.Duration
	// ContentRate limits anonymous content reads per client address, in
	// requests a second with bursts of ContentBurst (default 4×); 0 = no limit.
	ContentRate  float64
	ContentBurst int
	// CORSOrigins lists the origins whose pages may read the content API
	// from a browser; "*" allows any, none turns CORS off.
	CORSOrigins []string

	// Reach statistics (beacon.go, stats.go): where page views go, the
	// site's pages the beacon counts, and the beacon's per-client rate
	// (0: 1 a second with bursts of 20; negative: no limit).
	Stats       cms.StatsService
	SitePages   cms.SitePageService
	BeaconRate  float64
	BeaconBurst int
	// Building reports whether this process is building a site now. While
	// it is, beacons are let through at most BeaconsWhileBuilding a second
	// in all (0: 1,000; bursts of a tenth of that), the others held back
	// until their turn, so a flood of page views leaves a publish the CPU
	// (beacon.go). Nil: beacons are never held back.
	Building             func() bool
	BeaconsWhileBuilding float64

	// Wechat sends stories to the 公众号 as drafts (wechat_draft.go); nil
	// turns those routes off.
	Wechat cms.WechatDrafts

	// Inspection runs the 网站体检 (check.go); nil leaves its routes out.
	Inspection *Inspection

	// Overview keeps the city overview's highlights (overview.go); nil
	// answers those routes with 503.
	Overview cms.OverviewService

	// Interact keeps the public's ratings and messages (interact.go); nil
	// answers those routes with 404. InteractRate limits posts per client address
	// (0: one every 20 s with bursts of 5; negative: no limit).
	Interact      cms.InteractService
	InteractRate  float64
	InteractBurst int

	// Sites lists the platform's sites, to find the site of a request by
	// its Host or Huimin-Site header (sitescope.go), and manages them for
	// platform admins (sites.go); nil serves the default site only, and
	// the /sites routes answer 503.
	Sites cms.SiteService
}

// Server is the HTTP server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	engine  *gin.Engine
	limiter *loginLimiter
	closing atomic.Bool

	remoteOnce   sync.Once
	remote       *http.Client // fetches pasted pictures
	remoteFailed sync.Map     // src → time.Time of its last failed fetch

	contentState // content delivery: cache, limits, CORS (content_server.go)
	statsState   // reach statistics: beacon limits, site pages, public answers (stats.go)

	interact interactState // the public's ratings and messages: form key, post limits (interact.go)

	sites   *siteDirectory // the platform's sites by host (sitescope.go)
	proxies []*net.IPNet   // cfg.TrustedProxies: whose X-Forwarded-Host is believed (sitescope.go)
}

// New returns a server with every route registered. Gin's mode is a
// process-wide setting, so New leaves it alone: the command sets release
// mode once at start-up (gin.SetMode), tests in their TestMain.
func New(cfg Config) *Server {
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.MaxJSONBytes == 0 {
		cfg.MaxJSONBytes = 32 << 20
	}
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = 30 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LoginClock == nil {
		cfg.LoginClock = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, limiter: newLoginLimiter(cfg.Logins), sites: &siteDirectory{src: cfg.Sites}}
	s.contentState = newContentState(cfg)
	s.statsState = newStatsState(cfg)
	s.interact = newInteractState(cfg)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		// Gin would keep its default, trusting every client: trust none.
		s.log.Error("trusted proxies: trusting none", "err", err)
		_ = e.SetTrustedProxies(nil)
	} else {
		s.proxies = proxyNets(cfg.TrustedProxies)
	}
	e.Use(s.recoverer(), s.requestLog(), s.securityHeaders, s.siteScope)
	s.engine = e
	s.registerRoutes()
	return s
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// SetClosing makes /healthz report 503 so load balancers drain this process
// before it shuts down.
func (s *Server) SetClosing() { s.closing.Store(true) }

// recoverer turns a panic into a generic 500 and logs it with the stack.
func (s *Server) recoverer() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, rec any) {
		s.log.Error("panic in handler", "method", c.Request.Method, "path", c.Request.URL.Path, "panic", rec)
		s.writeError(c, cms.Errorf(cms.EINTERNAL, "panic"))
	})
}

func (s *Server) requestLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		// Checked first: the attributes cost more to build than a beacon
		// costs to count, and debug lines are rarely wanted.
		if !s.log.Enabled(c.Request.Context(), level) {
			return
		}
		s.log.Log(c.Request.Context(), level, "http",
			"method", c.Request.Method, "path", c.Request.URL.Path, "status", status,
			"bytes", c.Writer.Size(), "duration", time.Since(start))
	}
}
