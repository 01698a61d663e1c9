package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// Preview links let reviewers (and whoever they forward the link to, such
// as the leader who signs off) see an unpublished version with the real
// theme. The link is the whole credential: a token naming the story, the
// version and an expiry, signed with HMAC-SHA256 under a server key that
// never leaves the server.

const (
	defaultPreviewTTL = 24 * time.Hour
	maxPreviewTTL     = 7 * 24 * time.Hour
)

type previewToken struct {
	StoryID int64
	Version int
	Expires time.Time
}

func (t previewToken) payload() string {
	return fmt.Sprintf("%d.%d.%d", t.StoryID, t.Version, t.Expires.Unix())
}

// signPreview returns the token for t: payload "." signature, URL-safe.
func signPreview(key []byte, t previewToken) string {
	p := t.payload()
	return p + "." + base64.RawURLEncoding.EncodeToString(previewMAC(key, p))
}

func previewMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("huimin-preview\x00" + payload))
	return m.Sum(nil)
}

// parsePreview checks a token's signature and expiry.
func parsePreview(key []byte, token string, now time.Time) (previewToken, bool) {
	var t previewToken
	i := strings.LastIndexByte(token, '.')
	if len(key) == 0 || i < 0 {
		return t, false
	}
	payload, sig := token[:i], token[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, previewMAC(key, payload)) {
		return t, false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 {
		return t, false
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	v, err2 := strconv.Atoi(parts[1])
	exp, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return t, false
	}
	t = previewToken{StoryID: id, Version: v, Expires: time.Unix(exp, 0).UTC()}
	return t, now.Before(t.Expires)
}

type previewRequest struct {
	// Version to preview; 0 means the current working copy.
	Version int `json:"version"`
	// ExpiresIn is the link's lifetime in seconds; default one day, at most seven.
	ExpiresIn int `json:"expires_in"`
}

func (r *previewRequest) Valid() map[string]string {
	f := map[string]string{}
	if r.Version < 0 {
		f["version"] = "版本号必须是正整数"
	}
	// Compared in seconds: converting a huge value to a Duration first
	// would overflow into an expiry in the past.
	if r.ExpiresIn < 0 || r.ExpiresIn > int(maxPreviewTTL/time.Second) {
		f["expires_in"] = "有效期必须在0到604800秒（7天）之间"
	}
	return f
}

type previewResponse struct {
	URL       string    `json:"url"`
	StoryID   int64     `json:"story_id"`
	Version   int       `json:"version"`
	ExpiresAt time.Time `json:"expires_at"`
}

// handleStoryPreviewLink returns a signed preview link of a version.
func (s *Server) handleStoryPreviewLink(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req previewRequest
	if c.Request.ContentLength != 0 {
		if err := s.decode(c, &req); err != nil {
			return err
		}
	}
	if len(s.cfg.PreviewKey) == 0 || s.cfg.Previewer == nil {
		return cms.Errorf(cms.EUNAVAILABLE, "预览服务未启用")
	}
	ctx := c.Request.Context()
	if req.Version == 0 {
		st, err := s.cfg.Stories.FindStoryByID(ctx, id)
		if err != nil {
			return err
		}
		req.Version = st.Version
	} else if _, err := s.cfg.Revisions.FindRevision(ctx, id, req.Version); err != nil {
		return err
	}
	ttl := defaultPreviewTTL
	if req.ExpiresIn > 0 {
		ttl = time.Duration(req.ExpiresIn) * time.Second
	}
	t := previewToken{StoryID: id, Version: req.Version, Expires: time.Now().Add(ttl).UTC().Truncate(time.Second)}
	c.JSON(http.StatusCreated, previewResponse{URL: "/preview/" + signPreview(s.cfg.PreviewKey, t),
		StoryID: id, Version: t.Version, ExpiresAt: t.Expires})
	return nil
}

// handlePreview renders the version a valid token names. Anything else is
// a plain 404: a wrong or expired token says nothing about the story.
func (s *Server) handlePreview(c *gin.Context) error {
	h := c.Writer.Header()
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer") // the token must not leak to linked sites
	h.Set("X-Content-Type-Options", "nosniff")
	t, ok := parsePreview(s.cfg.PreviewKey, c.Param("token"), time.Now())
	if !ok || s.cfg.Previewer == nil {
		s.previewError(c, http.StatusNotFound, "预览链接无效或已过期，请向编辑索取新的预览链接。")
		return nil
	}
	ctx := c.Request.Context()
	rev, err := s.cfg.Revisions.FindRevision(ctx, t.StoryID, t.Version)
	if err != nil {
		if cms.ErrorCode(err) == cms.ENOTFOUND {
			s.previewError(c, http.StatusNotFound, "该稿件或版本已不存在。")
			return nil
		}
		s.log.Error("preview", "story", t.StoryID, "version", t.Version, "err", err)
		s.previewError(c, http.StatusInternalServerError, "预览暂时无法生成，请稍后重试。")
		return nil
	}
	ls := &cms.LiveStory{
		ID: rev.StoryID, Slug: rev.Slug, Title: rev.Title, ShareTitle: rev.ShareTitle, Summary: rev.Summary,
		Body: rev.Body, Tags: rev.Tags, Author: rev.Author, Source: rev.Source, Version: rev.Version,
		PublishedAt: rev.CreatedAt, UpdatedAt: rev.CreatedAt, URL: cms.StoryURL(rev.Slug), ShortURL: cms.ShortURL(rev.StoryID),
	}
	if st, err := s.cfg.Stories.FindStoryByID(ctx, rev.StoryID); err == nil && st.PublishedAt != nil {
		ls.PublishedAt = *st.PublishedAt
	}
	if p, err := s.cfg.Projects.FindProjectByID(ctx, rev.ProjectID); err == nil {
		ls.Project = cms.ProjectRef{ID: p.ID, Slug: p.Slug, Name: p.Name, Kind: p.Kind, Area: p.Area, URL: p.URL}
	}
	if rev.CoverMediaID != nil && s.cfg.Media != nil {
		if m, err := s.cfg.Media.FindMediaByID(ctx, *rev.CoverMediaID); err == nil {
			ls.Cover = m
		}
	}
	page, err := s.cfg.Previewer.PreviewStory(ctx, ls)
	if err != nil {
		s.log.Error("preview render", "story", t.StoryID, "version", t.Version, "err", err)
		s.previewError(c, http.StatusInternalServerError, "预览暂时无法生成，请稍后重试。")
		return nil
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	return nil
}

func (s *Server) previewError(c *gin.Context, status int, msg string) {
	c.Data(status, "text/html; charset=utf-8", []byte(`<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">`+
		`<meta name="robots" content="noindex, nofollow"><title>预览</title></head><body><p>`+msg+`</p></body></html>`))
}
