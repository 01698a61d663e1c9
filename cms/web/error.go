package web

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// statusOf is the one place error codes become HTTP status codes.
var statusOf = map[string]int{
	cms.EINVALID:      http.StatusUnprocessableEntity,
	cms.EBADREQUEST:   http.StatusBadRequest,
	cms.EUNAUTHORIZED: http.StatusUnauthorized,
	cms.EFORBIDDEN:    http.StatusForbidden,
	cms.ENOTFOUND:     http.StatusNotFound,
	cms.ECONFLICT:     http.StatusConflict,
	cms.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	cms.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	cms.ERATELIMIT:    http.StatusTooManyRequests,
	cms.EINTERNAL:     http.StatusInternalServerError,
	cms.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// Current is the current state of the object on a conflict.
	Current        any `json:"current,omitempty"`
	CurrentVersion int `json:"current_version,omitempty"`
	// Details are structured findings, e.g. the wording hits blocking an approval.
	Details any `json:"details,omitempty"`
}

// handle adapts a handler that returns an error to Gin. Handlers return
// their errors instead of writing them, so every error answer is written in
// one place, by writeError.
func (s *Server) handle(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.writeError(c, err)
		}
	}
}

// requireService stands before the handlers of a route that needs a
// service this server may run without: when the service is not there
// (present false) it answers err in their place. It goes after the role
// checks, which answer first.
func (s *Server) requireService(present bool, err error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !present {
			s.writeError(c, err)
		}
	}
}

// writeError answers with err in the error shape. Internal errors are logged
// with their cause and shown as a generic message: no SQL text, no stack.
func (s *Server) writeError(c *gin.Context, err error) {
	code := cms.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	body := errorBody{Error: errorDetail{Code: code, Message: cms.ErrorMessage(err)}}
	var e *cms.Error
	if errors.As(err, &e) && status < 500 {
		body.Error.Fields = e.Fields
		body.Error.Current = e.Current
		body.Error.Details = e.Details
		if v, ok := e.Current.(cms.Versioned); ok {
			body.Error.CurrentVersion = v.CurrentVersion()
		}
	}
	if code == cms.EINTERNAL {
		body.Error.Message = cms.InternalMessage
	}
	c.AbortWithStatusJSON(status, body)
}
