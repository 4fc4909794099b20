package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Admin is a running admin endpoint: HTTP on 127.0.0.1, for driving a
// sandbox from another process (`vendorkit sandbox ctl`). Every request
// must carry "Authorization: Bearer <Token>": a loopback port is open to
// every local user's processes and, through DNS rebinding or a plain form
// post, to any web page the user's browser shows, and none of them should
// revoke everyone's tokens. The token is random per start and the
// sandbox's owner gets it from the exports.
//
// The API, all JSON; vendor (case-insensitive) picks one vendor, and
// where it is optional its absence means every vendor:
//
//	GET  /stats                                  → AdminStatus
//	POST /revoke-all?vendor=V                    → AdminStatus of the vendors revoked
//	POST /settings?vendor=V&token_lifetime=D&token_latency=D&login_state=BOOL
//	                                             → AdminStatus of the vendors changed
//	POST /fail?vendor=V&count=N&status=S&retry_after=R&drop=BOOL
//	                                             → AdminStatus of V
//
// D is a Go duration ("90s"); token_lifetime 0 restores the vendor's
// default. login_state applies to vendors with a browser login (iOFFICE).
// /fail queues count (default 1) faults as Vendor.FailNext does. Errors
// are RFC 6749 JSON: 400 for bad parameters, 401 without the token.
type Admin struct {
	URL   string // "http://127.0.0.1:PORT", no trailing slash
	Token string // the bearer token every request needs

	srv  *http.Server
	done chan struct{}
}

// AdminStatus is the body of every successful admin response.
type AdminStatus struct {
	Vendors []VendorStatus `json:"vendors"`
}

// VendorStatus is one vendor's counters (as Stats) and settings.
type VendorStatus struct {
	Vendor           string         `json:"vendor"`
	TokenRequests    map[string]int `json:"token_requests"`
	ResourceRequests int            `json:"resource_requests"`
	Rejected         int            `json:"rejected"`
	InvalidGrants    int            `json:"invalid_grants"`
	// TokenLifetime of tokens issued from now on, a Go duration; "0s":
	// they never expire.
	TokenLifetime string `json:"token_lifetime"`
	TokenLatency  string `json:"token_latency"`
	// LoginState is whether the browser login's redirect carries state;
	// absent for vendors without a browser login.
	LoginState *bool `json:"login_state,omitempty"`
	// PendingFaults counts resource calls that will still fail.
	PendingFaults int `json:"pending_faults"`
}

// StartAdmin serves the admin endpoint on 127.0.0.1:port (0: a free port)
// whatever Options.Addr is: it is for the sandbox's owner only. Requests
// are logged to Options.Log as vendor "admin". Close stops it; closing the
// Sandbox does not.
func (s *Sandbox) StartAdmin(port int) (*Admin, error) {
	ln, err := listen("127.0.0.1", port)
	if err != nil {
		return nil, fmt.Errorf("sandbox: admin: %w", err)
	}
	a := &Admin{URL: "http://" + ln.Addr().String(), Token: newSecret(), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		vs, err := s.pick(r.URL.Query(), false, "vendor")
		a.answer(w, vs, err)
	})
	mux.HandleFunc("POST /revoke-all", func(w http.ResponseWriter, r *http.Request) {
		vs, err := s.pick(r.URL.Query(), false, "vendor")
		if err == nil {
			for _, v := range vs {
				v.RevokeAll()
			}
		}
		a.answer(w, vs, err)
	})
	mux.HandleFunc("POST /settings", func(w http.ResponseWriter, r *http.Request) {
		vs, err := s.settings(r.URL.Query())
		a.answer(w, vs, err)
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) {
		vs, err := s.fail(r.URL.Query())
		a.answer(w, vs, err)
	})
	a.srv = &http.Server{
		Handler:           logged("admin", s.log, a.authorize(mux)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer close(a.done)
		a.srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return a, nil
}

// Close stops the admin endpoint and waits for its goroutines.
func (a *Admin) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if err != nil {
		a.srv.Close()
	}
	<-a.done
	return err
}

// authorize lets through only requests with the admin token.
func (a *Admin) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !equalSecret(bearer(r), a.Token) {
			oauthError(http.StatusUnauthorized, "invalid_token",
				"send Authorization: Bearer $VENDORKIT_SANDBOX_ADMIN_TOKEN, as the sandbox printed it").
				with("WWW-Authenticate", `Bearer realm="vendorkit sandbox admin"`).write(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// answer writes the status of vs, or err as a 400.
func (a *Admin) answer(w http.ResponseWriter, vs []*Vendor, err error) {
	if err != nil {
		oauthError(http.StatusBadRequest, "invalid_request", err.Error()).write(w)
		return
	}
	st := AdminStatus{Vendors: make([]VendorStatus, 0, len(vs))}
	for _, v := range vs {
		st.Vendors = append(st.Vendors, v.status())
	}
	jsonReply(http.StatusOK, st).write(w)
}

// status is v's VendorStatus now.
func (v *Vendor) status() VendorStatus {
	st := v.Stats()
	vs := VendorStatus{
		Vendor:           v.Name,
		TokenRequests:    st.TokenRequests,
		ResourceRequests: st.ResourceRequests,
		Rejected:         st.Rejected,
		InvalidGrants:    st.InvalidGrants,
		TokenLifetime:    v.tokenLifetime().String(),
		TokenLatency:     time.Duration(v.latency.Load()).String(),
		PendingFaults:    int(v.faults.pending.Load()),
	}
	if v.hasBrowserLogin() {
		on := !v.noState.Load()
		vs.LoginState = &on
	}
	return vs
}

// pick returns the vendor q names, or every vendor when it names none
// and required is false. params are the parameters the endpoint takes:
// an unknown one (a typo) is an error, not silently ignored.
func (s *Sandbox) pick(q url.Values, required bool, params ...string) ([]*Vendor, error) {
	for k := range q {
		if !slices.Contains(params, k) {
			return nil, fmt.Errorf("unknown parameter %q; this endpoint takes %s", k, strings.Join(params, ", "))
		}
	}
	name := strings.ToLower(q.Get("vendor"))
	if name == "" {
		if required {
			return nil, errors.New("vendor is required")
		}
		return s.Vendors(), nil
	}
	if v := s.Vendor(name); v != nil {
		return []*Vendor{v}, nil
	}
	names := make([]string, 0, len(s.vendors))
	for _, v := range s.vendors {
		names = append(names, v.Name)
	}
	return nil, fmt.Errorf("unknown vendor %q; the sandbox has %s", q.Get("vendor"), strings.Join(names, ", "))
}

// settings is POST /settings: it checks every parameter before it changes
// anything.
func (s *Sandbox) settings(q url.Values) ([]*Vendor, error) {
	vs, err := s.pick(q, false, "vendor", "token_lifetime", "token_latency", "login_state")
	if err != nil {
		return nil, err
	}
	var apply []func(*Vendor)
	if q.Has("token_lifetime") {
		d, err := nonNegative(q, "token_lifetime")
		if err != nil {
			return nil, err
		}
		apply = append(apply, func(v *Vendor) { v.SetTokenLifetime(d) })
	}
	if q.Has("token_latency") {
		d, err := nonNegative(q, "token_latency")
		if err != nil {
			return nil, err
		}
		apply = append(apply, func(v *Vendor) { v.SetTokenLatency(d) })
	}
	if q.Has("login_state") {
		on, err := strconv.ParseBool(q.Get("login_state"))
		if err != nil {
			return nil, fmt.Errorf("login_state %q: want true or false", q.Get("login_state"))
		}
		if !slices.ContainsFunc(vs, (*Vendor).hasBrowserLogin) {
			return nil, fmt.Errorf("login_state: %s has no browser login", vs[0].Name)
		}
		apply = append(apply, func(v *Vendor) { v.OmitLoginState(!on) })
	}
	if len(apply) == 0 {
		return nil, errors.New("nothing to set: give token_lifetime, token_latency or login_state")
	}
	for _, v := range vs {
		for _, f := range apply {
			f(v)
		}
	}
	return vs, nil
}

// fail is POST /fail.
func (s *Sandbox) fail(q url.Values) ([]*Vendor, error) {
	vs, err := s.pick(q, true, "vendor", "count", "status", "retry_after", "drop")
	if err != nil {
		return nil, err
	}
	n, f := 1, Fault{RetryAfter: q.Get("retry_after")}
	if q.Has("count") {
		if n, err = strconv.Atoi(q.Get("count")); err != nil || n < 1 || n > 1_000_000 {
			return nil, fmt.Errorf("count %q: want a number from 1 to 1000000", q.Get("count"))
		}
	}
	if q.Has("status") {
		if f.Status, err = strconv.Atoi(q.Get("status")); err != nil || f.Status < 400 || f.Status > 599 {
			return nil, fmt.Errorf("status %q: want an HTTP error status, 400-599", q.Get("status"))
		}
	}
	if q.Has("drop") {
		if f.Drop, err = strconv.ParseBool(q.Get("drop")); err != nil {
			return nil, fmt.Errorf("drop %q: want true or false", q.Get("drop"))
		}
	}
	if f.Drop && (f.Status != 0 || f.RetryAfter != "") {
		return nil, errors.New("drop sends no response: it takes no status or retry_after")
	}
	if strings.ContainsAny(f.RetryAfter, "\r\n") {
		return nil, errors.New("retry_after must be one header line")
	}
	vs[0].FailNext(n, f)
	return vs, nil
}

func nonNegative(q url.Values, name string) (time.Duration, error) {
	d, err := time.ParseDuration(q.Get(name))
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: want a duration such as 90s or 5m, 0 or more", name, q.Get(name))
	}
	return d, nil
}
