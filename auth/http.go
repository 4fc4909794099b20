package auth

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/hashicorp/go-cleanhttp"
)

// MaxTokenResponseBytes caps token-endpoint response bodies.
const MaxTokenResponseBytes = 1 << 20

// HTTPOptions configures NewHTTPClient.
type HTTPOptions struct {
	Vendor string
	// Source signs retries and re-authenticates; nil for a token-endpoint
	// client: no signing, no re-auth (but the same safe retries, size cap
	// and transport checks).
	Source         *Source
	Placement      Placement
	ReauthStatuses []int // default {401}
	// CheckResponse is a vendor hook: a non-nil error closes the body and
	// is returned from Do (Decisiv maps 403 to its own typed error this way).
	CheckResponse     func(*http.Response) error
	Base              http.RoundTripper // default: a pooled transport (go-cleanhttp)
	RetryMax          int               // default 3 (transient retries; the one re-auth retry is separate)
	RetryWaitMin      time.Duration     // default 100ms
	RetryWaitMax      time.Duration     // default 5s
	MaxRetryAfter     time.Duration     // cap on honoured Retry-After; default 30s
	MaxResponseBytes  int64             // >0: body reads beyond it fail with ErrResponseTooLarge
	AllowInsecureHTTP bool              // permit credentials over http:// to non-loopback hosts
	Logger            *slog.Logger
}

// NewHTTPClient returns an *http.Client on go-retryablehttp that re-signs
// retries, re-authenticates once on a re-auth status, retries transient
// failures safely, strips credentials on cross-origin redirects and refuses
// plain http to non-loopback hosts. See the package doc.
func NewHTTPClient(opts HTTPOptions) *http.Client {
	// TODO(auth): retry/re-auth stack lands in the next commit.
	base := opts.Base
	if base == nil {
		base = cleanhttp.DefaultPooledTransport()
	}
	return &http.Client{Transport: base}
}
