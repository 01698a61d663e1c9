package web

import (
	_ "embed"

	"github.com/gin-gonic/gin"
)

// openAPIDoc describes the management and content APIs (OpenAPI 3.1). It is
// written by hand next to the handlers; tests validate every response they
// see against it, so it cannot drift from what the server does.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document served at /api/v1/openapi.json.
func OpenAPI() []byte { return openAPIDoc }

func (s *Server) handleOpenAPI(c *gin.Context) error {
	s.openAPI.write(c)
	return nil
}
