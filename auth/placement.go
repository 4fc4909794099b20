package auth

import (
	"net/http"
	"net/url"
	"strings"
)

// Location says where a Placement puts the token.
type Location int

const (
	// InHeader puts the token in a request header.
	InHeader Location = iota
	// InQuery puts the token in a query parameter. Opt-in only: tokens in
	// URLs leak into access logs, proxies and error strings (see redactError).
	InQuery
)

// Placement says where a vendor wants the access token. Plain value type.
type Placement struct {
	In     Location
	Name   string // header or query parameter name
	Prefix string // e.g. "Bearer " for Authorization
}

// Bearer places "Authorization: Bearer <token>", always with a capital B,
// whatever case the vendor's token_type uses (RFC 6750 §2.1).
func Bearer() Placement { return Placement{In: InHeader, Name: "Authorization", Prefix: "Bearer "} }

// Header places the raw token in the named header, e.g. Header("x-access-token").
func Header(name string) Placement { return Placement{In: InHeader, Name: name} }

// Query places the raw token in the named query parameter, e.g.
// Query("access_token"). Opt-in only: prefer a header whenever the vendor
// accepts one.
func Query(name string) Placement { return Placement{In: InQuery, Name: name} }

// apply puts accessToken on req, replacing any previous value.
func (p Placement) apply(req *http.Request, accessToken string) {
	if p.Name == "" {
		return
	}
	switch p.In {
	case InQuery:
		if req.URL == nil {
			return
		}
		req.URL.RawQuery = setQueryParam(req.URL.RawQuery, p.Name, accessToken)
	default:
		if req.Header == nil {
			req.Header = make(http.Header)
		}
		req.Header.Set(p.Name, p.Prefix+accessToken)
	}
}

// remove deletes the credential p places from req.
func (p Placement) remove(req *http.Request) {
	if p.Name == "" {
		return
	}
	switch p.In {
	case InQuery:
		if req.URL != nil {
			req.URL.RawQuery = setQueryParam(req.URL.RawQuery, p.Name, "")
		}
	default:
		req.Header.Del(p.Name)
	}
}

// setQueryParam removes every name=... from raw and, when value is not
// empty, appends name=value; other parameters keep their order and encoding.
func setQueryParam(raw, name, value string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil && uk == name {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	if value != "" {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(value))
	}
	return b.String()
}
