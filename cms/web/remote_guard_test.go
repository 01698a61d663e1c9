package web

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestInternalAddr(t *testing.T) {
	t.Parallel()
	for _, a := range []string{
		"127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.100.100.200",
		"0.0.0.0", "::", "224.0.0.1", "ff02::1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"64:ff9b::a9fe:a9fe", "255.255.255.255", "198.18.0.1",
	} {
		if !internalAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is not refused", a)
		}
	}
	for _, a := range []string{"203.205.137.230", "119.147.1.1", "2408:8000::1", "64:ff9b::77f:101"} {
		if internalAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is refused", a)
		}
	}
}

// TestFetchImage_Guard is issue 12 item 13: a named host that resolves to
// an internal address is refused at dial time unless the configuration
// allows it, and http:// pictures are fetched over https.
func TestFetchImage_Guard(t *testing.T) {
	t.Parallel()
	var plain, secure int
	handler := func(n *int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			*n++
			w.Header().Set("Content-Type", "image/png")
			io.WriteString(w, "picture")
		}
	}
	ts := httptest.NewServer(handler(&plain))
	defer ts.Close()
	tlsSrv := httptest.NewTLSServer(handler(&secure))
	defer tlsSrv.Close()
	port := func(u string) string { return u[strings.LastIndexByte(u, ':')+1:] }

	server := func(cfg Config) *Server {
		cfg.Logger = slog.New(slog.DiscardHandler)
		s := New(cfg)
		// Trust the test server's certificate, keeping the guarded dialler.
		tr := s.remoteTransport()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		cfg.RemoteTransport = tr
		s.cfg.RemoteTransport = tr
		return s
	}
	ctx := context.Background()

	// "localhost" is a name: it resolves to loopback, which is refused.
	name := "localhost:" + port(ts.URL)
	s := server(Config{RemoteImageHosts: []string{name}, RemoteAllowHTTP: true})
	if _, _, err := s.fetchImage(ctx, "http://"+name+"/a.png"); err == nil || !strings.Contains(err.Error(), "internal") {
		t.Errorf("loopback by name: err %v", err)
	}
	if plain != 0 {
		t.Errorf("the refused server was reached %d times", plain)
	}

	// Allowed private addresses: https is tried first, then http when allowed.
	s = server(Config{RemoteImageHosts: []string{name}, RemoteAllowPrivate: true, RemoteAllowHTTP: true})
	if data, _, err := s.fetchImage(ctx, "http://"+name+"/a.png"); err != nil || string(data) != "picture" || plain != 1 {
		t.Errorf("allowed: %q %v (plain %d)", data, err, plain)
	}
	s = server(Config{RemoteImageHosts: []string{name}, RemoteAllowPrivate: true})
	if _, _, err := s.fetchImage(ctx, "http://"+name+"/a.png"); err == nil || plain != 1 {
		t.Errorf("plain http fetched without RemoteAllowHTTP (err %v, plain %d)", err, plain)
	}
	tlsName := "localhost:" + port(tlsSrv.URL)
	s = server(Config{RemoteImageHosts: []string{tlsName}, RemoteAllowPrivate: true})
	if data, _, err := s.fetchImage(ctx, "http://"+tlsName+"/a.png"); err != nil || string(data) != "picture" || secure != 1 {
		t.Errorf("http:// not upgraded to https: %q %v (secure %d)", data, err, secure)
	}

	// An address named in the configuration is explicit: fetched as written.
	literal := strings.TrimPrefix(ts.URL, "http://")
	s = server(Config{RemoteImageHosts: []string{literal}})
	if data, _, err := s.fetchImage(ctx, ts.URL+"/a.png"); err != nil || string(data) != "picture" {
		t.Errorf("listed address: %q %v", data, err)
	}

	// Redirects to internal addresses are refused at dial time too.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+name+"/a.png", http.StatusFound)
	}))
	defer redirect.Close()
	s = server(Config{RemoteImageHosts: []string{strings.TrimPrefix(redirect.URL, "http://"), name}, RemoteAllowHTTP: true})
	if _, _, err := s.fetchImage(ctx, redirect.URL+"/r"); err == nil {
		t.Error("redirect to loopback by name followed")
	}
}
