package sandbox_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/vendorkit/vendorkit/sandbox"
)

// BenchmarkBSSSyncOptions measures the sandbox's resource hot path (route,
// fault check, spec validation, token lookup, ~1 KiB pre-encoded body)
// under parallel load, over real loopback HTTP.
func BenchmarkBSSSyncOptions(b *testing.B) {
	s, err := sandbox.Start(b.Context(), sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	b.Cleanup(func() { tr.CloseIdleConnections(); s.Close() })
	hc := &http.Client{Transport: tr}
	e := &env{t: b, s: s, hc: hc}
	tok := e.bssToken()
	url := s.Vendor("bss").BaseURL + "/api/accounts/1/syncoptions"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Api-Version", "latest")
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
