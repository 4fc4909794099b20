package bench

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

// Credentials of the benchmark's BSS account. They have no characters that
// form-encoding changes, so x/oauth2 (which form-encodes the client key and
// secret before the Basic encoding, RFC 6749 §2.3.1) can log in: the docs'
// secret holds '/', '+' and '=', which BSS and the sandbox reject in that
// form by design.
const (
	benchKey    = "vendorkit-bench"
	benchSecret = "benchsecret"
	benchUser   = "bench"
	benchPass   = "benchpass"
	apiVersion  = "latest"

	tokenPath    = "/oauth/token"
	resourcePath = "/api/accounts/1/syncoptions"
)

// bssOptions is the sandbox's BSS account for every row. lifetime 0 keeps
// the sandbox default.
func bssOptions(lifetime time.Duration) sandbox.Options {
	return sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.BSSOptions{
		ClientKey:     benchKey,
		ClientSecret:  benchSecret,
		Username:      benchUser,
		Password:      benchPass,
		APIVersion:    apiVersion,
		TokenLifetime: lifetime,
	}}}
}

// servers is the sandbox plus the minimal server serving its bytes.
type servers struct {
	sb      *sandbox.Sandbox
	minimal *minimalServer
	srv     *http.Server
	ln      net.Listener
}

// startServers starts the sandbox (tokens live 24 h: rows 1 and 4 measure
// the steady state, never a refresh) and a minimal server that serves the
// sandbox's exact syncoptions bytes and Content-Type.
func startServers(ctx context.Context) (*servers, error) {
	sb, err := sandbox.Start(ctx, bssOptions(24*time.Hour))
	if err != nil {
		return nil, err
	}
	s := &servers{sb: sb}
	base := sb.Vendor("bss").BaseURL
	hc := &http.Client{Timeout: 10 * time.Second}
	tok, err := passwordToken(ctx, hc, base)
	if err != nil {
		s.Close()
		return nil, err
	}
	body, ctype, err := fetchPayload(ctx, hc, base, tok)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.minimal = newMinimalServer(body, ctype)
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.srv = &http.Server{Handler: s.minimal, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(s.ln)
	return s, nil
}

func (s *servers) endpoints() endpoints {
	return endpoints{
		Sandbox: s.sb.Vendor("bss").BaseURL,
		Minimal: "http://" + s.ln.Addr().String() + "/bsssmapi",
	}
}

func (s *servers) Close() error {
	if s.srv != nil {
		s.srv.Close()
	}
	return s.sb.Close()
}

// basicAuth is BSS's client authentication: base64 of the raw key:secret.
func basicAuth() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(benchKey+":"+benchSecret))
}

// passwordToken runs BSS's password grant with plain net/http.
func passwordToken(ctx context.Context, hc *http.Client, base string) (string, error) {
	form := url.Values{"grant_type": {"password"}, "username": {benchUser}, "password": {benchPass}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+tokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", basicAuth())
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", fmt.Errorf("token endpoint: %s: %s", resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		return "", err
	}
	if tr.AccessToken == "" {
		return "", errors.New("token endpoint: no access_token")
	}
	return tr.AccessToken, nil
}

func fetchPayload(ctx context.Context, hc *http.Client, base, tok string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+resourcePath, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Api-Version", apiVersion)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("syncoptions: %s: %s", resp.Status, body)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// minimalServer is the sandbox's BSS stripped to what rows 1 and 4 need,
// without kin-openapi routing and validation or the generated strict
// server: the password grant (raw Basic, form credentials) and GET
// syncoptions with the same token check (an issued, unexpired token), the
// same Accept and X-Api-Version checks and the same response bytes and
// headers (Content-Type, Content-Length).
type minimalServer struct {
	body   []byte
	ctype  string
	length string
	basic  string

	mu     sync.RWMutex
	tokens map[string]struct{}
}

func newMinimalServer(body []byte, ctype string) *minimalServer {
	return &minimalServer{
		body:   body,
		ctype:  ctype,
		length: strconv.Itoa(len(body)),
		basic:  basicAuth(),
		tokens: map[string]struct{}{},
	}
}

func (m *minimalServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/bsssmapi" + tokenPath:
		m.token(w, r)
	case "/bsssmapi" + resourcePath:
		m.resource(w, r)
	default:
		m.fail(w, http.StatusNotFound, "not_found")
	}
}

func (m *minimalServer) fail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", m.ctype)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q}`, code)
}

func (m *minimalServer) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		m.fail(w, http.StatusMethodNotAllowed, "invalid_request")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(m.basic)) != 1 {
		m.fail(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "password" ||
		r.PostForm.Get("username") != benchUser || r.PostForm.Get("password") != benchPass {
		m.fail(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	var raw [32]byte
	rand.Read(raw[:])
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	m.mu.Lock()
	m.tokens[tok] = struct{}{}
	m.mu.Unlock()
	w.Header().Set("Content-Type", m.ctype)
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":86400}`, tok)
}

func (m *minimalServer) resource(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		m.fail(w, http.StatusMethodNotAllowed, "invalid_request")
		return
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	m.mu.RLock()
	_, ok := m.tokens[tok]
	m.mu.RUnlock()
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		m.fail(w, http.StatusUnauthorized, "invalid_token")
		return
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		m.fail(w, http.StatusNotAcceptable, "not_acceptable")
		return
	}
	if r.Header.Get("X-Api-Version") != apiVersion {
		m.fail(w, http.StatusBadRequest, "invalid_request")
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{m.ctype}
	h["Content-Length"] = []string{m.length}
	w.WriteHeader(http.StatusOK)
	w.Write(m.body)
}
