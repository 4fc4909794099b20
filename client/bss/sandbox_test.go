package bss_test

import (
	"context"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/bss"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
	"github.com/vendorkit/vendorkit/sandbox"
)

// Cross-check against the sandbox, an independent implementation of the
// same docs: FromEnv with its variables, resource calls, expiry in
// seconds, one re-auth after revocation, no secret in the logs.
func TestAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	clk := wiretest.NewClock(time.Date(2014, 4, 1, 13, 56, 32, 0, time.UTC))
	s, err := sandbox.Start(ctx, sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := s.Vendor("bss")
	for k, val := range v.Env() {
		t.Setenv(k, val)
	}
	cfg, err := bss.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	var logs wiretest.Logs
	c := newClient(t, cfg, client.WithClock(clk), client.WithLogger(logs.Logger()), client.WithRetry(0, 0, 0))

	acc, err := c.GetAccountWithResponse(ctx, 1)
	if err != nil || acc.StatusCode() != 200 || acc.JSON200 == nil || acc.JSON200.Id != 1 {
		t.Fatalf("GetAccount: %v %+v", err, acc)
	}
	opts, err := c.ListAccountSyncOptionsWithResponse(ctx, 1)
	if err != nil || opts.StatusCode() != 200 || opts.JSON200 == nil {
		t.Fatalf("ListAccountSyncOptions: %v %+v", err, opts)
	}
	clk.Advance(1799 * time.Second) // expired: the password grant again
	if r, err := c.GetAccountWithResponse(ctx, 1); err != nil || r.StatusCode() != 200 {
		t.Fatalf("after expiry: %v", err)
	}
	v.RevokeAll() // 401: exactly one re-auth
	if r, err := c.GetAccountWithResponse(ctx, 1); err != nil || r.StatusCode() != 200 {
		t.Fatalf("after revocation: %v", err)
	}
	if n := v.Stats().TokenRequests["password"]; n != 3 {
		t.Errorf("%d password grants, want 3", n)
	}
	wiretest.NoSecrets(t, "logs", logs.String(), v.Secrets()...)
}
