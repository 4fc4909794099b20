//go:build !race

// (The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.)

package kit

import (
	"net/http"
	"testing"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
)

type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// WithUserAgent costs nothing per resource call: the User-Agent rides in
// the header map the transport copies anyway, instead of a request clone.
func TestUserAgentAllocs(t *testing.T) {
	const base = "https://api.example"
	perCall := func(opts ...client.Option) float64 {
		opts = append(opts, client.WithHTTPClient(&http.Client{Transport: cannedTransport{}}))
		s, _ := acme(t, base, Spec{Placement: auth.Bearer(), Headers: http.Header{"Accept": {"application/json"}}}, opts...)
		hc := s.HTTPClient()
		req, _ := http.NewRequest("GET", base+"/x", nil)
		call := func() {
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		call() // the token fetch
		return testing.AllocsPerRun(200, call)
	}
	without, with := perCall(), perCall(client.WithUserAgent("Application Name"))
	if with != without {
		t.Errorf("WithUserAgent: %.0f allocations per call, %.0f without", with, without)
	}
}
