package blueprint_test

import (
	"context"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/blueprint"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
	"github.com/vendorkit/vendorkit/sandbox"
)

// Cross-check against the sandbox, an independent implementation of the
// same docs.
func TestAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	clk := wiretest.NewClock(t0)
	s, err := sandbox.Start(ctx, sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := s.Vendor("blueprint")
	for k, val := range v.Env() {
		t.Setenv(k, val)
	}
	cfg, err := blueprint.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	var logs wiretest.Logs
	c := newClient(t, cfg, client.WithClock(clk), client.WithLogger(logs.Logger()), client.WithRetry(0, 0, 0))

	pages, err := c.ListPagesWithResponse(ctx)
	if err != nil || pages.StatusCode() != 200 {
		t.Fatalf("ListPages: %v %+v", err, pages)
	}
	u, err := c.User(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "c8dcd36f-8f07-5e20-a8cd-8b72051bc374" || u.FirstName != "First" || u.Issued.IsZero() ||
		!u.Expires.Equal(u.Issued.Add(1209599*time.Second)) {
		t.Errorf("user %+v", u)
	}
	tok, _ := c.Token(ctx)
	if want := t0.Add(1209599 * time.Second); !tok.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", tok.Expiry, want)
	}
	v.RevokeAll()
	if r, err := c.ListPagesWithResponse(ctx); err != nil || r.StatusCode() != 200 {
		t.Fatalf("after revocation: %v", err)
	}
	if n := v.Stats().TokenRequests["password"]; n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
	wiretest.NoSecrets(t, "logs", logs.String(), v.Secrets()...)
}
