package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// projectCreateRequest is the body of POST /api/v1/projects.
type projectCreateRequest struct {
	Name         string          `json:"name"`
	Slug         string          `json:"slug"`
	Kind         cms.ProjectKind `json:"kind"`
	Area         cms.Area        `json:"area"`
	Summary      string          `json:"summary"`
	Intro        string          `json:"intro"`
	BrandID      *int64          `json:"brand_id"`
	ParentID     *int64          `json:"parent_id"`
	CoverMediaID *int64          `json:"cover_media_id"`
	Position     int             `json:"position"`
}

type projectUpdateRequest struct {
	cms.ProjectUpdate
}

func (r *projectUpdateRequest) Valid() map[string]string {
	return needVersion(r.Version, "缺少版本号（version）")
}

func (s *Server) handleProjectList(c *gin.Context) error {
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	f := cms.ProjectFilter{Page: p, Kind: cms.ProjectKind(c.Query("kind")), Area: cms.Area(c.Query("area"))}
	items, total, err := s.cfg.Projects.FindProjects(c.Request.Context(), f)
	return reply(c, newList(items, total, p), err)
}

func (s *Server) handleProjectCreate(c *gin.Context) error {
	var req projectCreateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	p := &cms.Project{
		Name: req.Name, Slug: req.Slug, Kind: req.Kind, Area: req.Area, Summary: req.Summary,
		Intro: req.Intro, BrandID: req.BrandID, ParentID: req.ParentID, CoverMediaID: req.CoverMediaID,
		Position: req.Position,
	}
	ctx := c.Request.Context()
	if err := s.cfg.Projects.CreateProject(ctx, p); err != nil {
		return err
	}
	s.queueBuild(ctx, "project.create "+p.Slug)
	c.Header("Location", "/api/v1/projects/"+strconv.FormatInt(p.ID, 10))
	c.JSON(http.StatusCreated, p)
	return nil
}

func (s *Server) handleProjectGet(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	p, err := s.cfg.Projects.FindProjectByID(c.Request.Context(), id)
	return reply(c, p, err)
}

func (s *Server) handleProjectUpdate(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req projectUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	p, err := s.cfg.Projects.UpdateProject(ctx, id, req.ProjectUpdate)
	if err != nil {
		return err
	}
	s.queueBuild(ctx, "project.update "+p.Slug)
	c.JSON(http.StatusOK, p)
	return nil
}

func (s *Server) handleProjectDelete(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := s.cfg.Projects.DeleteProject(ctx, id); err != nil {
		return err
	}
	s.queueBuild(ctx, "project.delete")
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) handleBrandList(c *gin.Context) error {
	items, err := s.cfg.Projects.FindBrands(c.Request.Context())
	return reply(c, listAll(items), err)
}

type brandRequest struct {
	Name        string `json:"name"`
	Slogan      string `json:"slogan"`
	Intro       string `json:"intro"`
	LogoMediaID *int64 `json:"logo_media_id"`
}

// brandUpdateRequest replaces a brand's fields; Version is the version
// they were based on.
type brandUpdateRequest struct {
	brandRequest
	Version int `json:"version"`
}

func (r *brandUpdateRequest) Valid() map[string]string {
	return needVersion(r.Version, "缺少版本号（version），请先获取品牌的最新版本")
}

func (s *Server) handleBrandCreate(c *gin.Context) error {
	var req brandRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	b := &cms.Brand{Name: req.Name, Slogan: req.Slogan, Intro: req.Intro, LogoMediaID: req.LogoMediaID}
	if err := s.cfg.Projects.CreateBrand(c.Request.Context(), b); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, b)
	return nil
}

func (s *Server) handleBrandUpdate(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req brandUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	b := &cms.Brand{ID: id, Name: req.Name, Slogan: req.Slogan, Intro: req.Intro, LogoMediaID: req.LogoMediaID, Version: req.Version}
	ctx := c.Request.Context()
	if err := s.cfg.Projects.UpdateBrand(ctx, b); err != nil {
		return err
	}
	s.queueBuild(ctx, "brand.update")
	c.JSON(http.StatusOK, b)
	return nil
}
