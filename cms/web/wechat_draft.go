package web

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// 公众号 drafts (issue 19): send a published or approved story to the
// bureau's Official Account as a draft, see its state, preview the
// converted article. The work is cms.WechatDrafts' (cms/wechat); who may
// send is decided there (whoever may publish).

// handleWechatDraftGet answers the story's draft state.
func (s *Server) handleWechatDraftGet(c *gin.Context) error {
	return wechatDraftCall(s, c, cms.WechatDrafts.WechatDraftState)
}

// handleWechatDraftSend creates or updates the story's draft.
func (s *Server) handleWechatDraftSend(c *gin.Context) error {
	return wechatDraftCall(s, c, cms.WechatDrafts.SendWechatDraft)
}

// handleWechatDraftPreview answers the converted article, pictures at
// their site URLs, with the limits it breaks.
func (s *Server) handleWechatDraftPreview(c *gin.Context) error {
	return wechatDraftCall(s, c, cms.WechatDrafts.PreviewWechatDraft)
}

// wechatDraftCall runs fn for the story named by the path and answers its
// result: 404 when this server has no 公众号 configured.
func wechatDraftCall[T any](s *Server, c *gin.Context, fn func(cms.WechatDrafts, context.Context, int64) (T, error)) error {
	if s.cfg.Wechat == nil {
		return cms.Errorf(cms.ENOTFOUND, "本服务器未启用公众号同步")
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := fn(s.cfg.Wechat, c.Request.Context(), id)
	return reply(c, v, err)
}
