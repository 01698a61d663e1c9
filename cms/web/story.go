package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// storyCreateRequest is the body of POST /api/v1/stories.
type storyCreateRequest struct {
	Title        string     `json:"title"`
	ShareTitle   string     `json:"share_title"`
	Summary      string     `json:"summary"`
	Body         string     `json:"body"`
	Slug         string     `json:"slug"`
	ProjectID    int64      `json:"project_id"`
	CoverMediaID *int64     `json:"cover_media_id"`
	Tags         []string   `json:"tags"`
	Author       string     `json:"author"`
	Source       string     `json:"source"`
	PublishedAt  *time.Time `json:"published_at"`
	PublishAt    *time.Time `json:"publish_at"`
	UnpublishAt  *time.Time `json:"unpublish_at"`
}

func (r *storyCreateRequest) story() *cms.Story {
	return &cms.Story{
		Title: r.Title, ShareTitle: r.ShareTitle, Summary: r.Summary, Body: r.Body, Slug: r.Slug,
		ProjectID: r.ProjectID, CoverMediaID: r.CoverMediaID, Tags: r.Tags, Author: r.Author,
		Source: r.Source, PublishedAt: r.PublishedAt, PublishAt: r.PublishAt, UnpublishAt: r.UnpublishAt,
	}
}

// storyUpdateRequest is the body of PATCH /api/v1/stories/{id}; version is
// required so that two editors never silently overwrite each other.
type storyUpdateRequest struct {
	cms.StoryUpdate
}

func (r *storyUpdateRequest) Valid() map[string]string {
	return needVersion(r.Version, "缺少版本号（version），请先获取稿件的最新版本")
}

func (s *Server) handleStoryList(c *gin.Context) error {
	p, err := pageQuery(c)
	if err != nil {
		return err
	}
	f := cms.StoryFilter{Page: p, Tag: c.Query("tag"), Q: c.Query("q"), Status: cms.StoryStatus(c.Query("status"))}
	fields := map[string]string{}
	if utf8.RuneCountInString(f.Q) > maxQueryRunes {
		fields["q"] = fmt.Sprintf("搜索词不能超过%d个字", maxQueryRunes)
	}
	if f.Status != "" && !f.Status.Valid() {
		fields["status"] = "未知的稿件状态"
	}
	if v := c.Query("project_id"); v != "" {
		if f.ProjectID, err = strconv.ParseInt(v, 10, 64); err != nil {
			fields["project_id"] = "项目编号必须是整数"
		}
	}
	if v := c.Query("created_by"); v != "" {
		if v == "me" {
			f.CreatedBy = currentUser(c).ID
		} else if f.CreatedBy, err = strconv.ParseInt(v, 10, 64); err != nil {
			fields["created_by"] = "作者编号必须是整数或 me"
		}
	}
	f.Since, f.Until = timeQuery(c, "since", fields), timeQuery(c, "until", fields)
	if len(fields) > 0 {
		return cms.Invalid(fields)
	}
	items, total, err := s.cfg.Stories.FindStories(c.Request.Context(), f)
	return reply(c, newList(items, total, p), err)
}

// timeQuery parses an RFC 3339 time or a YYYY-MM-DD date from the query.
func timeQuery(c *gin.Context, name string, fields map[string]string) *time.Time {
	v := c.Query(name)
	if v == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t
		}
	}
	fields[name] = "时间格式应为 2006-01-02 或 RFC 3339"
	return nil
}

func (s *Server) handleStoryCreate(c *gin.Context) error {
	var req storyCreateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	st := req.story()
	st.Body = s.responsiveImages(c.Request.Context(), s.importRemoteImages(c.Request.Context(), st.Body))
	if err := s.cfg.Stories.CreateStory(c.Request.Context(), st); err != nil {
		return err
	}
	c.Header("Location", "/api/v1/stories/"+strconv.FormatInt(st.ID, 10))
	c.JSON(http.StatusCreated, st)
	return nil
}

func (s *Server) handleStoryGet(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	st, err := s.cfg.Stories.FindStoryByID(c.Request.Context(), id)
	return reply(c, st, err)
}

func (s *Server) handleStoryUpdate(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req storyUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	if req.Body != nil {
		body := s.responsiveImages(c.Request.Context(), s.importRemoteImages(c.Request.Context(), *req.Body))
		req.Body = &body
	}
	st, err := s.cfg.Stories.UpdateStory(c.Request.Context(), id, req.StoryUpdate)
	return reply(c, st, err)
}

func (s *Server) handleStoryDelete(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return noContent(c, s.cfg.Stories.DeleteStory(c.Request.Context(), id))
}

func (s *Server) handleStoryRevisions(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	revs, err := s.cfg.Stories.FindRevisions(c.Request.Context(), id)
	return reply(c, listAll(revs), err)
}

func (s *Server) handleStorySignOffs(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	recs, err := s.cfg.Stories.FindSignOffs(c.Request.Context(), id)
	return reply(c, listAll(recs), err)
}

type actionRequest struct {
	Comment string `json:"comment"`
	// Override is the reason for passing serious wording hits (final stage only).
	Override string `json:"override"`
}

func (s *Server) handleStoryAction(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	action := cms.Action(c.Param("action"))
	if !slices.Contains(cms.Actions, action) {
		return cms.Errorf(cms.ENOTFOUND, "未知的操作：%s（可用：submit、approve、reject、publish、unpublish）", action)
	}
	var req actionRequest
	if c.Request.ContentLength != 0 {
		if err := s.decode(c, &req); err != nil {
			return err
		}
	}
	ctx := c.Request.Context()
	if action == cms.ActionPublish && s.cfg.Media != nil {
		if err := s.checkImages(ctx, id); err != nil {
			return err
		}
	}
	st, err := s.cfg.Stories.ApplyAction(ctx, id, cms.ActionRequest{Action: action, Comment: req.Comment, Override: req.Override})
	if err != nil {
		return err
	}
	resp := actionResponse{Story: st}
	if action == cms.ActionSubmit && s.cfg.Checks != nil {
		// Findings are advice at this point; a failed check must not fail the submit.
		if hits, err := s.cfg.Checks.CheckStory(ctx, id); err != nil {
			s.log.Warn("wording check after submit", "story", id, "err", err)
		} else {
			resp.Warnings = hits
		}
	}
	if action == cms.ActionPublish || action == cms.ActionUnpublish {
		b, err := s.enqueueChange(ctx, cms.StoriesChanged(string(action)+" story:"+strconv.FormatInt(id, 10), id))
		if err != nil {
			return err
		}
		st.BuildID = b.ID
		s.rebuildHighlighting(ctx, id)
	}
	c.JSON(http.StatusOK, resp)
	return nil
}

// enqueue asks the publisher for a build including every change so far.
func (s *Server) enqueue(ctx context.Context, reason string) (*cms.Build, error) {
	return s.enqueueChange(ctx, cms.Change{Reason: reason})
}

// queueBuild asks for a build after a change that is made already: a
// failure to queue is logged, and the next build shows the change.
func (s *Server) queueBuild(ctx context.Context, reason string) {
	if _, err := s.enqueue(ctx, reason); err != nil {
		s.log.Warn("enqueue build", "err", err)
	}
}

func (s *Server) enqueueChange(ctx context.Context, c cms.Change) (*cms.Build, error) {
	if s.cfg.Publisher == nil {
		return &cms.Build{}, nil
	}
	return s.cfg.Publisher.Enqueue(context.WithoutCancel(ctx), c)
}
