package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// The city overview's 全市服务品牌 (issue 15): on the site with overview on,
// its editors and admins choose published stories of the other sites as
// highlights; the site's build shows them on cms.HighlightsURL. On any
// other site these routes answer 409 saying why.

// highlightRequest is the body of POST /highlights.
type highlightRequest struct {
	SiteID  int64 `json:"site_id"`
	StoryID int64 `json:"story_id"`
}

func (r *highlightRequest) Valid() map[string]string {
	f := map[string]string{}
	if r.SiteID <= 0 {
		f["site_id"] = "请选择稿件所在的站点（site_id）"
	}
	if r.StoryID <= 0 {
		f["story_id"] = "请选择稿件（story_id）"
	}
	return f
}

// highlightOrderRequest is the body of PUT /highlights/order.
type highlightOrderRequest struct {
	IDs []int64 `json:"ids"`
}

func (r *highlightOrderRequest) Valid() map[string]string {
	if r.IDs == nil {
		return map[string]string{"ids": "请给出全市服务品牌各条的新顺序（ids）"}
	}
	return nil
}

func (s *Server) handleHighlightList(c *gin.Context) error {
	hs, err := s.cfg.Overview.FindHighlights(c.Request.Context())
	return reply(c, listAll(hs), err)
}

// handleHighlightCandidates lists the other sites' published stories, for
// choosing: q searches titles, site_id narrows to one site.
func (s *Server) handleHighlightCandidates(c *gin.Context) error {
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	f := cms.HighlightFilter{Q: strings.TrimSpace(c.Query("q")), Page: p}
	if v := c.Query("site_id"); v != "" {
		if f.SiteID, err = strconv.ParseInt(v, 10, 64); err != nil || f.SiteID <= 0 {
			return cms.Invalid(map[string]string{"site_id": "站点编号（site_id）必须是正整数"})
		}
	}
	stories, total, err := s.cfg.Overview.FindHighlightCandidates(c.Request.Context(), f)
	return reply(c, newList(stories, total, p.Normalize()), err)
}

func (s *Server) handleHighlightAdd(c *gin.Context) error {
	var req highlightRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	h, err := s.cfg.Overview.AddHighlight(ctx, req.SiteID, req.StoryID)
	if err != nil {
		return err
	}
	s.queueBuild(ctx, "highlight.add")
	c.JSON(http.StatusCreated, h)
	return nil
}

func (s *Server) handleHighlightRemove(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := s.cfg.Overview.RemoveHighlight(ctx, id); err != nil {
		return err
	}
	s.queueBuild(ctx, "highlight.remove")
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) handleHighlightReorder(c *gin.Context) error {
	var req highlightOrderRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	hs, err := s.cfg.Overview.ReorderHighlights(ctx, req.IDs)
	if err != nil {
		return err
	}
	s.queueBuild(ctx, "highlight.reorder")
	c.JSON(http.StatusOK, listAll(hs))
	return nil
}

// rebuildHighlighting queues a build of each overview site that highlights
// story id of the request's site, whose 全市服务品牌 page must show the
// story as now published, or drop it. Only the build is queued there;
// nothing of that site is read or changed for the answer. Failures are
// logged: the overview site's next build catches up.
func (s *Server) rebuildHighlighting(ctx context.Context, id int64) {
	if s.cfg.Overview == nil || s.cfg.Publisher == nil {
		return
	}
	sites, err := s.cfg.Overview.FindHighlightingSites(ctx, id)
	if err != nil {
		s.log.Warn("finding the overview sites of a story", "story", id, "err", err)
		return
	}
	reason := fmt.Sprintf("highlighted story %d of site %d", id, cms.SiteIDFromContext(ctx))
	for _, site := range sites {
		if _, err := s.cfg.Publisher.Enqueue(cms.NewContextWithSite(context.WithoutCancel(ctx), site), cms.Change{Reason: reason}); err != nil {
			s.log.Warn("enqueue build of an overview site", "site", site, "err", err)
		}
	}
}
