package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// The pasted-picture fetcher must not become a way into the server's own
// network. Host names are checked against RemoteImageHosts before a fetch,
// and the address a name resolves to is checked again when the connection
// is made (net.Dialer.Control), so a name that resolves to an inside
// address, or is re-pointed at one between the two (DNS rebinding), is
// refused: loopback, private, shared (CGNAT, where Alibaba Cloud's metadata
// service lives), link-local (169.254.169.254 and the other clouds'
// metadata services), unspecified, multicast and reserved ranges.
//
// Such addresses are reachable only when the configuration says so
// explicitly: Config.RemoteAllowPrivate, or a RemoteImageHosts entry that
// is itself an IP address (the operator named that very address).
//
// https is preferred: an http:// picture on an allowed host is fetched over
// https, and plain http is tried after that only with
// Config.RemoteAllowHTTP. A host entry given as an IP address is fetched as
// written. The fetcher does not use HTTP_PROXY: through a proxy the address
// check would see only the proxy.

// blockedPrefixes are the ranges other than those netip classifies itself.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // shared address space (CGNAT); Alibaba Cloud metadata 100.100.100.200
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("100::/64"),       // discard-only
}

// internalAddr reports whether a is an address the fetcher must not reach
// unless allowed.
func internalAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	// NAT64 (64:ff9b::/96) embeds an IPv4 address: judge that one.
	if a.Is6() && netip.MustParsePrefix("64:ff9b::/96").Contains(a) {
		b := a.As16()
		return internalAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// errInternalAddr is returned for a connection to a refused address.
var errInternalAddr = errors.New("address is loopback, private, link-local or otherwise internal")

// listedAddrs returns the addresses named literally in RemoteImageHosts,
// with their ports (80 and 443 for an entry without one).
func (s *Server) listedAddrs() map[netip.AddrPort]bool {
	out := map[netip.AddrPort]bool{}
	for _, h := range s.cfg.RemoteImageHosts {
		h = strings.TrimSpace(h)
		a, ok := literalAddr(h)
		if !ok {
			continue
		}
		if ap, err := netip.ParseAddrPort(h); err == nil {
			out[netip.AddrPortFrom(a.Unmap(), ap.Port())] = true
			continue
		}
		out[netip.AddrPortFrom(a.Unmap(), 80)] = true
		out[netip.AddrPortFrom(a.Unmap(), 443)] = true
	}
	return out
}

// literalAddr returns the address of a host or host:port that is an IP
// address.
func literalAddr(host string) (netip.Addr, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return a, err == nil
}

// dialControl refuses connections to internal addresses; it runs after
// the name was resolved, on the address actually dialled.
func (s *Server) dialControl(listed map[netip.AddrPort]bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w", address, err)
		}
		a := ap.Addr().Unmap()
		if s.cfg.RemoteAllowPrivate || listed[netip.AddrPortFrom(a, ap.Port())] || !internalAddr(a) {
			return nil
		}
		return fmt.Errorf("dial %s: %w", address, errInternalAddr)
	}
}

// remoteTransport is the fetcher's transport when none is injected: no
// proxy, and every connection's address checked.
func (s *Server) remoteTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: s.dialControl(s.listedAddrs())}
	return &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: remoteImageTimeout,
	}
}

// fetchURLs returns the URLs to try for src, in order: https first for
// an http:// URL on a named host; http after it only when allowed.
func (s *Server) fetchURLs(src string) []string {
	u, err := url.Parse(src)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return []string{src}
	}
	if _, ok := literalAddr(u.Host); ok {
		return []string{src} // an address the operator named is fetched as written
	}
	secure := *u
	secure.Scheme = "https"
	if s.cfg.RemoteAllowHTTP {
		return []string{secure.String(), src}
	}
	return []string{secure.String()}
}

// plainHTTPAllowed reports whether a redirect may lead to http://host.
func (s *Server) plainHTTPAllowed(host string) bool {
	_, ok := literalAddr(host)
	return ok || s.cfg.RemoteAllowHTTP
}
