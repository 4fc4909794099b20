package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/vendorkit/vendorkit/internal/origin"
)

// Editor is the request-editor signature of every generated package
// (their RequestEditorFn types are this unnamed func type).
type Editor = func(ctx context.Context, req *http.Request) error

// DefaultHeader returns an Editor that sets name to value unless the
// request already carries name, so a caller's own header (or a per-call
// editor) wins.
func DefaultHeader(name, value string) Editor {
	return func(_ context.Context, req *http.Request) error {
		if req.Header == nil {
			req.Header = make(http.Header)
		}
		if req.Header.Get(name) == "" {
			req.Header.Set(name, value)
		}
		return nil
	}
}

// ErrForeignOrigin is returned by Do for a request to another origin than
// the client's BaseURL: the token is never sent elsewhere.
var ErrForeignOrigin = errors.New("vendorkit: request is not for the client's base URL origin")

// Do sends req as a generated operation would: it runs editors (the
// client's static headers and token editor) on a copy of req bound to ctx,
// then sends it with doer (the resource client: re-auth, retries,
// redaction). For requests the generated client has no operation for.
//
// A relative req.URL ("/api/accounts/1?x=y") is resolved under base, path
// prefix included; an absolute one must have base's scheme, host and port,
// else the error wraps ErrForeignOrigin and nothing is sent.
func Do(ctx context.Context, base string, doer Doer, req *http.Request, editors ...Editor) (*http.Response, error) {
	b, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	r := req.Clone(ctx)
	if r.URL.Scheme == "" && r.URL.Host == "" {
		u := *b
		u.Path = strings.TrimRight(b.Path, "/") + "/" + strings.TrimLeft(r.URL.Path, "/")
		u.RawPath = ""
		u.RawQuery = r.URL.RawQuery
		r.URL = &u
		r.Host = ""
	} else if !origin.Same(r.URL, b) {
		return nil, ErrForeignOrigin
	}
	for _, ed := range editors {
		if err := ed(ctx, r); err != nil {
			return nil, err
		}
	}
	return doer.Do(r)
}
