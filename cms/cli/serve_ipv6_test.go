package cli_test

import (
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// Issue 20: `--addr [::]:PORT` listens on IPv6 and IPv4 alike, and a
// missing page answers a real 404.
func TestServe_IPv6(t *testing.T) {
	t.Parallel()
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	data := t.TempDir()
	s := clitest.MustRun(t, data, "", []string{"serve", "--addr", "[::]:0", "--data", data, "--db", ""})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(u.Host)
	for _, host := range []string{"[::1]", "127.0.0.1"} {
		for path, want := range map[string]int{"/": http.StatusOK, "/no/such/page/": http.StatusNotFound} {
			resp, err := http.Get("http://" + host + ":" + port + path)
			if err != nil {
				t.Fatalf("%s%s: %v", host, path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s%s: %d, want %d", host, path, resp.StatusCode, want)
			}
		}
	}
}
