package web

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

type termRequest struct {
	Term       string       `json:"term"`
	Kind       cms.TermKind `json:"kind"`
	Severity   cms.Severity `json:"severity"`
	Suggestion string       `json:"suggestion"`
	Note       string       `json:"note"`
	Platform   bool         `json:"platform"`
}

type termUpdateRequest struct {
	cms.DictionaryUpdate
}

func (r *termUpdateRequest) Valid() map[string]string {
	return needVersion(r.Version, "缺少版本号（version）")
}

func (s *Server) handleDictionaryList(c *gin.Context) error {
	terms, err := s.cfg.Dictionary.FindTerms(c.Request.Context())
	return reply(c, listAll(terms), err)
}

func (s *Server) handleDictionaryCreate(c *gin.Context) error {
	var req termRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	t := &cms.DictionaryTerm{Term: req.Term, Kind: req.Kind, Severity: req.Severity, Suggestion: req.Suggestion, Note: req.Note,
		Platform: req.Platform}
	if err := s.cfg.Dictionary.CreateTerm(c.Request.Context(), t); err != nil {
		return err
	}
	c.Header("Location", "/api/v1/dictionary/"+strconv.FormatInt(t.ID, 10))
	c.JSON(http.StatusCreated, t)
	return nil
}

func (s *Server) handleDictionaryUpdate(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req termUpdateRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	t, err := s.cfg.Dictionary.UpdateTerm(c.Request.Context(), id, req.DictionaryUpdate)
	return reply(c, t, err)
}

func (s *Server) handleDictionaryDelete(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return noContent(c, s.cfg.Dictionary.DeleteTerm(c.Request.Context(), id))
}
