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

// The HTTP stack's steady-state cost over a plain http.Client that sets
// the same header itself, in allocations per successful bodiless call: 5.
// Authorizing in the transport costs a request copy with its own header
// map (RoundTrip must not modify the caller's); go-retryablehttp's Do sends
// every attempt through an inner http.Client, which copies the headers and
// URL again (the price of one retry loop used through its public hooks);
// the header value built once per token saves what the plain client's Set
// allocates. Pooled call objects with pre-bound hooks and no debug log
// arguments for a discarding logger keep the rest at zero. The bound is
// the measured figure, so that any new allocation fails here first.
func TestHTTPClientAllocsOverPlainClient(t *testing.T) {
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		t.Fatal(err)
	}
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
	stack := run(NewHTTPClient(HTTPOptions{Source: src, Origin: "https://api.example.test", Placement: Bearer(), Base: cannedTransport{}}),
		func(*http.Request) {})
	const budget = 5
	if extra := stack - plain; extra > budget {
		t.Errorf("NewHTTPClient: %v allocs per call, plain http.Client with a static header: %v; want at most %d more", stack, plain, budget)
	}
	t.Logf("NewHTTPClient: %v allocs per call, plain: %v (+%v)", stack, plain, stack-plain)
}
