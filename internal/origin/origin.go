// Package origin is vendorkit's one definition of "the same origin" and of
// "a loopback host", shared by the auth stack (where credentials may go),
// the client configuration checks and the command line.
package origin

import (
	"net/netip"
	"net/url"
	"strings"
)

// Origin is a URL's scheme, host and port (RFC 6454), normalized: lower
// case, and the scheme's default port when the URL names none, so that
// https://h and https://H:443/x are the same origin.
type Origin struct {
	Scheme, Host, Port string
}

// Of returns u's origin.
func Of(u *url.URL) Origin {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return Origin{Scheme: scheme, Host: strings.ToLower(u.Hostname()), Port: port}
}

// Same reports whether a and b have the same origin. A nil URL has none.
func Same(a, b *url.URL) bool {
	return a != nil && b != nil && Of(a) == Of(b)
}

// String is scheme://host[:port], the port omitted when it is the
// scheme's default.
func (o Origin) String() string {
	host := o.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (o.Scheme == "https" && o.Port == "443") || (o.Scheme == "http" && o.Port == "80") || o.Port == "" {
		return o.Scheme + "://" + host
	}
	return o.Scheme + "://" + host + ":" + o.Port
}

// IsLoopback reports whether host (a URL's Hostname: no port, no
// brackets) is "localhost" or a loopback IP address (127.0.0.0/8, ::1,
// and their IPv4-mapped forms). Addresses with a zone are not.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	// netip parses without allocating (net.ParseIP returns a slice).
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}
