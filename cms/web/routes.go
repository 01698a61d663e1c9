package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// registerRoutes lists every route Huimin serves. Reading this file tells
// you the whole HTTP surface.
func (s *Server) registerRoutes() {
	e := s.engine
	e.GET("/healthz", s.handleHealth)
	e.HEAD("/healthz", s.handleHealth)

	api := e.Group("/api/v1")
	api.POST("/auth/login", s.handleLogin)
	api.GET("/openapi.json", s.cors, s.handleOpenAPI)
	api.OPTIONS("/openapi.json", s.cors, s.handlePreflight)

	s.registerContentRoutes(api.Group("/content", s.cors, s.limitContent))

	staff := api.Group("", s.authenticate, s.noteContentChange)
	staff.POST("/auth/logout", s.handleLogout)
	staff.GET("/auth/me", s.handleMe)
	s.registerStoryRoutes(staff)
	s.registerProjectRoutes(staff)
	s.registerMediaRoutes(staff)
	s.registerBuildRoutes(staff)
	s.registerAdminRoutes(staff)
	s.registerReviewRoutes(staff)

	// Signed, expiring preview links of unpublished versions; noindex.
	e.GET("/preview/:token", s.handlePreview)

	e.GET("/media/:hash/:file", s.handleMediaFile)
	e.HEAD("/media/:hash/:file", s.handleMediaFile)

	if s.cfg.Admin != nil {
		admin := gin.WrapH(http.StripPrefix("/admin", s.cfg.Admin))
		e.GET("/admin", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/admin/") })
		e.GET("/admin/*path", admin)
		e.HEAD("/admin/*path", admin)
	}
	e.NoRoute(s.handleNoRoute)
	e.NoMethod(func(c *gin.Context) {
		s.writeError(c, &cms.Error{Code: cms.EBADREQUEST, Message: "不支持的请求方法：" + c.Request.Method})
	})
}

func (s *Server) registerContentRoutes(g *gin.RouterGroup) {
	g.GET("/stories", s.handleContentStories)
	g.GET("/stories/:slug", s.handleContentStory)
	g.GET("/projects", s.handleContentProjects)
	g.GET("/tags", s.handleContentTags)
	g.GET("/pages", s.handleContentPages)
	g.GET("/site", s.handleContentSite)
	g.GET("/projects/:slug", s.handleContentProject)
	g.HEAD("/stories", s.handleContentStories)
	g.HEAD("/stories/:slug", s.handleContentStory)
	g.HEAD("/projects", s.handleContentProjects)
	g.HEAD("/projects/:slug", s.handleContentProject)
	g.HEAD("/tags", s.handleContentTags)
	g.HEAD("/pages", s.handleContentPages)
	g.HEAD("/site", s.handleContentSite)
	g.OPTIONS("/*path", s.handlePreflight) // CORS preflight, answered by s.cors
	g.GET("/wechat/signature", s.handleWechatSignature(newJSSDK(s.cfg.Settings, nil)))
}

func (s *Server) registerStoryRoutes(g *gin.RouterGroup) {
	g.GET("/stories", s.handleStoryList)
	g.POST("/stories", s.requireRole(cms.RoleAdmin, cms.RoleEditor, cms.RoleReviewer), s.handleStoryCreate)
	g.GET("/stories/:id", s.handleStoryGet)
	g.PATCH("/stories/:id", s.handleStoryUpdate)
	g.DELETE("/stories/:id", s.handleStoryDelete)
	g.GET("/stories/:id/revisions", s.handleStoryRevisions)
	g.GET("/stories/:id/signoffs", s.handleStorySignOffs)
	g.POST("/stories/:id/actions/:action", s.handleStoryAction)
	g.GET("/stories/:id/share", s.handleStoryShare)
	g.GET("/stories/:id/qr.png", s.handleStoryQR)
}

func (s *Server) registerReviewRoutes(g *gin.RouterGroup) {
	g.GET("/review/inbox", s.handleReviewInbox)
	g.GET("/stories/:id/diff", s.handleStoryDiff)
	g.POST("/stories/:id/revisions/:version/restore", s.handleStoryRestore)
	g.GET("/stories/:id/check", s.handleStoryCheck)
	g.POST("/stories/:id/preview", s.handleStoryPreviewLink)
	admin := s.requireRole(cms.RoleAdmin)
	g.GET("/dictionary", s.handleDictionaryList)
	g.POST("/dictionary", admin, s.handleDictionaryCreate)
	g.PATCH("/dictionary/:id", admin, s.handleDictionaryUpdate)
	g.DELETE("/dictionary/:id", admin, s.handleDictionaryDelete)
}

func (s *Server) registerProjectRoutes(g *gin.RouterGroup) {
	admin := s.requireRole(cms.RoleAdmin)
	g.GET("/projects", s.handleProjectList)
	g.POST("/projects", admin, s.handleProjectCreate)
	g.GET("/projects/:id", s.handleProjectGet)
	g.PATCH("/projects/:id", admin, s.handleProjectUpdate)
	g.DELETE("/projects/:id", admin, s.handleProjectDelete)
	g.GET("/brands", s.handleBrandList)
	g.POST("/brands", admin, s.handleBrandCreate)
	g.PUT("/brands/:id", admin, s.handleBrandUpdate)
}

func (s *Server) registerMediaRoutes(g *gin.RouterGroup) {
	g.POST("/media", s.handleMediaUpload)
	g.GET("/media", s.handleMediaList)
	g.GET("/media/:id", s.handleMediaGet)
	g.PATCH("/media/:id", s.handleMediaUpdate)
	g.DELETE("/media/:id", s.handleMediaDelete)
}

func (s *Server) registerBuildRoutes(g *gin.RouterGroup) {
	g.GET("/builds", s.handleBuildList)
	g.GET("/builds/:id", s.handleBuildGet)
	g.POST("/builds", s.requireRole(cms.RoleAdmin), s.handleBuildCreate)
}

func (s *Server) registerAdminRoutes(g *gin.RouterGroup) {
	admin := s.requireRole(cms.RoleAdmin)
	g.GET("/settings", s.handleSettingsGet)
	g.PATCH("/settings", admin, s.handleSettingsUpdate)
	g.GET("/users", admin, s.handleUserList)
	g.POST("/users", admin, s.handleUserCreate)
	g.PATCH("/users/:id", admin, s.handleUserUpdate)
	g.GET("/pages", s.handlePageList)
	g.POST("/pages", admin, s.handlePageSave)
	g.PUT("/pages/:id", admin, s.handlePageSave)
	g.DELETE("/pages/:id", admin, s.handlePageDelete)
	g.GET("/audit", admin, s.handleAuditList)
	g.GET("/apikeys", admin, s.handleAPIKeyList)
	g.POST("/apikeys", admin, s.handleAPIKeyCreate)
	g.DELETE("/apikeys/:id", admin, s.handleAPIKeyRevoke)
}

// handleNoRoute sends API misses a JSON 404 and everything else to the
// public site, which answers with its own 404 page.
func (s *Server) handleNoRoute(c *gin.Context) {
	p := c.Request.URL.Path
	if strings.HasPrefix(p, "/api/") || (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
		s.writeError(c, cms.Errorf(cms.ENOTFOUND, "接口不存在：%s %s", c.Request.Method, p))
		return
	}
	if s.serveWechatVerify(c) {
		return
	}
	if s.cfg.Site == nil {
		s.writeError(c, cms.Errorf(cms.EUNAVAILABLE, "网站尚未生成"))
		return
	}
	s.cfg.Site.ServeHTTP(c.Writer, c.Request)
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

type healthResponse struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func (s *Server) handleHealth(c *gin.Context) {
	if s.closing.Load() {
		c.JSON(http.StatusServiceUnavailable, healthResponse{Status: "closing"})
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.Request.Context()); err != nil {
			c.JSON(http.StatusServiceUnavailable, healthResponse{Status: "starting", Error: cms.ErrorMessage(err)})
			return
		}
	}
	c.JSON(http.StatusOK, healthResponse{Status: "ok"})
}
