package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// registerRoutes lists every route Huimin serves. Reading this file tells
// you the whole HTTP surface.
func (s *Server) registerRoutes() {
	e := s.engine
	e.GET("/healthz", s.handle(s.handleHealth))
	e.HEAD("/healthz", s.handle(s.handleHealth))
	e.GET("/readyz", s.handle(s.handleReady))

	api := e.Group("/api/v1")
	api.POST("/auth/login", s.handle(s.handleLogin))
	api.GET("/openapi.json", s.cors, s.handle(s.handleOpenAPI))
	api.OPTIONS("/openapi.json", s.cors, s.handle(s.handlePreflight))

	s.registerContentRoutes(api.Group("/content", s.cors, s.limitContent))
	// Page-view beacons have their own per-client limit (beacon.go).
	api.POST("/beacon", s.handle(s.handleBeacon))
	api.GET("/beacon.gif", s.handle(s.handleBeaconImage))

	// A signed-in user's own account answers in any site; everything else
	// needs a role in the site the call acts in.
	account := api.Group("", s.authenticate)
	account.POST("/auth/logout", s.handle(s.handleLogout))
	account.GET("/auth/me", s.handle(s.handleMe))
	staff := api.Group("", s.authenticate, s.requireSiteRole, s.noteContentChange)
	s.registerStoryRoutes(staff)
	s.registerProjectRoutes(staff)
	s.registerMediaRoutes(staff)
	s.registerBuildRoutes(staff)
	s.registerAdminRoutes(staff)
	s.registerSiteRoutes(staff)
	s.registerOverviewRoutes(staff)
	s.registerReviewRoutes(staff)
	s.registerStatsRoutes(staff)
	s.registerInspectionRoutes(staff)
	s.registerInteractRoutes(e, staff)

	// Signed, expiring preview links of unpublished versions; noindex.
	e.GET("/preview/:token", s.handle(s.handlePreview))

	e.GET("/media/:hash/:file", s.handle(s.handleMediaFile))
	e.HEAD("/media/:hash/:file", s.handle(s.handleMediaFile))

	if s.cfg.Admin != nil {
		admin := gin.WrapH(http.StripPrefix("/admin", s.cfg.Admin))
		e.GET("/admin", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/admin/") })
		e.GET("/admin/*path", admin)
		e.HEAD("/admin/*path", admin)
	}
	e.NoRoute(s.handle(s.handleNoRoute))
	e.NoMethod(func(c *gin.Context) {
		s.writeError(c, &cms.Error{Code: cms.EBADREQUEST, Message: "不支持的请求方法：" + c.Request.Method})
	})
}

func (s *Server) registerContentRoutes(g *gin.RouterGroup) {
	g.GET("/stories", s.content(s.parseContentStories))
	g.GET("/stories/:slug", s.content(s.parseContentStory))
	g.GET("/projects", s.content(s.parseContentProjects))
	g.GET("/tags", s.content(s.parseContentTags))
	g.GET("/pages", s.content(s.parseContentPages))
	g.GET("/site", s.content(s.parseContentSite))
	g.GET("/projects/:slug", s.content(s.parseContentProject))
	g.HEAD("/stories", s.content(s.parseContentStories))
	g.HEAD("/stories/:slug", s.content(s.parseContentStory))
	g.HEAD("/projects", s.content(s.parseContentProjects))
	g.HEAD("/projects/:slug", s.content(s.parseContentProject))
	g.HEAD("/tags", s.content(s.parseContentTags))
	g.HEAD("/pages", s.content(s.parseContentPages))
	g.HEAD("/site", s.content(s.parseContentSite))
	g.OPTIONS("/*path", s.handle(s.handlePreflight)) // CORS preflight, answered by s.cors
	g.GET("/wechat/signature", s.handle(s.handleWechatSignature(newJSSDK(s.cfg.Settings, nil))))
	stats := s.requireService(s.cfg.Stats != nil, errStatsOff)
	g.GET("/stats", stats, s.handle(s.handleContentStats))
	g.GET("/ranking", stats, s.handle(s.handleContentRanking))
	interact := s.requireService(s.cfg.Interact != nil, errInteractOff)
	g.GET("/satisfaction", interact, s.handle(s.handleContentSatisfaction))
	g.GET("/replies", interact, s.handle(s.handleContentReplies))
}

// registerInteractRoutes is the public's voice (issue 17): forms and pages
// the server renders for the public site, and the inbox for staff.
func (s *Server) registerInteractRoutes(e *gin.Engine, staff *gin.RouterGroup) {
	// Without cfg.Interact the forms still render (the lookup's too, until
	// a code is asked about); whatever reads or stores the public's voice
	// answers 404.
	on := s.requireService(s.cfg.Interact != nil, errInteractOff)
	e.GET("/interact/token", s.handle(s.handleFormToken))
	e.GET("/interact/rate", s.handle(s.handleRateForm))
	e.POST("/interact/rate", on, s.handle(s.handleRatePost))
	e.GET("/interact/message", s.handle(s.handleMessageForm))
	e.POST("/interact/message", on, s.handle(s.handleMessagePost))
	e.GET("/interact/lookup", s.handle(s.handleLookup))
	e.GET("/interact/replies/", on, s.handle(s.handleRepliesPage))
	e.GET("/interact/results/", on, s.handle(s.handleResultsPage))
	e.GET("/interact/results/:project/", on, s.handle(s.handleResultsPage))

	admin := s.requireRole(cms.RoleAdmin)
	staff.GET("/interact/messages", on, s.handle(s.handleMessageList))
	staff.GET("/interact/messages/:id", on, s.handle(s.handleMessageGet))
	staff.POST("/interact/messages/:id/actions/:action", on, s.handle(s.handleMessageAction))
	staff.GET("/interact/ratings", on, s.handle(s.handleRatingList))
	staff.GET("/interact/summary", on, s.handle(s.handleInteractSummary))
	staff.GET("/interact/report", on, s.handle(s.handleInteractReport))
	staff.GET("/interact/report/export", on, s.handle(s.handleInteractExport))
	staff.GET("/interact/settings", on, s.handle(s.handleInteractSettingsGet))
	staff.PATCH("/interact/settings", admin, on, s.handle(s.handleInteractSettingsUpdate))
}

// registerStatsRoutes is the 数据统计 screen: reports and exports for
// staff, the switches for admins.
func (s *Server) registerStatsRoutes(g *gin.RouterGroup) {
	on := s.requireService(s.cfg.Stats != nil, errStatsOff)
	g.GET("/stats/report", on, s.handle(s.handleStatsReport))
	g.GET("/stats/export", s.handle(s.handleStatsExport)) // s.report checks, after the format
	g.POST("/stats/flush", on, s.handle(s.handleStatsFlush))
	g.GET("/stats/settings", on, s.handle(s.handleStatsSettingsGet))
	g.PATCH("/stats/settings", s.requireRole(cms.RoleAdmin), on, s.handle(s.handleStatsSettingsUpdate))
}

func (s *Server) registerStoryRoutes(g *gin.RouterGroup) {
	g.GET("/stories", s.handle(s.handleStoryList))
	g.POST("/stories", s.requireRole(cms.RoleAdmin, cms.RoleEditor, cms.RoleReviewer), s.handle(s.handleStoryCreate))
	g.GET("/stories/:id", s.handle(s.handleStoryGet))
	g.PATCH("/stories/:id", s.handle(s.handleStoryUpdate))
	g.DELETE("/stories/:id", s.handle(s.handleStoryDelete))
	g.GET("/stories/:id/revisions", s.handle(s.handleStoryRevisions))
	g.GET("/stories/:id/signoffs", s.handle(s.handleStorySignOffs))
	g.POST("/stories/:id/actions/:action", s.handle(s.handleStoryAction))
	g.GET("/stories/:id/share", s.handle(s.handleStoryShare))
	g.GET("/stories/:id/qr.png", s.handle(s.handleStoryQR))
	g.GET("/stories/:id/wechat-draft", s.handle(s.handleWechatDraftGet))
	g.POST("/stories/:id/wechat-draft", s.handle(s.handleWechatDraftSend))
	g.GET("/stories/:id/wechat-draft/preview", s.handle(s.handleWechatDraftPreview))
}

func (s *Server) registerReviewRoutes(g *gin.RouterGroup) {
	g.GET("/review/inbox", s.handle(s.handleReviewInbox))
	g.GET("/stories/:id/diff", s.handle(s.handleStoryDiff))
	g.POST("/stories/:id/revisions/:version/restore", s.handle(s.handleStoryRestore))
	g.GET("/stories/:id/check", s.handle(s.handleStoryCheck))
	g.POST("/stories/:id/preview", s.handle(s.handleStoryPreviewLink))
	admin := s.requireRole(cms.RoleAdmin)
	g.GET("/dictionary", s.handle(s.handleDictionaryList))
	g.POST("/dictionary", admin, s.handle(s.handleDictionaryCreate))
	g.PATCH("/dictionary/:id", admin, s.handle(s.handleDictionaryUpdate))
	g.DELETE("/dictionary/:id", admin, s.handle(s.handleDictionaryDelete))
}

func (s *Server) registerProjectRoutes(g *gin.RouterGroup) {
	admin := s.requireRole(cms.RoleAdmin)
	g.GET("/projects", s.handle(s.handleProjectList))
	g.POST("/projects", admin, s.handle(s.handleProjectCreate))
	g.GET("/projects/:id", s.handle(s.handleProjectGet))
	g.PATCH("/projects/:id", admin, s.handle(s.handleProjectUpdate))
	g.DELETE("/projects/:id", admin, s.handle(s.handleProjectDelete))
	g.GET("/brands", s.handle(s.handleBrandList))
	g.POST("/brands", admin, s.handle(s.handleBrandCreate))
	g.PUT("/brands/:id", admin, s.handle(s.handleBrandUpdate))
}

func (s *Server) registerMediaRoutes(g *gin.RouterGroup) {
	g.POST("/media", s.handle(s.handleMediaUpload))
	g.GET("/media", s.handle(s.handleMediaList))
	g.GET("/media/:id", s.handle(s.handleMediaGet))
	g.PATCH("/media/:id", s.handle(s.handleMediaUpdate))
	g.DELETE("/media/:id", s.handle(s.handleMediaDelete))
}

func (s *Server) registerBuildRoutes(g *gin.RouterGroup) {
	g.GET("/builds", s.handle(s.handleBuildList))
	g.GET("/builds/:id", s.handle(s.handleBuildGet))
	g.POST("/builds", s.requireRole(cms.RoleAdmin), s.handle(s.handleBuildCreate))
}

// registerSiteRoutes is the platform's sites (站点管理, issue 15).
func (s *Server) registerSiteRoutes(g *gin.RouterGroup) {
	on := s.requireService(s.cfg.Sites != nil, cms.Errorf(cms.EUNAVAILABLE, "站点服务未启用"))
	g.GET("/sites", on, s.handle(s.handleSiteList))
	g.POST("/sites", s.requirePlatformAdmin, on, s.handle(s.handleSiteCreate))
	g.PUT("/sites/:id", s.requirePlatformAdmin, on, s.handle(s.handleSiteUpdate))
}

// registerOverviewRoutes is the city overview's 全市服务品牌 (issue 15):
// highlights chosen from the other sites, on the site with overview on.
func (s *Server) registerOverviewRoutes(g *gin.RouterGroup) {
	editors := s.requireRole(cms.RoleAdmin, cms.RoleEditor)
	on := s.requireService(s.cfg.Overview != nil, cms.Errorf(cms.EUNAVAILABLE, "全市概览服务未启用"))
	g.GET("/highlights", on, s.handle(s.handleHighlightList))
	g.POST("/highlights", editors, on, s.handle(s.handleHighlightAdd))
	g.GET("/highlights/candidates", editors, on, s.handle(s.handleHighlightCandidates))
	g.PUT("/highlights/order", editors, on, s.handle(s.handleHighlightReorder))
	g.DELETE("/highlights/:id", editors, on, s.handle(s.handleHighlightRemove))
}

func (s *Server) registerAdminRoutes(g *gin.RouterGroup) {
	admin := s.requireRole(cms.RoleAdmin)
	g.GET("/settings", s.handle(s.handleSettingsGet))
	g.PATCH("/settings", admin, s.handle(s.handleSettingsUpdate))
	g.GET("/users", admin, s.handle(s.handleUserList))
	g.POST("/users", admin, s.handle(s.handleUserCreate))
	g.PATCH("/users/:id", admin, s.handle(s.handleUserUpdate))
	g.DELETE("/users/:id/lockout", admin, s.handle(s.handleUserUnlock))
	g.GET("/pages", s.handle(s.handlePageList))
	g.POST("/pages", admin, s.handle(s.handlePageSave))
	g.PUT("/pages/:id", admin, s.handle(s.handlePageSave))
	g.DELETE("/pages/:id", admin, s.handle(s.handlePageDelete))
	g.GET("/audit", admin, s.handle(s.handleAuditList))
	keys := s.requireService(s.cfg.APIKeys != nil, cms.Errorf(cms.EUNAVAILABLE, "接口密钥服务未启用"))
	g.GET("/apikeys", admin, keys, s.handle(s.handleAPIKeyList))
	g.POST("/apikeys", admin, keys, s.handle(s.handleAPIKeyCreate))
	g.DELETE("/apikeys/:id", admin, keys, s.handle(s.handleAPIKeyRevoke))
}

// handleNoRoute sends API misses a JSON 404 and everything else to the
// public site, which answers with its own 404 page.
func (s *Server) handleNoRoute(c *gin.Context) error {
	p := c.Request.URL.Path
	if strings.HasPrefix(p, "/api/") || (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
		return cms.Errorf(cms.ENOTFOUND, "接口不存在：%s %s", c.Request.Method, p)
	}
	if s.serveWechatVerify(c) {
		return nil
	}
	if s.cfg.Site == nil {
		return cms.Errorf(cms.EUNAVAILABLE, "网站尚未生成")
	}
	s.cfg.Site.ServeHTTP(c.Writer, c.Request)
	return nil
}

// serveWechatVerify answers /MP_verify_<code>.txt when it is the file named
// in the settings: WeChat fetches it to check the site's domain before the
// site's pages may use the JS-SDK. No build is needed for it.
func (s *Server) serveWechatVerify(c *gin.Context) bool {
	name := strings.TrimPrefix(c.Request.URL.Path, "/")
	code := cms.WechatVerifyCode(name)
	if code == "" || s.cfg.Settings == nil {
		return false
	}
	st, err := s.cfg.Settings.FindSettings(c.Request.Context())
	if err != nil || st.WechatVerifyFile != name {
		return false
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(code))
	return true
}

// readyResponse is /readyz: /healthz's answer and, for load balancers and
// operators of several replicas, what this one does.
type readyResponse struct {
	healthResponse
	cms.ReplicaStatus
}

// handleReady answers 200 when this process serves a site and reaches its
// database, 503 otherwise; the body says whether it builds, the queue
// depth and the age of the live site either way.
func (s *Server) handleReady(c *gin.Context) error {
	ctx := c.Request.Context()
	h, code := s.health(ctx)
	resp := readyResponse{healthResponse: h}
	if s.cfg.Replica != nil {
		st, err := s.cfg.Replica(ctx)
		if err != nil && code == http.StatusOK {
			resp.Status, resp.Error, code = "degraded", cms.ErrorMessage(err), http.StatusServiceUnavailable
		}
		resp.ReplicaStatus = st
	}
	c.JSON(code, resp)
	return nil
}

type healthResponse struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (s *Server) handleHealth(c *gin.Context) error {
	h, code := s.health(c.Request.Context())
	c.JSON(code, h)
	return nil
}

// health is what /healthz and /readyz both say: closing, starting (and
// why) or ok, with its status code.
func (s *Server) health(ctx context.Context) (healthResponse, int) {
	if s.closing.Load() {
		return healthResponse{Status: "closing"}, http.StatusServiceUnavailable
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(ctx); err != nil {
			return healthResponse{Status: "starting", Error: cms.ErrorMessage(err)}, http.StatusServiceUnavailable
		}
	}
	return healthResponse{Status: "ok"}, http.StatusOK
}
