package web

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/inspect"
	"github.com/huimin/huimin/cms/wording"
)

// The 网站体检 screen (issue 20) and the one-click conversion of a story to
// 规范汉字.

// Inspection is what the 网站体检 routes need; nil in Config leaves them out.
type Inspection struct {
	Inspector *inspect.Inspector
	// Restore puts the published version of the site back after tampering.
	Restore func(ctx context.Context, reason string) (*cms.Build, error)
	// Visits counts page views for the 年度报表; optional.
	Visits inspect.Visits
}

// inspectionMu keeps the external check to one at a time per process.
var inspectionMu sync.Mutex

func (s *Server) registerInspectionRoutes(g *gin.RouterGroup) {
	editors := s.requireRole(cms.RoleAdmin, cms.RoleEditor, cms.RoleReviewer)
	g.POST("/stories/:id/simplify", editors, s.handle(s.handleStorySimplify))
	// Without Config.Inspection the routes answer 404.
	admin := []gin.HandlerFunc{s.requireRole(cms.RoleAdmin),
		s.requireService(s.cfg.Inspection != nil, cms.Errorf(cms.ENOTFOUND, "网站体检未启用"))}
	g.GET("/inspection", append(admin, s.handle(s.handleInspection))...)
	g.POST("/inspection/external", append(admin, s.handle(s.handleInspectionExternal))...)
	g.GET("/inspection/export", append(admin, s.handle(s.handleInspectionExport))...)
	g.GET("/inspection/freshness", append(admin[1:], s.handle(s.handleInspectionFreshness))...) // every staff member: the dashboard
	g.GET("/inspection/settings", append(admin, s.handle(s.handleInspectionSettingsGet))...)
	g.PUT("/inspection/settings", append(admin, s.handle(s.handleInspectionSettingsPut))...)
	g.POST("/inspection/restore", append(admin, s.handle(s.handleInspectionRestore))...)
	g.GET("/inspection/annual", append(admin, s.handle(s.handleInspectionAnnual))...)
}

// handleInspection is GET /api/v1/inspection: the report, external links
// as the background check last found them.
func (s *Server) handleInspection(c *gin.Context) error {
	rep, err := s.cfg.Inspection.Inspector.Run(c.Request.Context(), inspect.Options{})
	return reply(c, rep, err)
}

// handleInspectionExternal is POST /api/v1/inspection/external: check the
// external links now, then report.
func (s *Server) handleInspectionExternal(c *gin.Context) error {
	if !inspectionMu.TryLock() {
		return cms.Errorf(cms.ECONFLICT, "外部链接检查正在进行，请稍后再试")
	}
	defer inspectionMu.Unlock()
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Minute)
	defer cancel()
	rep, err := s.cfg.Inspection.Inspector.Run(ctx, inspect.Options{External: true})
	return reply(c, rep, err)
}

// handleInspectionExport is GET /api/v1/inspection/export: the report as
// the Excel 自查台账.
func (s *Server) handleInspectionExport(c *gin.Context) error {
	rep, err := s.cfg.Inspection.Inspector.Run(c.Request.Context(), inspect.Options{})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := inspect.WriteExcel(&b, rep); err != nil {
		return err
	}
	name := "网站体检-" + rep.CheckedAt.In(cms.StatsZone).Format("20060102") + ".xlsx"
	sendDownload(c, "inspection.xlsx", name, xlsxType, b.Bytes())
	return nil
}

// handleInspectionFreshness is GET /api/v1/inspection/freshness: the lists
// that are stale or due within the warning period, for the dashboard.
func (s *Server) handleInspectionFreshness(c *gin.Context) error {
	ctx := c.Request.Context()
	in := s.cfg.Inspection.Inspector
	var stories []*cms.LiveStory
	if err := in.Content.EachLiveStory(ctx, func(st *cms.LiveStory) error {
		stories = append(stories, &cms.LiveStory{ID: st.ID, Title: st.Title, Author: st.Author, Project: st.Project,
			Tags: st.Tags, PublishedAt: st.PublishedAt})
		return nil
	}); err != nil {
		return err
	}
	pages, err := in.Pages.FindPages(ctx)
	if err != nil {
		return err
	}
	secs, err := in.Sections(ctx, stories, pages)
	if err != nil {
		return err
	}
	due := []inspect.Section{}
	for _, sec := range secs {
		if sec.State == "stale" || sec.State == "soon" {
			due = append(due, sec)
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": due, "annual_due": inspect.DueSoon(time.Now())})
	return nil
}

func (s *Server) handleInspectionSettingsGet(c *gin.Context) error {
	set, err := s.cfg.Inspection.Inspector.Store.FindInspectionSettings(c.Request.Context())
	return reply(c, set, err)
}

func (s *Server) handleInspectionSettingsPut(c *gin.Context) error {
	var set cms.InspectionSettings
	if err := s.decode(c, &set); err != nil {
		return err
	}
	if err := s.cfg.Inspection.Inspector.Store.SaveInspectionSettings(c.Request.Context(), &set); err != nil {
		return err
	}
	c.JSON(http.StatusOK, set)
	return nil
}

// handleInspectionRestore is POST /api/v1/inspection/restore: rebuild the
// site in full and put the bucket's files back.
func (s *Server) handleInspectionRestore(c *gin.Context) error {
	if s.cfg.Inspection.Restore == nil {
		return cms.Errorf(cms.EUNAVAILABLE, "此服务器不能恢复网站")
	}
	b, err := s.cfg.Inspection.Restore(c.Request.Context(), "网站体检：恢复发布版本")
	return reply(c, b, err)
}

// handleInspectionAnnual is GET /api/v1/inspection/annual?year=: the
// 年度报表 standing page draft, last year's by default.
func (s *Server) handleInspectionAnnual(c *gin.Context) error {
	year := time.Now().In(cms.StatsZone).Year() - 1
	if v := c.Query("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 2000 || y > 2100 {
			return cms.Invalid(map[string]string{"year": "年份应为 2000 到 2100 之间的数字"})
		}
		year = y
	}
	// A nil Interact converts to a nil YearMessages: no messages counted.
	a, err := s.cfg.Inspection.Inspector.Annual(c.Request.Context(), year, s.cfg.Inspection.Visits, s.cfg.Interact)
	return reply(c, a, err)
}

// handleStorySimplify is POST /api/v1/stories/:id/simplify {version}: the
// one-click conversion of the working copy's title, share title, summary
// and body to 规范汉字 (OpenCC t2s; pinyin annotations and half-width
// punctuation among Chinese text fixed; dictionary terms of kind keep left
// alone), saved as a new version.
func (s *Server) handleStorySimplify(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req struct {
		Version int `json:"version"`
	}
	if err := s.decode(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	st, err := s.cfg.Stories.FindStoryByID(ctx, id)
	if err != nil {
		return err
	}
	if req.Version != st.Version {
		return &cms.Error{Code: cms.ECONFLICT, Message: "稿件已被他人修改，请刷新后再转换"}
	}
	var keep []string
	if s.cfg.Dictionary != nil {
		terms, err := s.cfg.Dictionary.FindTerms(ctx)
		if err != nil {
			return err
		}
		keep = wording.KeepTerms(terms)
	}
	u := cms.StoryUpdate{Version: st.Version}
	changed := false
	for _, f := range []struct {
		dst **string
		v   string
		fn  func(string, []string) string
	}{
		{&u.Title, st.Title, wording.Simplify}, {&u.ShareTitle, st.ShareTitle, wording.Simplify},
		{&u.Summary, st.Summary, wording.Simplify}, {&u.Body, st.Body, wording.SimplifyHTML},
	} {
		if conv := f.fn(f.v, keep); conv != f.v {
			*f.dst = &conv
			changed = true
		}
	}
	if !changed {
		c.JSON(http.StatusOK, st)
		return nil
	}
	out, err := s.cfg.Stories.UpdateStory(ctx, id, u)
	return reply(c, out, err)
}
