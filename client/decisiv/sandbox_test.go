package decisiv_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/decisiv"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
	"github.com/vendorkit/vendorkit/sandbox"
)

// Cross-check against the sandbox, an independent implementation of the
// same docs, with both of its XML layouts and a bearer-refusing endpoint.
func TestAgainstSandbox(t *testing.T) {
	for _, compact := range []bool{false, true} {
		ctx := context.Background()
		s, err := sandbox.Start(ctx, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.DecisivOptions{CompactXML: compact}}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		v := s.Vendor("decisiv")
		for k, val := range v.Env() {
			t.Setenv(k, val)
		}
		cfg, err := decisiv.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		var logs wiretest.Logs
		c := newClient(t, cfg, client.WithLogger(logs.Logger()), client.WithRetry(0, 0, 0))
		if r, err := c.BearerTestWithResponse(ctx); err != nil || r.StatusCode() != 200 {
			t.Fatalf("compact=%v: %v", compact, err)
		}
		v.RevokeAll()
		if r, err := c.BearerTestWithResponse(ctx); err != nil || r.StatusCode() != 200 {
			t.Fatalf("after revocation: %v", err)
		}
		if n := v.Stats().TokenRequests["client_credentials"]; n != 2 {
			t.Errorf("%d token requests, want 2", n)
		}
		wiretest.NoSecrets(t, "logs", logs.String(), v.Secrets()...)
	}

	// 403 from the sandbox: typed, no re-auth.
	ctx := context.Background()
	s, err := sandbox.Start(ctx, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.DecisivOptions{BearerRefusedPaths: []string{"/platform_api/bearer_test"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := s.Vendor("decisiv")
	for k, val := range v.Env() {
		t.Setenv(k, val)
	}
	cfg, _ := decisiv.FromEnv()
	c := newClient(t, cfg)
	_, err = c.BearerTestWithResponse(ctx)
	if !errors.Is(err, decisiv.ErrBearerNotSupported) {
		t.Fatalf("err = %v", err)
	}
	if n := v.Stats().TokenRequests["client_credentials"]; n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}
