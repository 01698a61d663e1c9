package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/diff"
)

// The editorial workflow beyond the story CRUD: the review inbox, diffs
// and restores of revisions, and the wording checks.

func (s *Server) handleReviewInbox(c *gin.Context) error {
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	in, err := s.cfg.Review.FindInbox(c.Request.Context(), p)
	return reply(c, in, err)
}

// handleStoryDiff compares two saved versions: ?from=N&to=M. Without from,
// the version before to; without to, the current version.
func (s *Server) handleStoryDiff(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	fields := map[string]string{}
	version := func(name string) int {
		v := c.Query(name)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fields[name] = "版本号必须是正整数"
		}
		return n
	}
	from, to := version("from"), version("to")
	if len(fields) > 0 {
		return cms.Invalid(fields)
	}
	if to == 0 {
		st, err := s.cfg.Stories.FindStoryByID(ctx, id)
		if err != nil {
			return err
		}
		to = st.Version
	}
	if from == 0 {
		from = max(1, to-1)
	}
	a, err := s.cfg.Revisions.FindRevision(ctx, id, from)
	if err != nil {
		return err
	}
	b, err := s.cfg.Revisions.FindRevision(ctx, id, to)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, diff.Revisions(a, b))
	return nil
}

type restoreRequest struct {
	// Version is the story's current version, as for PATCH.
	Version int `json:"version"`
}

func (r *restoreRequest) Valid() map[string]string {
	return needVersion(r.Version, "缺少版本号（version），请先获取稿件的最新版本")
}

// handleStoryRestore saves an old version's content as a new draft version.
func (s *Server) handleStoryRestore(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	version, err := strconv.Atoi(c.Param("version"))
	if err != nil || version < 1 {
		return cms.Errorf(cms.ENOTFOUND, "版本不存在")
	}
	var req restoreRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	st, err := s.cfg.Revisions.RestoreRevision(c.Request.Context(), id, version, req.Version)
	return reply(c, st, err)
}

type checkResponse struct {
	Items   []cms.Hit `json:"items"`
	Total   int       `json:"total"`
	Serious int       `json:"serious"`
}

func newCheckResponse(hits []cms.Hit) checkResponse {
	if hits == nil {
		hits = []cms.Hit{}
	}
	return checkResponse{Items: hits, Total: len(hits), Serious: len(cms.Serious(hits))}
}

func (s *Server) handleStoryCheck(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	hits, err := s.cfg.Checks.CheckStory(c.Request.Context(), id)
	return reply(c, newCheckResponse(hits), err)
}

// actionResponse is a story after an action; a submit also carries the
// wording check's findings, so the editor sees them at once.
type actionResponse struct {
	*cms.Story
	Warnings []cms.Hit `json:"warnings,omitempty"`
}
