package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// Sites (站点) of a platform that hosts several bureaus (issue 15): every
// user lists the sites they work in, for the admin UI's site switcher;
// platform admins create sites and change them.

// siteRequest is the body of POST /sites and PUT /sites/{id}. The slug is
// set when a site is created and never changes; a PUT may repeat it.
type siteRequest struct {
	Slug     string   `json:"slug"`
	Name     string   `json:"name"`
	Hosts    []string `json:"hosts"`
	Overview bool     `json:"overview"`
	Version  int      `json:"version"`
}

// requirePlatformAdmin lets only platform admins through: site admins
// manage their own site, not the platform's list of sites.
func (s *Server) requirePlatformAdmin(c *gin.Context) {
	if u := currentUser(c); u == nil || !u.PlatformAdmin {
		s.writeError(c, cms.Errorf(cms.EFORBIDDEN, "没有权限：此操作仅限平台管理员"))
		return
	}
	c.Next()
}

// handleSiteList answers a platform admin with every site and anyone else
// with the sites they have a role in, default site first.
func (s *Server) handleSiteList(c *gin.Context) error {
	sites, err := s.cfg.Sites.FindSites(c.Request.Context())
	if err != nil {
		return err
	}
	if u := currentUser(c); !u.PlatformAdmin {
		mine := map[int64]bool{}
		for _, r := range u.Sites {
			mine[r.SiteID] = true
		}
		kept := sites[:0:0]
		for _, st := range sites {
			if mine[st.ID] {
				kept = append(kept, st)
			}
		}
		sites = kept
	}
	for _, st := range sites {
		normalizeSite(st)
	}
	c.JSON(http.StatusOK, listAll(sites))
	return nil
}

func (s *Server) handleSiteCreate(c *gin.Context) error {
	var req siteRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	st := &cms.Site{Slug: req.Slug, Name: strings.TrimSpace(req.Name), Hosts: req.Hosts, Overview: req.Overview}
	if err := st.Validate(); err != nil {
		return err
	}
	if err := s.cfg.Sites.CreateSite(c.Request.Context(), st); err != nil {
		return err
	}
	s.sites.invalidate() // its slug and hosts answer at once
	c.JSON(http.StatusCreated, normalizeSite(st))
	return nil
}

// handleSiteUpdate changes a site's name, host names and overview flag at
// the version the change was based on; a site that changed since is a 409
// carrying the site as it is now.
func (s *Server) handleSiteUpdate(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req siteRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if req.Version < 1 {
		return cms.Invalid(map[string]string{"version": "缺少版本号（version），请先获取站点的最新信息"})
	}
	ctx := c.Request.Context()
	st, err := s.cfg.Sites.FindSiteByID(ctx, id)
	if err != nil {
		return err
	}
	if req.Slug != "" && strings.TrimSpace(req.Slug) != st.Slug {
		return cms.Invalid(map[string]string{"slug": "站点代号创建后不能修改"})
	}
	st.Name, st.Hosts, st.Overview, st.Version = strings.TrimSpace(req.Name), req.Hosts, req.Overview, req.Version
	if err := st.Validate(); err != nil {
		return err
	}
	if err := s.cfg.Sites.UpdateSite(ctx, st); err != nil {
		return err
	}
	s.sites.invalidate()
	c.JSON(http.StatusOK, normalizeSite(st))
	return nil
}

// normalizeSite makes an absent host list an empty one in JSON.
func normalizeSite(st *cms.Site) *cms.Site {
	if st.Hosts == nil {
		st.Hosts = []string{}
	}
	return st
}

// meResponse is GET /auth/me: the user, with their role in the site the
// request acts in, and that site's id (what the admin UI's switcher shows).
type meResponse struct {
	*cms.User
	SiteID int64 `json:"site_id"`
}

func (s *Server) handleMe(c *gin.Context) error {
	c.JSON(http.StatusOK, meResponse{User: userJSON(currentUser(c)), SiteID: siteID(c)})
	return nil
}

// userJSON returns u, or a copy of it whose absent site list is an empty
// one, so that clients always get an array.
func userJSON(u *cms.User) *cms.User {
	if u == nil || u.Sites != nil {
		return u
	}
	cp := *u
	cp.Sites = []cms.SiteRole{}
	return &cp
}

// validSiteRoles reports what is wrong with a user's roles per site: each
// names a site once, with a known role and, for a reviewer, a level.
func validSiteRoles(roles []cms.SiteRole) map[string]string {
	seen := map[int64]bool{}
	for i := range roles {
		r := &roles[i]
		switch {
		case r.SiteID < 1:
			return map[string]string{"sites": "请为每个角色选择站点"}
		case seen[r.SiteID]:
			return map[string]string{"sites": "同一站点只能设置一个角色"}
		}
		seen[r.SiteID] = true
		switch r.Role {
		case cms.RoleAdmin, cms.RoleEditor:
			r.Level = 0
		case cms.RoleReviewer:
			if r.Level < 1 || r.Level > 3 {
				return map[string]string{"sites": "审核人员的审核级别必须是1（初审）、2（复审）或3（终审）"}
			}
		default:
			return map[string]string{"sites": "角色必须是 admin、editor 或 reviewer"}
		}
	}
	return nil
}

// roleIn returns the role roles give in site, or false.
func roleIn(roles []cms.SiteRole, site int64) (cms.SiteRole, bool) {
	for _, r := range roles {
		if r.SiteID == site {
			return r, true
		}
	}
	return cms.SiteRole{}, false
}
