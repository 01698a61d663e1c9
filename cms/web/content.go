package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// The content API is public and read-only; it serves published content only,
// through cms.ContentService, which never returns drafts or pending revisions.

func (s *Server) handleContentStories(c *gin.Context) {
	p, err := pageQuery(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	fields := map[string]string{}
	f := cms.ContentFilter{
		Page: p, Project: c.Query("project"), Tag: c.Query("tag"), Q: c.Query("q"),
		Kind: cms.ProjectKind(c.Query("kind")), Area: cms.Area(c.Query("area")),
	}
	f.Since, f.Until = timeQuery(c, "since", fields), timeQuery(c, "until", fields)
	if len(fields) > 0 {
		s.writeError(c, cms.Invalid(fields))
		return
	}
	items, total, err := s.cfg.Content.FindLiveStories(c.Request.Context(), f)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=30")
	c.JSON(http.StatusOK, newList(items, total, p))
}

func (s *Server) handleContentStory(c *gin.Context) {
	st, err := s.cfg.Content.FindLiveStoryBySlug(c.Request.Context(), c.Param("slug"))
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=30")
	c.JSON(http.StatusOK, st)
}

func (s *Server) handleContentProjects(c *gin.Context) {
	f := cms.ProjectFilter{Page: cms.Page{PerPage: cms.MaxPerPage}, Kind: cms.ProjectKind(c.Query("kind")), Area: cms.Area(c.Query("area"))}
	var all []*cms.Project
	for {
		items, total, err := s.cfg.Projects.FindProjects(c.Request.Context(), f)
		if err != nil {
			s.writeError(c, err)
			return
		}
		all = append(all, items...)
		if len(all) >= total || len(items) == 0 {
			break
		}
		f.Page.Page++
		f.Page = f.Page.Normalize()
	}
	c.Header("Cache-Control", "public, max-age=60")
	c.JSON(http.StatusOK, newList(all, len(all), cms.Page{}))
}

func (s *Server) handleContentTags(c *gin.Context) {
	tags, err := s.cfg.Content.FindTags(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=60")
	c.JSON(http.StatusOK, newList(tags, len(tags), cms.Page{}))
}

func (s *Server) handleContentPages(c *gin.Context) {
	pages, err := s.cfg.Pages.FindPages(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=60")
	c.JSON(http.StatusOK, newList(pages, len(pages), cms.Page{}))
}

// siteIdentity is the public part of the settings: what a portal needs to
// credit the bureau. The WeChat secret is never part of any response.
type siteIdentity struct {
	SiteName     string `json:"site_name"`
	Organizer    string `json:"organizer"`
	Contact      string `json:"contact"`
	ICP          string `json:"icp"`
	PoliceRecord string `json:"police_record"`
	GovSiteCode  string `json:"gov_site_code"`
	BaseURL      string `json:"base_url"`
}

func (s *Server) handleContentSite(c *gin.Context) {
	st, err := s.cfg.Settings.FindSettings(c.Request.Context())
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=60")
	c.JSON(http.StatusOK, siteIdentity{
		SiteName: st.SiteName, Organizer: st.Organizer, Contact: st.Contact, ICP: st.ICP,
		PoliceRecord: st.PoliceRecord, GovSiteCode: st.GovSiteCode, BaseURL: st.BaseURL,
	})
}
