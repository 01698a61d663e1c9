package cli_test

import (
	"os"
	"testing"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestMain removes the command the tests compiled (clitest.BuildBinary)
// once they are done.
func TestMain(m *testing.M) {
	code := m.Run()
	clitest.RemoveBuilt()
	os.Exit(code)
}
