//go:build !race

// (The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.)

package auth

import (
	"context"
	"net/http"
	"testing"
	"time"
)

type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// The HTTP stack's steady-state cost over a plain http.Client with a
// static header, in allocations per successful bodiless call: none. This
// pins what bench/ measured (BENCHMARKS.md): no per-call
// retryablehttp.Client or hook closures (pooled), no request copy, no
// second http.Client.Do on a first-attempt success, no debug log
// arguments built for a discarding logger, and the Editor's header value
// built once per token.
func TestHTTPClientAllocsOverPlainClient(t *testing.T) {
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
	edit := Editor(src, Bearer())
	run := func(hc *http.Client, sign func(*http.Request)) float64 {
		return testing.AllocsPerRun(500, func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.example.test/v1/things", nil)
			if err != nil {
				t.Fatal(err)
			}
			sign(req)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		})
	}
	plain := run(&http.Client{Transport: cannedTransport{}}, func(req *http.Request) {
		req.Header.Set("Authorization", "Bearer primary-access-1")
	})
	stack := run(NewHTTPClient(HTTPOptions{Source: src, Placement: Bearer(), Base: cannedTransport{}}), func(req *http.Request) {
		if err := edit(ctx, req); err != nil {
			t.Fatal(err)
		}
	})
	if extra := stack - plain; extra > 0 {
		t.Errorf("NewHTTPClient + Editor: %v allocs per call, plain http.Client with a static header: %v; want no more", stack, plain)
	}
}
