package ioffice_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
	"github.com/vendorkit/vendorkit/client/ioffice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// Cross-check against the sandbox, an independent implementation of the
// same docs: headless login, millisecond expiry, refresh with rotation,
// revoke, and the browser flow through its login page.
func TestAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	clk := wiretest.NewClock(t0)
	s, err := sandbox.Start(ctx, sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := s.Vendor("ioffice")
	v.SetTokenLifetime(3 * time.Second)
	for k, val := range v.Env() {
		t.Setenv(k, val)
	}
	cfg, err := ioffice.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	var logs wiretest.Logs
	opts := []client.Option{client.WithClock(clk), client.WithLogger(logs.Logger()), client.WithRetry(0, 0, 0)}

	t.Run("headless", func(t *testing.T) {
		c := newClient(t, cfg, opts...)
		for range 3 {
			me, err := c.GetCurrentUserWithResponse(ctx)
			if err != nil || me.StatusCode() != 200 {
				t.Fatalf("users/me: %v %+v", err, me)
			}
			tok, _ := c.Token(ctx)
			if tok.Expiry.Sub(clk.Now()) != 3*time.Second {
				t.Errorf("lifetime %v, want 3s", tok.Expiry.Sub(clk.Now()))
			}
			clk.Advance(3 * time.Second)
		}
		st := v.Stats().TokenRequests
		if st["auth_code"] != 1 || st["authorization_code"] != 1 || st["refresh_token"] != 2 {
			t.Errorf("token requests %v", st)
		}
		if err := c.Revoke(ctx); err != nil {
			t.Fatal(err)
		}
		if n := v.Stats().TokenRequests["revoke"]; n != 2 {
			t.Errorf("%d revoke requests, want 2 (access and refresh token)", n)
		}
	})

	t.Run("browser", func(t *testing.T) {
		bcfg := cfg
		bcfg.Username, bcfg.Password = "", ""
		c := newClient(t, bcfg, opts...)
		state, _ := ioffice.NewState()
		loginURL, err := c.AuthCodeURL(state)
		if err != nil {
			t.Fatal(err)
		}
		redirect, err := v.AuthorizeBrowser(loginURL, cfg.Username, cfg.Password)
		if err != nil {
			t.Fatalf("the sandbox's login page refused %s: %v", loginURL, err)
		}
		code, appCode, err := ioffice.ParseRedirect(redirect, state)
		if err != nil || appCode == "" {
			t.Fatalf("ParseRedirect(%s): %v", redirect, err)
		}
		if _, err := c.Exchange(ctx, code); err != nil {
			t.Fatal(err)
		}
		if me, err := c.GetCurrentUserWithResponse(ctx); err != nil || me.StatusCode() != 200 {
			t.Fatalf("users/me: %v", err)
		}
		v.RevokeAll() // the refresh token dies with the access token
		clk.Advance(3 * time.Second)
		if _, err := c.GetCurrentUserWithResponse(ctx); !errors.Is(err, auth.ErrReloginRequired) {
			t.Errorf("err = %v, want ErrReloginRequired", err)
		}
	})
	wiretest.NoSecrets(t, "logs", logs.String(), v.Secrets()...)
}

// The methods for tools (RedirectURI, ParseLoginRedirect) are the
// package's functions.
func TestLoginMethods(t *testing.T) {
	c, err := ioffice.New(ioffice.Config{BaseURL: "https://example.iofficeconnect.com", ClientID: "id",
		RedirectURI: "http://127.0.0.1:8765/cb", Scope: "email"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.RedirectURI() != "http://127.0.0.1:8765/cb" {
		t.Errorf("RedirectURI %q", c.RedirectURI())
	}
	for _, tc := range []struct {
		frag    string
		allow   bool
		wantErr error
	}{
		{"code=c1&appCode=a&state=s1", false, nil},
		{"code=c1&appCode=a&state=s2", false, ioffice.ErrStateMismatch},
		{"code=c1&appCode=a", false, ioffice.ErrMissingState},
		{"code=c1&appCode=a", true, nil},
		{"code=c1&appCode=a&state=s2", true, ioffice.ErrStateMismatch},
	} {
		code, app, err := c.ParseLoginRedirect(tc.frag, "s1", tc.allow)
		if !errors.Is(err, tc.wantErr) || (err == nil && (code != "c1" || app != "a")) {
			t.Errorf("%q allow=%v: %q %q %v", tc.frag, tc.allow, code, app, err)
		}
	}
}
