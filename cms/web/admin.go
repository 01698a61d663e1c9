package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// Settings, users, standing pages, audit trail and builds: the admin's tools.

type settingsUpdateRequest struct {
	cms.SettingsUpdate
}

func (r *settingsUpdateRequest) Valid() map[string]string {
	return needVersion(r.Version, "缺少版本号（version）")
}

func (s *Server) handleSettingsGet(c *gin.Context) error {
	st, err := s.cfg.Settings.FindSettings(c.Request.Context())
	return reply(c, st, err)
}

func (s *Server) handleSettingsUpdate(c *gin.Context) error {
	var req settingsUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	st, err := s.cfg.Settings.UpdateSettings(ctx, req.SettingsUpdate)
	if err != nil {
		return err
	}
	if s.cfg.Publisher != nil && req.TouchesSite() {
		if _, err := s.cfg.Publisher.Rebuild(ctx, "settings.update"); err != nil {
			s.log.Warn("rebuild after settings change", "err", err)
		}
	}
	c.JSON(http.StatusOK, st)
	return nil
}

type userCreateRequest struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Role     cms.Role `json:"role"`
	Level    int      `json:"level"`
	Password string   `json:"password"`
	// PlatformAdmin and Sites are for platform admins to set: the user's
	// role in each site (an editor in one, a 复审 reviewer in another).
	PlatformAdmin bool           `json:"platform_admin"`
	Sites         []cms.SiteRole `json:"sites"`
}

func (r *userCreateRequest) Valid() map[string]string {
	return validSiteRoles(r.Sites)
}

func (s *Server) handleUserList(c *gin.Context) error {
	users, err := s.cfg.Users.FindUsers(c.Request.Context())
	if err != nil {
		return err
	}
	for i, u := range users {
		users[i] = userJSON(u)
	}
	c.JSON(http.StatusOK, listAll(users))
	return nil
}

// checkPlatformGrant refuses a change of platform admin or of roles per
// site from anyone but a platform admin: a site admin manages their own
// site's users only.
func checkPlatformGrant(c *gin.Context, grants bool) error {
	if grants && !currentUser(c).PlatformAdmin {
		return cms.Errorf(cms.EFORBIDDEN, "没有权限：只有平台管理员可以设置平台管理员和各站点的角色")
	}
	return nil
}

// applySiteRoles gives u the roles of sites and, as its role and level,
// the role in the site the request acts in (the first one listed when it
// has none there).
func applySiteRoles(c *gin.Context, u *cms.User, sites []cms.SiteRole) {
	u.Sites = sites
	r, ok := roleIn(sites, cms.SiteIDFromContext(c.Request.Context()))
	if !ok && len(sites) > 0 {
		r = sites[0]
	}
	if r.Role != "" {
		u.Role, u.Level = r.Role, r.Level
	}
}

func (s *Server) handleUserCreate(c *gin.Context) error {
	var req userCreateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if err := cms.ValidatePassword(req.Password); err != nil {
		return err
	}
	if err := checkPlatformGrant(c, req.PlatformAdmin || req.Sites != nil); err != nil {
		return err
	}
	u := &cms.User{Username: req.Username, Name: req.Name, Role: req.Role, Level: req.Level, PlatformAdmin: req.PlatformAdmin}
	if req.Sites != nil {
		applySiteRoles(c, u, req.Sites)
	}
	if err := s.cfg.Users.CreateUser(c.Request.Context(), u, req.Password); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, userJSON(u))
	return nil
}

type userUpdateRequest struct {
	// Version is the user's version the change was based on.
	Version  int       `json:"version"`
	Name     *string   `json:"name"`
	Role     *cms.Role `json:"role"`
	Level    *int      `json:"level"`
	Disabled *bool     `json:"disabled"`
	Password string    `json:"password"`
	// For platform admins: platform admin or not, and the roles per site
	// (the whole list, replacing the old one).
	PlatformAdmin *bool           `json:"platform_admin"`
	Sites         *[]cms.SiteRole `json:"sites"`
}

func (r *userUpdateRequest) Valid() map[string]string {
	if r.Version < 1 {
		return map[string]string{"version": "缺少版本号（version），请先获取用户的最新信息"}
	}
	if r.Sites != nil {
		return validSiteRoles(*r.Sites)
	}
	return nil
}

func (s *Server) handleUserUpdate(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req userUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if req.Password != "" {
		if err := cms.ValidatePassword(req.Password); err != nil {
			return err
		}
	}
	if err := checkPlatformGrant(c, req.PlatformAdmin != nil || req.Sites != nil); err != nil {
		return err
	}
	ctx := c.Request.Context()
	u, err := s.cfg.Users.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	u.Version = req.Version // the store refuses it if the user changed since
	if req.Name != nil {
		u.Name = *req.Name
	}
	if req.Role != nil {
		u.Role = *req.Role
	}
	if req.Level != nil {
		u.Level = *req.Level
	}
	if req.Disabled != nil {
		if *req.Disabled && u.ID == currentUser(c).ID {
			return cms.Invalid(map[string]string{"disabled": "不能停用自己的账号"})
		}
		u.Disabled = *req.Disabled
	}
	if req.PlatformAdmin != nil {
		if !*req.PlatformAdmin && u.ID == currentUser(c).ID {
			return cms.Invalid(map[string]string{"platform_admin": "不能取消自己的平台管理员身份"})
		}
		u.PlatformAdmin = *req.PlatformAdmin
	}
	if req.Sites != nil {
		applySiteRoles(c, u, *req.Sites)
	}
	if err := s.cfg.Users.UpdateUser(ctx, u, req.Password); err != nil {
		return err
	}
	c.JSON(http.StatusOK, userJSON(u))
	return nil
}

type pageRequest struct {
	Slug     string `json:"slug"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Position int    `json:"position"`
	Version  int    `json:"version"`
}

func (s *Server) handlePageList(c *gin.Context) error {
	pages, err := s.cfg.Pages.FindPages(c.Request.Context())
	return reply(c, listAll(pages), err)
}

// handlePageSave creates (POST) or replaces (PUT /pages/{id}) a standing page.
func (s *Server) handlePageSave(c *gin.Context) error {
	var id int64
	if c.Param("id") != "" {
		var err error
		if id, err = idParam(c, "id"); err != nil {
			return err
		}
	}
	var req pageRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	p := &cms.StandingPage{ID: id, Slug: req.Slug, Title: req.Title, Body: req.Body, Position: req.Position, Version: req.Version}
	ctx := c.Request.Context()
	if err := s.cfg.Pages.SavePage(ctx, p); err != nil {
		return err
	}
	s.queueBuild(ctx, "page.save "+p.Slug)
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	c.JSON(status, p)
	return nil
}

func (s *Server) handlePageDelete(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := s.cfg.Pages.DeletePage(ctx, id); err != nil {
		return err
	}
	s.queueBuild(ctx, "page.delete")
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) handleAuditList(c *gin.Context) error {
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	f := cms.AuditFilter{Page: p, Object: c.Query("object"), Action: c.Query("action")}
	switch c.Query("order") {
	case "", "asc":
	case "desc":
		f.NewestFirst = true
	default:
		fields["order"] = "排序只能是 asc（最早的在前）或 desc（最新的在前）"
	}
	if v := c.Query("actor_id"); v != "" {
		if f.ActorID, err = strconv.ParseInt(v, 10, 64); err != nil {
			fields["actor_id"] = "操作人编号必须是整数"
		}
	}
	f.Since, f.Until = timeQuery(c, "since", fields), timeQuery(c, "until", fields)
	if len(fields) > 0 {
		return cms.Invalid(fields)
	}
	items, total, err := s.cfg.Audit.FindAuditEvents(c.Request.Context(), f)
	return reply(c, newList(items, total, p), err)
}

func (s *Server) handleBuildList(c *gin.Context) error {
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	items, total, err := s.cfg.Builds.FindBuilds(c.Request.Context(), p)
	return reply(c, newList(items, total, p), err)
}

func (s *Server) handleBuildGet(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	b, err := s.cfg.Builds.FindBuildByID(c.Request.Context(), id)
	return reply(c, b, err)
}

// handleBuildCreate starts a full rebuild, e.g. after the theme changed.
func (s *Server) handleBuildCreate(c *gin.Context) error {
	if s.cfg.Publisher == nil {
		return cms.Errorf(cms.EUNAVAILABLE, "发布服务未启用")
	}
	b, err := s.cfg.Publisher.Rebuild(c.Request.Context(), "manual rebuild by "+currentUser(c).Username)
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, b)
	return nil
}
