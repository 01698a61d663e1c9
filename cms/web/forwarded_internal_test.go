package web

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestTrustedPeer_AgreesWithGin checks that X-Forwarded-Host is believed
// from exactly the peers Gin believes X-Forwarded-For from.
func TestTrustedPeer_AgreesWithGin(t *testing.T) {
	t.Parallel()
	configs := [][]string{
		nil,
		{"127.0.0.1"},
		{"10.0.0.0/8", "::1"},
		{"192.0.2.1", "2001:db8::/32"},
		{"::ffff:198.51.100.7"},
	}
	peers := []string{"127.0.0.1:5000", "10.1.2.3:80", "[::1]:443", "192.0.2.1:1", "192.0.2.2:1",
		"[2001:db8::5]:8080", "[2001:db9::5]:8080", "198.51.100.7:9", "bogus"}
	for _, list := range configs {
		s := New(Config{TrustedProxies: list, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		for _, peer := range peers {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = peer
			req.Header.Set("X-Forwarded-For", "203.0.113.9")
			c := gin.CreateTestContextOnly(httptest.NewRecorder(), s.engine)
			c.Request = req
			gins := c.ClientIP() == "203.0.113.9"
			if got := s.trustedPeer(req); got != gins {
				t.Errorf("proxies %q, peer %s: trusted %v, Gin trusts its X-Forwarded-For: %v", list, peer, got, gins)
			}
		}
	}
}

// TestNew_BadTrustedProxies trusts nobody when a proxy is not an address,
// where Gin alone would keep trusting everybody.
func TestNew_BadTrustedProxies(t *testing.T) {
	t.Parallel()
	s := New(Config{TrustedProxies: []string{"10.0.0.1", "proxy.example"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.1:80"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	c := gin.CreateTestContextOnly(httptest.NewRecorder(), s.engine)
	c.Request = req
	if ip := c.ClientIP(); ip != "10.0.0.1" || s.trustedPeer(req) {
		t.Errorf("client %s, trusted %v: want the peer itself, untrusted", ip, s.trustedPeer(req))
	}
}

func TestForwardedHost(t *testing.T) {
	t.Parallel()
	s := New(Config{TrustedProxies: []string{"10.0.0.0/8"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, tc := range []struct {
		peer   string
		values []string
		want   string
	}{
		{"10.0.0.2:1", []string{"jy.example.gov.cn"}, "jy.example.gov.cn"},
		{"10.0.0.2:1", []string{"jy.example.gov.cn:8443, proxy.internal"}, "jy.example.gov.cn:8443"},
		{"10.0.0.2:1", []string{"a.example", "b.example"}, "a.example"},
		{"10.0.0.2:1", []string{"[2001:db8::1]:80"}, "[2001:db8::1]:80"},
		{"10.0.0.2:1", []string{"bad host/"}, ""},
		{"10.0.0.2:1", []string{" , x.example"}, ""},
		{"10.0.0.2:1", nil, ""},
		{"203.0.113.5:1", []string{"jy.example.gov.cn"}, ""},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.peer
		for _, v := range tc.values {
			req.Header.Add("X-Forwarded-Host", v)
		}
		c := gin.CreateTestContextOnly(httptest.NewRecorder(), s.engine)
		c.Request = req
		if got := s.forwardedHost(c); got != tc.want {
			t.Errorf("from %s, X-Forwarded-Host %q: %q, want %q", tc.peer, tc.values, got, tc.want)
		}
	}
}
