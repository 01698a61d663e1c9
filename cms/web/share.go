package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/wording"
)

// What WeChat operators need for a published story: the stable links to
// paste as 阅读原文, the 2.35:1 and 1:1 covers, and a QR code for posters.

type shareResponse struct {
	URL         string             `json:"url"`         // absolute page URL
	ShortURL    string             `json:"short_url"`   // absolute permanent link, for 阅读原文
	Title       string             `json:"title"`       // share card title
	Description string             `json:"description"` // share card description
	Covers      []cms.MediaVariant `json:"covers"`      // cover235 and cover11, when the story has a cover
	QRCodeURL   string             `json:"qr_code_url"` // PNG of the page's QR code
}

// absolute joins the site's base URL (a setting) with a site path; without
// a base URL it falls back to the address the request came in on.
func absolute(c *gin.Context, base, path string) string {
	if base == "" {
		scheme := "http"
		if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		base = scheme + "://" + c.Request.Host
	}
	return strings.TrimRight(base, "/") + path
}

// liveStory returns the working copy of a story that is on the public site.
func (s *Server) liveStory(ctx context.Context, id int64) (*cms.Story, error) {
	st, err := s.cfg.Stories.FindStoryByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !st.Live() {
		return nil, cms.Errorf(cms.ECONFLICT, "稿件尚未发布，发布后才能生成分享链接和二维码")
	}
	return st, nil
}

func (s *Server) handleStoryShare(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	st, err := s.liveStory(ctx, id)
	if err != nil {
		return err
	}
	live, err := s.cfg.Content.FindLiveStoryBySlug(ctx, st.Slug)
	if err != nil {
		// The working copy may carry an unpublished new slug; fall back to it.
		live = &cms.LiveStory{Title: st.Title, ShareTitle: st.ShareTitle, Summary: st.Summary, URL: st.URL, ShortURL: st.ShortURL}
	}
	settings, err := s.cfg.Settings.FindSettings(ctx)
	if err != nil {
		return err
	}
	out := shareResponse{
		URL:         absolute(c, settings.BaseURL, live.URL),
		ShortURL:    absolute(c, settings.BaseURL, cms.ShortURL(id)),
		Title:       firstNonEmpty(live.ShareTitle, live.Title),
		Description: live.Summary,
		Covers:      []cms.MediaVariant{},
		QRCodeURL:   fmt.Sprintf("/api/v1/stories/%d/qr.png", id),
	}
	if live.Cover != nil {
		for _, name := range []string{"cover235", "cover11"} {
			if v := live.Cover.Variant(name); v != nil {
				out.Covers = append(out.Covers, *v)
			}
		}
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// handleStoryQR renders the QR code of the story's permanent link as a PNG.
func (s *Server) handleStoryQR(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if _, err := s.liveStory(ctx, id); err != nil {
		return err
	}
	settings, err := s.cfg.Settings.FindSettings(ctx)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(absolute(c, settings.BaseURL, cms.ShortURL(id)), qrcode.Medium, 512)
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", fmt.Sprintf(`inline; filename="story-%d-qr.png"`, id))
	c.Data(http.StatusOK, "image/png", png)
	return nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// checkImages refuses to publish a story whose cover or body images have
// no alternative text (blind and elderly readers rely on it), or whose body
// shows pictures from other sites (see wording.BodyImage.Foreign).
func (s *Server) checkImages(ctx context.Context, id int64) error {
	st, err := s.cfg.Stories.FindStoryByID(ctx, id)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	if st.CoverMediaID != nil {
		m, err := s.cfg.Media.FindMediaByID(ctx, *st.CoverMediaID)
		if err != nil && cms.ErrorCode(err) != cms.ENOTFOUND {
			return err
		}
		if m != nil && strings.TrimSpace(m.Alt) == "" {
			fields["cover_media_id"] = fmt.Sprintf("封面图片（媒体编号 %d，%s）缺少替代文字，请在媒体库中填写", m.ID, m.Filename)
		}
	}
	host, err := s.siteHost(ctx)
	if err != nil {
		return err
	}
	var missing, foreign []string
	for i, img := range wording.BodyImages(st.Body) {
		if strings.TrimSpace(img.Alt) == "" {
			missing = append(missing, fmt.Sprintf("第%d张", i+1))
		}
		if from := img.Foreign(host); from != "" {
			foreign = append(foreign, wording.RemoteImageMessage(i+1, from))
		}
	}
	var problems []string
	if len(foreign) > 0 {
		problems = append(problems, strings.Join(foreign, "；"))
	}
	if len(missing) > 0 {
		problems = append(problems, "正文中"+strings.Join(missing, "、")+"图片缺少替代文字（alt），请补充后再发布")
	}
	if len(problems) > 0 {
		fields["body"] = strings.Join(problems, "。")
	}
	switch {
	case len(foreign) > 0:
		return &cms.Error{Code: cms.EINVALID, Message: "正文中有图片不在本站媒体库中，发布前请上传到媒体库", Fields: fields}
	case len(fields) > 0:
		return &cms.Error{Code: cms.EINVALID, Message: "发布前请为所有图片填写替代文字", Fields: fields}
	}
	return nil
}

// siteHost is the host of the site's base URL ("" when unset): absolute
// links and images there are the site's own.
func (s *Server) siteHost(ctx context.Context) (string, error) {
	st, err := s.cfg.Settings.FindSettings(ctx)
	if err != nil {
		return "", err
	}
	if u, err := url.Parse(st.BaseURL); err == nil {
		return u.Host, nil
	}
	return "", nil
}
