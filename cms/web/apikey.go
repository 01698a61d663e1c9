package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// API keys for integrators: admins create and revoke them; the secret is
// in the create response only.

type apiKeyCreateRequest struct {
	Name      string `json:"name"`
	RateLimit int    `json:"rate_limit"`
}

// apiKeyCreated is a new key with its secret, shown this once.
type apiKeyCreated struct {
	*cms.APIKey
	Key string `json:"key"`
}

func (s *Server) handleAPIKeyList(c *gin.Context) error {
	keys, err := s.cfg.APIKeys.FindAPIKeys(c.Request.Context())
	return reply(c, listAll(keys), err)
}

func (s *Server) handleAPIKeyCreate(c *gin.Context) error {
	var req apiKeyCreateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	k := &cms.APIKey{Name: req.Name, RateLimit: req.RateLimit}
	secret, err := s.cfg.APIKeys.CreateAPIKey(c.Request.Context(), k)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/apikeys/"+strconv.FormatInt(k.ID, 10))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, apiKeyCreated{APIKey: k, Key: secret})
	return nil
}

func (s *Server) handleAPIKeyRevoke(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.cfg.APIKeys.RevokeAPIKey(c.Request.Context(), id); err != nil {
		return err
	}
	if s.keys != nil {
		s.keys.forget(id)
	}
	c.Status(http.StatusNoContent)
	return nil
}
