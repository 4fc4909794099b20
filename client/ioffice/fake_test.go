package ioffice_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/vendorkit/vendorkit/client/internal/wiretest"
)

const (
	clientID    = "client-1"
	redirectURI = "https://app.example.com/oauth/callback"
	scope       = "email"
	username    = "jdoe@example.com"
	password    = "pa$$ w0rd!"

	pathAuth   = "/external/api/oauth2/auth"
	pathToken  = "/external/api/oauth2/token"
	pathRevoke = "/external/api/oauth2/revoke"
	pathMe     = "/external/api/rest/v2/users/me"
)

// fakeIOffice plays an iOFFICE site as its docs describe it: codes from
// /oauth2/auth (or from the browser login, issueCode), exchanged once at
// /oauth2/token; refresh tokens rotate and are single use; revoke
// invalidates an access or refresh token; users/me takes the token in x-access-token
// or access_token.
type fakeIOffice struct {
	rec       wiretest.Recorder
	prefix    string
	expiresIn int64 // milliseconds
	noRotate  bool  // refresh answers without a refresh_token
	forbidden int   // answer this many resource calls with 403

	mu      sync.Mutex
	n       int
	codes   map[string]bool
	access  map[string]bool
	refresh map[string]bool
}

func newFake(t *testing.T) (*fakeIOffice, *httptest.Server) {
	f := &fakeIOffice{expiresIn: 3000, codes: map[string]bool{}, access: map[string]bool{}, refresh: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func jsonReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	jsonReply(w, status, map[string]string{"error": code, "error_description": desc})
}

// issueCode is what login.html does after the user signs in.
func (f *fakeIOffice) issueCode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	c := fmt.Sprintf("auth-code-%d", f.n)
	f.codes[c] = true
	return c
}

// killTokens invalidates every access and refresh token.
func (f *fakeIOffice) killTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.access)
	clear(f.refresh)
}

func (f *fakeIOffice) revokeAccess(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.access, tok)
}

func (f *fakeIOffice) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := f.rec.Capture(r)
	h := req.Header
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == "POST" && req.Path == f.prefix+pathAuth:
		if h.Get("x-client-id") != clientID {
			oauthError(w, 400, "invalid_client", "unknown client")
			return
		}
		if h.Get("x-auth-username") != username || h.Get("x-auth-password") != password {
			// Echoes the password, as a careless server might.
			oauthError(w, 401, "invalid_credentials", "wrong password "+h.Get("x-auth-password"))
			return
		}
		f.n++
		c := fmt.Sprintf("auth-code-%d", f.n)
		f.codes[c] = true
		jsonReply(w, 200, map[string]string{"code": c})

	case r.Method == "POST" && req.Path == f.prefix+pathToken:
		if h.Get("x-client-id") != clientID || h.Get("x-redirect-uri") != redirectURI || h.Get("x-scope") != scope {
			oauthError(w, 400, "invalid_request", "client, redirect uri or scope mismatch")
			return
		}
		switch h.Get("x-grant-type") {
		case "authorization_code":
			c := h.Get("x-auth-code")
			if !f.codes[c] {
				oauthError(w, 400, "invalid_grant", "code "+c+" is invalid or expired")
				return
			}
			delete(f.codes, c)
		case "refresh_token":
			rt := h.Get("x-refresh-token")
			if !f.refresh[rt] {
				oauthError(w, 400, "invalid_grant", "refresh token "+rt+" is invalid")
				return
			}
			if !f.noRotate {
				delete(f.refresh, rt) // single use: rotation
			}
		default:
			oauthError(w, 400, "unsupported_grant_type", "")
			return
		}
		f.n++
		resp := map[string]any{
			"token_type":   "Bearer",
			"access_token": fmt.Sprintf("acc-tok-%d", f.n),
			"expires_in":   f.expiresIn,
		}
		f.access[resp["access_token"].(string)] = true
		if !(f.noRotate && h.Get("x-grant-type") == "refresh_token") {
			rt := fmt.Sprintf("ref-tok-%d", f.n)
			resp["refresh_token"] = rt
			f.refresh[rt] = true
		}
		jsonReply(w, 200, resp)

	case r.Method == "POST" && req.Path == f.prefix+pathRevoke:
		tok := h.Get("x-token")
		if !f.access[tok] && !f.refresh[tok] {
			oauthError(w, 400, "invalid_token", "")
			return
		}
		delete(f.access, tok)
		delete(f.refresh, tok)
		w.WriteHeader(200)

	case r.Method == "GET" && req.Path == f.prefix+pathMe:
		tok := h.Get("x-access-token")
		if tok == "" {
			tok = r.URL.Query().Get("access_token")
		}
		if !f.access[tok] {
			oauthError(w, 401, "invalid_token", "")
			return
		}
		if f.forbidden > 0 {
			f.forbidden--
			oauthError(w, 403, "forbidden", "")
			return
		}
		jsonReply(w, 200, map[string]any{"id": 7, "name": "Jo Doe", "email": username})

	default:
		http.NotFound(w, r)
	}
}
