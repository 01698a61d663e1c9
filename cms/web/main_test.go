package web

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestMain runs Gin in release mode, as the command does: no debug lines
// for every route registered.
func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}
