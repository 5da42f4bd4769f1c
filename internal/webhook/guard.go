package webhook

import (
	"context"
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

// ErrForbiddenAddress is a webhook host that is (or resolves to) an
// address Allyway refuses to call: private, loopback, link-local,
// unspecified, multicast or otherwise not on the public internet.
var ErrForbiddenAddress = errors.New("webhook: the address is not a public internet address")

// nonPublic are the ranges refused besides what netip classifies
// (loopback, private, link-local, multicast, unspecified).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
}

// PublicAddr reports whether ip is an address webhooks may be sent to
// without the allow-private setting.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Guard decides which URLs webhooks may be sent to.
type Guard struct {
	// AllowPrivate lets any address through (config
	// ALLYWAY_WEBHOOK_ALLOW_PRIVATE; development and tests).
	AllowPrivate bool
	// Resolver looks host names up; nil means net.DefaultResolver.
	Resolver *net.Resolver
}

// URL field messages, shown to people and API clients alike.
const (
	msgURLScheme  = "Use an http:// or https:// URL."
	msgURLHost    = "Use a URL with a host name, e.g. https://crm.example.com/hooks/allyway."
	msgURLUser    = "Don't put a user name or password in the URL; check the signature instead."
	msgURLLength  = "Use a URL of up to 2,000 characters."
	msgURLPrivate = "This URL points to a private, loopback or link-local address. Use an address reachable on the internet."
	msgURLResolve = "We couldn't find this host. Check the spelling, or try again once its DNS is set up."
)

// CheckURL validates a subscription URL: http(s), a host, no credentials
// and, unless AllowPrivate, a host whose every address is public. It
// returns a message for the url field, or "".
func (g Guard) CheckURL(ctx context.Context, raw string) string {
	raw = strings.TrimSpace(raw)
	if len(raw) > 2000 {
		return msgURLLength
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return msgURLScheme
	}
	if u.Hostname() == "" || u.Opaque != "" {
		return msgURLHost
	}
	if u.User != nil {
		return msgURLUser
	}
	if g.AllowPrivate {
		return ""
	}
	addrs, err := g.lookup(ctx, u.Hostname())
	if err != nil {
		return msgURLResolve
	}
	for _, a := range addrs {
		if !PublicAddr(a) {
			return msgURLPrivate
		}
	}
	return ""
}

func (g Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("webhook: %s has no address", host)
	}
	return addrs, nil
}

// control refuses, at connect time, a connection to a non-public address:
// the check that counts, since DNS may answer differently than when the
// URL was saved (DNS rebinding).
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if !PublicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// Client returns the HTTP client deliveries use: each request bounded by
// timeout, no proxy (a proxy would connect for us, unchecked), no
// redirects (a 3xx is an answer, and a failure), and every connection's
// address checked by the guard.
func (g Guard) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control, Resolver: g.Resolver}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          50,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
