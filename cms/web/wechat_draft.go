package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// 公众号 drafts (issue 19): send a published or approved story to the
// bureau's Official Account as a draft, see its state, preview the
// converted article. The work is cms.WechatDrafts' (cms/wechat); who may
// send is decided there (whoever may publish).

func (s *Server) wechatDrafts() (cms.WechatDrafts, error) {
	if s.cfg.Wechat == nil {
		return nil, cms.Errorf(cms.ENOTFOUND, "本服务器未启用公众号同步")
	}
	return s.cfg.Wechat, nil
}

// handleWechatDraftGet answers the story's draft state.
func (s *Server) handleWechatDraftGet(c *gin.Context) error {
	w, err := s.wechatDrafts()
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	d, err := w.WechatDraftState(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

// handleWechatDraftSend creates or updates the story's draft.
func (s *Server) handleWechatDraftSend(c *gin.Context) error {
	w, err := s.wechatDrafts()
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	d, err := w.SendWechatDraft(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

// handleWechatDraftPreview answers the converted article, pictures at
// their site URLs, with the limits it breaks.
func (s *Server) handleWechatDraftPreview(c *gin.Context) error {
	w, err := s.wechatDrafts()
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	a, err := w.PreviewWechatDraft(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, a)
	return nil
}
