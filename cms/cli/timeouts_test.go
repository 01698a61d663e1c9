package cli_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestServe_SlowBodyTimesOut: a client that declares a body and trickles it
// a byte at a time is cut off once the body timeout passes, instead of
// holding a connection (and a goroutine) open for as long as it likes.
// Issue 12, item 11.
func TestServe_SlowBodyTimesOut(t *testing.T) {
	t.Parallel()
	s := clitest.MustRunServe(t, "", "--demo=false", "--body-timeout", "1s")
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, err = io.WriteString(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
	if err != nil {
		t.Fatal(err)
	}
	// Trickle for up to 8 s; the server must close the connection (or
	// answer and close) long before.
	closed := make(chan error, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			resp.Body.Close()
			t.Logf("answered %d before closing", resp.StatusCode)
		}
		closed <- err
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for time.Since(start) < 8*time.Second {
		select {
		case <-closed:
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("connection closed only after %s", d)
			}
			return
		case <-tick.C:
			if _, err := conn.Write([]byte(" ")); err != nil {
				return // the server hung up
			}
		}
	}
	t.Fatal("a body trickled a byte every 250 ms kept the connection open for 8 s")
}
