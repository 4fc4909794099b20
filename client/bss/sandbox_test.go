package bss_test

import (
	"context"
	"errors"
	"reflect"
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

// The descriptor's sample call reads VENDORKIT_BSS_ACCOUNT_ID (default 1);
// a value that is not an integer is a configuration error naming the
// variable, and nothing is sent.
func TestSampleAccountID(t *testing.T) {
	ctx := context.Background()
	s, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	env := s.Vendor("bss").Env()
	d := bss.Descriptor()
	c, err := d.Open(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		id      string
		status  int
		summary string
	}{
		{"", 200, "GET /api/accounts/1 → account 1"},
		{"1", 200, "GET /api/accounts/1 → account 1"},
		{"2", 404, ""},
	} {
		status, summary, err := d.Sample(ctx, c, func(k string) (string, bool) {
			return tc.id, k == "VENDORKIT_BSS_ACCOUNT_ID"
		})
		if err != nil || status != tc.status || summary != tc.summary {
			t.Errorf("ACCOUNT_ID %q: %d %q %v, want %d %q", tc.id, status, summary, err, tc.status, tc.summary)
		}
	}
	before := s.Vendor("bss").Stats()
	status, _, err := d.Sample(ctx, c, func(k string) (string, bool) { return "one", k == "VENDORKIT_BSS_ACCOUNT_ID" })
	if !errors.Is(err, client.ErrInvalidConfig) || status != 0 ||
		err.Error() != "vendorkit: invalid configuration: VENDORKIT_BSS_ACCOUNT_ID is not an integer" {
		t.Errorf("ACCOUNT_ID one: %d %v", status, err)
	}
	if after := s.Vendor("bss").Stats(); !reflect.DeepEqual(after, before) {
		t.Errorf("a request was sent: stats %+v, then %+v", before, after)
	}
}
