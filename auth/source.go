package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// SourceOptions configures a Source. The zero value is usable.
type SourceOptions struct {
	Vendor string // used in errors and logs, e.g. "bss"
	Store  Store  // default NewMemoryStore()
	// Identity is whose token this is, the key of its Store entry. A zero
	// Identity becomes {Vendor: Vendor}.
	Identity Identity
	Clock    Clock        // nil → time.Now
	Logger   *slog.Logger // nil → discard
	// StaleWindow: refresh this long before expiry; 0 → 20% of the
	// lifetime plus up to 5% jitter. Clamped to half the lifetime, so a
	// window longer than the token lives cannot cause a refresh loop.
	StaleWindow time.Duration
	// FetchTimeout bounds one token fetch, detached from callers'
	// contexts; 0 → 30s.
	FetchTimeout time.Duration
	// RefreshBackoff is the wait after a failed early (background)
	// refresh before trying again; 0 → 30s, plus up to 20% jitter, or the
	// token endpoint's Retry-After when longer.
	RefreshBackoff time.Duration
	// Secrets are the client's credentials, for Scrub.
	Secrets *Secrets
	// OnTokenChange, if set, is called after the token changes: a new
	// token, a refresh, a rotation, one adopted from the Store, an
	// invalidation, a revoke. It gets the vendor and the reason, never the
	// token. It runs synchronously, possibly inside a fetch other callers
	// wait for: it must be quick and must not call the Source.
	OnTokenChange func(TokenEvent)
}

// Stats are cheap atomic counters.
type Stats struct {
	Fetches             uint64 // primary-grant calls (Flow.Token)
	Refreshes           uint64 // Refresher.Refresh calls
	Invalidations       uint64 // successful compare-and-invalidates
	BackgroundRefreshes uint64 // early refreshes started in the background
	FailedRefreshes     uint64 // fetch attempts (background or not) that ended in an error
	// Waits counts Token calls that found no usable token (missing,
	// expired or invalidated) and waited for a fetch: the calls a token
	// endpoint's latency reached. A stale token returned while a
	// background refresh runs is not a wait.
	Waits uint64
	// Adopted counts tokens taken from the Store instead of fetching
	// (another process's, or a previous run's).
	Adopted uint64
	// LeaseWaits counts fetches that found another process holding the
	// Store's lease and waited for it (auth.Leaser stores only).
	LeaseWaits uint64
	// StoreErrors counts failed Store calls (the token was kept in
	// memory; see the package doc).
	StoreErrors uint64
}

const (
	defaultFetchTimeout   = 30 * time.Second
	defaultRefreshBackoff = 30 * time.Second
	flightKey             = "token"
)

// entry is the immutable in-memory snapshot of the current token; the hot
// path reads it with one atomic load.
type entry struct {
	tok     *Token
	expiry  time.Time // effective expiry (see newEntry); zero = until rejected
	staleAt time.Time // zero when the token never expires
	invalid bool      // compare-and-invalidated: must not be handed out
}

// fresh: usable without starting a refresh.
func (e *entry) fresh(now time.Time) bool {
	return e != nil && !e.invalid && (e.staleAt.IsZero() || now.Before(e.staleAt))
}

// Source hands out valid tokens for one flow. See the package doc.
type Source struct {
	flow    Flow
	vendor  string
	store   Store
	id      Identity
	clock   Clock
	log     *slog.Logger
	window  time.Duration
	timeout time.Duration
	backoff time.Duration
	secrets *Secrets

	cur        atomic.Pointer[entry]
	group      singleflight.Group
	bgRunning  atomic.Bool
	bgNotUntil atomic.Int64 // unix nanos; no background refresh before
	// bgDone is closed when the latest background refresh's goroutine
	// has done its work: WaitIdle waits for it after the flight.
	bgDone atomic.Pointer[chan struct{}]

	stats struct {
		fetches, refreshes, invalidations, background, failed, waits atomic.Uint64
		adopted, leaseWaits, storeErrors                             atomic.Uint64
	}
	onChange func(TokenEvent)

	// Shared-store state (shared.go): a known outage and when to try the
	// store again, the token to write back when it returns, whether a bad
	// entry was reported.
	storeDown    atomic.Bool
	storeProbeAt atomic.Int64 // unix nanos, real time
	unsaved      atomic.Pointer[Token]
	wbRunning    atomic.Bool
	badWarned    atomic.Bool

	// pubMu makes "check epoch, then publish" atomic against Revoke's
	// "bump epoch, take the current token". epoch counts Revokes: a fetch
	// that a Revoke overlapped must not publish what it got (it may be
	// minted from the refresh token being revoked). Held for a few memory
	// operations only: never across a fetch, a revoke request or a store
	// call.
	pubMu sync.Mutex
	epoch atomic.Uint64

	mu     sync.Mutex // guards closed and wg.Add; never held during a fetch
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
}

// NewSource returns a Source for flow.
func NewSource(flow Flow, opts SourceOptions) *Source {
	s := &Source{
		flow:     flow,
		vendor:   opts.Vendor,
		store:    opts.Store,
		id:       opts.Identity,
		clock:    opts.Clock,
		log:      opts.Logger,
		window:   opts.StaleWindow,
		timeout:  opts.FetchTimeout,
		backoff:  opts.RefreshBackoff,
		secrets:  opts.Secrets,
		onChange: opts.OnTokenChange,
	}
	if s.store == nil {
		s.store = NewMemoryStore()
	}
	if s.id == (Identity{}) {
		s.id.Vendor = s.vendor
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.timeout <= 0 {
		s.timeout = defaultFetchTimeout
	}
	if s.backoff <= 0 {
		s.backoff = defaultRefreshBackoff
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Token returns a valid token. Concurrent callers share one in-flight fetch;
// no lock is held during it and a caller's cancelled ctx only abandons its
// own wait. A stale token (inside the stale window) is returned at once
// while one background refresh runs; only an expired, invalidated or
// missing token makes callers wait.
//
// The returned *Token is shared: treat it as read-only.
func (s *Source) Token(ctx context.Context) (*Token, error) {
	if e := s.cur.Load(); e != nil && !e.invalid {
		if e.staleAt.IsZero() {
			return e.tok, nil
		}
		now := s.clock.Now()
		if now.Before(e.staleAt) {
			return e.tok, nil
		}
		if now.Before(e.expiry) {
			s.maybeBackground(now)
			return e.tok, nil
		}
	}
	return s.wait(ctx)
}

func (s *Source) wait(ctx context.Context) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.stats.waits.Add(1)
	ch := s.group.DoChan(flightKey, s.flightFunc(ctx))
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*entry).tok, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Invalidate is compare-and-invalidate: it marks the current token unusable
// only if its access token equals accessToken, and reports whether it did.
// A storm of 401s for the same revoked token therefore invalidates once and
// causes one fetch; a late 401 for an already replaced token does nothing.
// The refresh token is kept, so the next fetch can refresh.
func (s *Source) Invalidate(accessToken string) bool {
	if accessToken == "" {
		return false
	}
	for {
		e := s.cur.Load()
		if e == nil || e.invalid || e.tok.AccessToken != accessToken {
			return false
		}
		ne := &entry{tok: e.tok, expiry: e.expiry, staleAt: e.staleAt, invalid: true}
		if s.cur.CompareAndSwap(e, ne) {
			s.stats.invalidations.Add(1)
			s.log.Info("vendorkit: token invalidated", "vendor", s.vendor)
			s.notify(TokenInvalidated, nil)
			return true
		}
	}
}

// Put seeds a token obtained elsewhere (e.g. iOFFICE's browser flow). It is
// saved to the Store before it becomes current. An already expired token is
// kept only for its refresh token: the next Token call refreshes. The
// store calls run under ctx and FetchTimeout, and Close cancels them; after
// Close, Put fails with ErrClosed.
func (s *Source) Put(ctx context.Context, t *Token) error {
	if t == nil || t.AccessToken == "" {
		return &Error{Vendor: s.vendor, Op: OpToken, Err: fmt.Errorf("%w: empty token", ErrMalformedResponse)}
	}
	if err := sendable(t); err != nil {
		return &Error{Vendor: s.vendor, Op: OpToken, Err: err}
	}
	if !s.enter() {
		return &Error{Vendor: s.vendor, Op: OpToken, Err: ErrClosed}
	}
	defer s.leave()
	ctx, cancel := s.bound(ctx)
	defer cancel()
	publish := func() {
		now := s.clock.Now()
		e := s.newEntry(t, now)
		if !t.Valid(now) {
			// Seeded already expired: keep it for its refresh token,
			// but refresh before handing anything out.
			e.invalid = true
		}
		s.cur.Store(e)
		s.notify(TokenNew, t)
	}
	for range 8 {
		old, ok := s.load(ctx)
		if ok {
			ok, err := s.store.CompareAndSwap(ctx, s.id, old, t)
			if err == nil && ok {
				s.saved()
				publish()
				return nil
			}
			if err == nil {
				continue
			}
			if ctx.Err() != nil {
				return &Error{Vendor: s.vendor, Op: OpToken, Err: fmt.Errorf("store save: %w", err)}
			}
			s.storeFailed("save", err)
		}
		// The store is unavailable: nothing is lost, the token is kept in
		// memory and written back when the store returns.
		s.writeBackLater(t)
		publish()
		return nil
	}
	return &Error{Vendor: s.vendor, Op: OpToken, Err: errors.New("store contention: token not saved")}
}

// Revoke revokes the current token with the flow (which must implement
// Revoker, else the error wraps ErrNotSupported) and clears the Store. The
// revoke requests run under ctx and FetchTimeout, and Close cancels them.
// A fetch in flight when Revoke starts does not publish what it gets: it
// revokes it and starts over. On failure the Store keeps the token, so
// Revoke can be called again.
func (s *Source) Revoke(ctx context.Context) error {
	rv, ok := s.flow.(Revoker)
	if !ok {
		return &Error{Vendor: s.vendor, Op: OpRevoke, Err: ErrNotSupported}
	}
	if !s.enter() {
		return &Error{Vendor: s.vendor, Op: OpRevoke, Err: ErrClosed}
	}
	defer s.leave()
	ctx, cancel := s.bound(ctx)
	defer cancel()

	s.pubMu.Lock()
	s.epoch.Add(1) // fetches in flight will not publish
	cur := s.cur.Load()
	s.cur.Store(nil)
	s.pubMu.Unlock()

	stored, err := s.loadUsable(ctx) // a bad entry holds nothing usable to revoke
	if err != nil {
		return &Error{Vendor: s.vendor, Op: OpRevoke, Err: fmt.Errorf("store load: %w", err)}
	}
	s.unsaved.Store(nil)
	var tokens []*Token
	if stored != nil {
		tokens = append(tokens, stored)
	}
	if cur != nil && !sameToken(cur.tok, stored) {
		tokens = append(tokens, cur.tok)
	}
	for _, t := range tokens {
		if err := rv.Revoke(ctx, t); err != nil {
			return s.wrap(OpRevoke, err)
		}
	}
	if stored != nil {
		if _, err := s.store.CompareAndSwap(ctx, s.id, stored, nil); err != nil {
			return &Error{Vendor: s.vendor, Op: OpRevoke, Err: fmt.Errorf("store clear: %w", err)}
		}
	}
	s.notify(TokenRevoked, nil)
	return nil
}

// bound returns ctx limited by FetchTimeout and cancelled by Close.
func (s *Source) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// Scrub removes from text the client's secrets (SourceOptions.Secrets) and
// the tokens the Source holds now, in every encoding Secrets knows, and
// the well-known credential shapes: for a response body or any other
// server text an application logs or prints.
func (s *Source) Scrub(text string) string {
	return s.secretsWith(s.secrets).Scrub(text)
}

// secretsWith returns sec (nil: the Source's own Secrets) extended with
// the tokens the Source holds now and extra.
func (s *Source) secretsWith(sec *Secrets, extra ...string) *Secrets {
	if sec == nil {
		sec = s.secrets
	}
	if e := s.cur.Load(); e != nil {
		extra = append(extra, e.tok.AccessToken, e.tok.RefreshToken)
	}
	return sec.With(extra...)
}

// Close stops background refreshes and in-flight fetches and waits for them:
// no goroutine started by the Source outlives Close. Afterwards Token still
// returns a cached valid token but fails with ErrClosed when it would fetch.
func (s *Source) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// Flow returns the flow s runs, whose optional capabilities (Refresher,
// Revoker) tools find by type assertion. Calling it directly bypasses the
// cache and the Store: for probes and tests, not for getting tokens.
func (s *Source) Flow() Flow { return s.flow }

// WaitIdle returns when no token fetch runs, background refresh included
// (a failed one's backoff set and its warning logged), or when ctx ends
// (its error). A process about to exit calls it before Close: Close
// cancels a refresh the server may already have answered, and with a
// rotating refresh token (iOFFICE) the new one would be lost while the
// stored one is spent.
func (s *Source) WaitIdle(ctx context.Context) error {
	// DoChan joins the flight in progress, or runs the no-op when there
	// is none.
	ch := s.group.DoChan(flightKey, func() (any, error) { return nil, nil })
	select {
	case <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	// A background refresh's goroutine handles the flight's result after
	// the flight has ended.
	if done := s.bgDone.Load(); done != nil {
		select {
		case <-*done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Identity is whose token the Source holds: the key of its Store entry.
func (s *Source) Identity() Identity { return s.id }

// Store is the Source's token store (the in-memory one when none was
// configured).
func (s *Source) Store() Store { return s.store }

// Stats returns the counters.
func (s *Source) Stats() Stats {
	return Stats{
		Fetches:             s.stats.fetches.Load(),
		Refreshes:           s.stats.refreshes.Load(),
		Invalidations:       s.stats.invalidations.Load(),
		BackgroundRefreshes: s.stats.background.Load(),
		FailedRefreshes:     s.stats.failed.Load(),
		Waits:               s.stats.waits.Load(),
		Adopted:             s.stats.adopted.Load(),
		LeaseWaits:          s.stats.leaseWaits.Load(),
		StoreErrors:         s.stats.storeErrors.Load(),
	}
}

// OAuth2 adapts s to golang.org/x/oauth2, for code that takes an
// oauth2.TokenSource; each Token call uses ctx. Its limits are
// x/oauth2's: it sends "Authorization: Bearer" on every request, to any
// host, and applies neither a vendor's placement (iOFFICE's
// x-access-token) nor its static headers (BSS's X-Api-Version);
// oauth2.NewClient keeps its own copy of the token (ReuseTokenSource) and
// never re-authenticates on a 401. A vendor client's HTTPClient has none
// of these limits.
func (s *Source) OAuth2(ctx context.Context) oauth2.TokenSource {
	return oauth2Source{s: s, ctx: ctx}
}

type oauth2Source struct {
	s   *Source
	ctx context.Context
}

func (o oauth2Source) Token() (*oauth2.Token, error) {
	t, err := o.s.Token(o.ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    "Bearer",
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
	}, nil
}

// enter registers a goroutine doing work for the Source; false after Close.
func (s *Source) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Source) leave() { s.wg.Done() }

// newEntry computes the effective expiry and the stale point.
//
// The effective expiry is t.Expiry, except that a token arriving already
// expired (an absolute expiry from a server whose clock is ahead, like
// Blueprint's ".expires") is treated as "valid until rejected" rather than
// refetched on every call, and one beyond MaxLifetime is clamped; the same
// deliberate choices as ExpiresIn. The token itself is not modified.
//
// The stale point is expiry - window, where window is the configured
// StaleWindow or 20% of the lifetime (as seen from now) plus up to 5%
// jitter, clamped to half the lifetime.
func (s *Source) newEntry(t *Token, now time.Time) *entry {
	e := &entry{tok: t, expiry: t.Expiry}
	if t.Expiry.IsZero() || !t.Expiry.After(now) {
		e.expiry = time.Time{}
		return e
	}
	if t.Expiry.Sub(now) > MaxLifetime {
		e.expiry = now.Add(MaxLifetime)
	}
	life := e.expiry.Sub(now)
	w := s.window
	if w <= 0 {
		w = life/5 + time.Duration(rand.Int64N(int64(life/20)+1))
	}
	if w > life/2 {
		w = life / 2
	}
	e.staleAt = e.expiry.Add(-w)
	return e
}

func (s *Source) maybeBackground(now time.Time) {
	if now.UnixNano() < s.bgNotUntil.Load() {
		return
	}
	if !s.bgRunning.CompareAndSwap(false, true) {
		return
	}
	if !s.enter() {
		s.bgRunning.Store(false)
		return
	}
	s.stats.background.Add(1)
	done := make(chan struct{})
	s.bgDone.Store(&done)
	// Join or start the flight here, not in the goroutine: WaitIdle must
	// see the refresh from the moment it is counted.
	ch := s.group.DoChan(flightKey, s.flightFunc(context.Background()))
	go func() {
		defer s.leave()
		defer close(done)
		defer s.bgRunning.Store(false)
		if err := (<-ch).Err; err != nil {
			d := s.backoff + time.Duration(rand.Int64N(int64(s.backoff/5)+1))
			var ae *Error
			if errors.As(err, &ae) && ae.RetryAfter > d {
				d = ae.RetryAfter
			}
			s.bgNotUntil.Store(s.clock.Now().Add(d).UnixNano())
			s.log.Warn("vendorkit: background token refresh failed; keeping current token",
				"vendor", s.vendor, "retry_in", d, "error", SafeErrorString(err))
		}
	}()
}

// flightFunc returns the single-flight body. It runs with a context detached
// from the caller (values kept, cancellation dropped), bounded by
// FetchTimeout and cancelled by Close.
func (s *Source) flightFunc(caller context.Context) func() (any, error) {
	return func() (v any, err error) {
		if !s.enter() {
			return nil, &Error{Vendor: s.vendor, Op: OpToken, Err: ErrClosed}
		}
		defer s.leave()
		ctx, cancel := s.bound(context.WithoutCancel(caller))
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				// A vendor flow panicked. singleflight would re-panic in
				// its own goroutine and crash the process; report instead,
				// without the panic value (it may hold secrets).
				v, err = nil, &Error{Vendor: s.vendor, Op: OpToken, Err: fmt.Errorf("flow panicked (%T)", p)}
			}
			if err != nil {
				s.stats.failed.Add(1)
			}
		}()
		return s.obtain(ctx)
	}
}

// obtain runs inside the flight: adopt a token someone else stored, or
// refresh, or run the primary grant; save to the Store; publish. A fetch
// that a Revoke overlapped revokes what it got and starts over, once.
func (s *Source) obtain(ctx context.Context) (*entry, error) {
	e, err := s.obtainOnce(ctx)
	if errors.Is(err, errRevokedDuringFetch) {
		e, err = s.obtainOnce(ctx)
	}
	return e, err
}

// errRevokedDuringFetch: a Revoke ran while the fetch was in flight.
var errRevokedDuringFetch = errors.New("vendorkit: token source revoked during the fetch")

func (s *Source) obtainOnce(ctx context.Context) (*entry, error) {
	epoch := s.epoch.Load()
	now := s.clock.Now()
	cur := s.cur.Load()
	if cur.fresh(now) {
		return cur, nil // a flight that just finished already did the work
	}
	var bad string // access token known to be rejected
	if cur != nil && cur.invalid {
		bad = cur.tok.AccessToken
	}

	// Another process (shared store), a previous run (file store) or Put
	// may already have a valid token: use it. If it is stale, the next
	// call starts a background refresh of it.
	loaded, storeOK := s.load(ctx) // what the store holds: the compare-and-swap's old value
	stored := s.usable(loaded)
	if adoptable(stored, cur, bad, now) {
		return s.adopt(epoch, stored)
	}
	// Cross-process single flight: take the store's lease, or wait for
	// the process that holds it and adopt what it stores.
	release, leased, leaseOK, err := s.acquire(ctx, cur, bad)
	if err != nil {
		return nil, err
	}
	if release == nil && leased != nil {
		return s.adopt(epoch, leased)
	}
	if release != nil {
		defer release()
		loaded, storeOK = leased, leaseOK
		stored = s.usable(loaded)
		if adoptable(stored, cur, bad, s.clock.Now()) {
			return s.adopt(epoch, stored)
		}
	}
	base := stored
	if !storeOK {
		loaded = nil
		if cur != nil {
			loaded = cur.tok // compare-and-swap against it when the store returns
		}
		base = loaded
	}
	if base == nil && cur != nil {
		base = cur.tok
	}

	if err := ctx.Err(); err != nil {
		// Close (or FetchTimeout) ended the fetch while it waited: no
		// token request on a dead context.
		return nil, &Error{Vendor: s.vendor, Op: OpToken, Err: err}
	}
	nt, reason, err := s.grant(ctx, base, bad)
	if err != nil {
		return nil, err
	}
	if reason == TokenAdopted {
		return s.adopt(epoch, nt)
	}
	op := OpToken
	if reason != TokenNew {
		op = OpRefresh
	}
	if nt == nil || nt.AccessToken == "" {
		return nil, &Error{Vendor: s.vendor, Op: op, Err: fmt.Errorf("%w: flow returned no access token", ErrMalformedResponse)}
	}
	if op == OpRefresh && nt.RefreshToken == "" && base != nil && base.RefreshToken != "" {
		c := *nt
		c.RefreshToken = base.RefreshToken // not rotated: the old one stays valid
		nt = &c
	}

	// Save (the rotated refresh token first of all) before handing out,
	// unless a Revoke overlapped the fetch: then nt must not outlive it.
	// No lock is held across the store's I/O; pubMu only orders the
	// epoch checks with Revoke.
	if err := sendable(nt); err != nil {
		// Never cached: every call would fail locally with it.
		return nil, &Error{Vendor: s.vendor, Op: op, Err: err}
	}
	if s.epoch.Load() != epoch {
		s.discard(ctx, nt)
		return nil, &Error{Vendor: s.vendor, Op: op, Err: errRevokedDuringFetch}
	}
	got := s.save(ctx, loaded, nt, bad)
	if got != nt {
		return s.adopt(epoch, got)
	}
	now = s.clock.Now()
	e := s.newEntry(nt, now)
	if !nt.Expiry.IsZero() && e.expiry.IsZero() {
		s.log.Warn("vendorkit: token arrived already expired (clock skew?); using it until rejected",
			"vendor", s.vendor, "expiry", nt.Expiry)
	}
	if !s.publish(epoch, e) {
		// A Revoke overlapped the fetch: nt must not outlive it.
		s.discard(ctx, nt)
		if s.storeUsable() {
			if _, err := s.store.CompareAndSwap(ctx, s.id, nt, nil); err != nil {
				s.log.Warn("vendorkit: could not clear a token fetched during Revoke from the store",
					"vendor", s.vendor, "error", SafeErrorString(err))
			}
		}
		return nil, &Error{Vendor: s.vendor, Op: op, Err: errRevokedDuringFetch}
	}
	s.notify(reason, nt)
	return e, nil
}

// adopt makes a token taken from the Store current, unless a Revoke
// overlapped the fetch.
func (s *Source) adopt(epoch uint64, t *Token) (*entry, error) {
	e := s.newEntry(t, s.clock.Now())
	if !s.publish(epoch, e) {
		return nil, &Error{Vendor: s.vendor, Op: OpToken, Err: errRevokedDuringFetch}
	}
	s.stats.adopted.Add(1)
	s.notify(TokenAdopted, t)
	return e, nil
}

// grant refreshes when possible, falling back to the primary grant when the
// refresh token is rejected. A rejected refresh first re-reads the Store:
// another process that refreshed with the same rotating refresh token has
// stored a newer token, which wins (reason TokenAdopted), or a newer
// refresh token, which is tried once.
func (s *Source) grant(ctx context.Context, base *Token, bad string) (*Token, TokenChange, error) {
	if r, ok := s.flow.(Refresher); ok && base != nil && base.RefreshToken != "" {
		for tries := 0; ; tries++ {
			s.stats.refreshes.Add(1)
			nt, err := r.Refresh(ctx, base)
			if err == nil {
				if nt != nil && nt.RefreshToken != "" && nt.RefreshToken != base.RefreshToken {
					return nt, TokenRotated, nil
				}
				return nt, TokenRefreshed, nil
			}
			if !refreshRejected(err) {
				return nil, TokenRefreshed, s.wrap(OpRefresh, err)
			}
			st, ok := s.load(ctx)
			st = s.usable(st)
			if ok && st != nil && st.AccessToken != base.AccessToken && st.AccessToken != bad {
				if st.Valid(s.clock.Now()) {
					s.log.Info("vendorkit: refresh token rejected; another process stored a newer token",
						"vendor", s.vendor)
					return st, TokenAdopted, nil
				}
				if tries == 0 && st.RefreshToken != "" && st.RefreshToken != base.RefreshToken {
					base = st
					continue
				}
			}
			s.log.Info("vendorkit: refresh token rejected; falling back to primary grant",
				"vendor", s.vendor, "error", SafeErrorString(err))
			break
		}
	}
	s.stats.fetches.Add(1)
	nt, err := s.flow.Token(ctx)
	if err != nil {
		return nil, TokenNew, s.wrap(OpToken, err)
	}
	return nt, TokenNew, nil
}

// publish makes e current unless a Revoke ran since the fetch began at
// epoch; it reports whether it did.
func (s *Source) publish(epoch uint64, e *entry) bool {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if s.epoch.Load() != epoch {
		return false
	}
	s.cur.Store(e)
	return true
}

// sendable reports a token that no request could carry: a control
// character (CR, LF, NUL, ESC...) in the access or refresh token, which
// net/http refuses in a header value. Such a token is a malformed response.
func sendable(t *Token) error {
	for _, v := range []struct{ name, s string }{{"access_token", t.AccessToken}, {"refresh_token", t.RefreshToken}} {
		for i := 0; i < len(v.s); i++ {
			if c := v.s[i]; c < 0x20 || c == 0x7f {
				return fmt.Errorf("%w: %s contains a control character (0x%02x)", ErrMalformedResponse, v.name, c)
			}
		}
	}
	return nil
}

// refreshRejected: invalid_grant, or any non-retryable 400/401 from the
// refresh endpoint.
func refreshRejected(err error) bool {
	if errors.Is(err, ErrInvalidGrant) {
		return true
	}
	var ae *Error
	return errors.As(err, &ae) && !ae.Retryable &&
		(ae.StatusCode == 400 || ae.StatusCode == 401)
}

// wrap makes err an *Error with the Source's vendor and op, keeping the
// chain. Errors that are already *Error keep their fields.
func (s *Source) wrap(op Op, err error) error {
	var ae *Error
	if errors.As(err, &ae) {
		if ae.Vendor == "" {
			c := *ae
			c.Vendor = s.vendor
			return &c
		}
		return err
	}
	retryable := !errors.Is(err, ErrReloginRequired) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, ErrInvalidCredentials) && !errors.Is(err, ErrInvalidGrant) &&
		!errors.Is(err, ErrMalformedResponse) && !errors.Is(err, ErrResponseTooLarge) &&
		!errors.Is(err, ErrInsecureTransport) && !errors.Is(err, ErrNotSupported)
	return &Error{Vendor: s.vendor, Op: op, Retryable: retryable, Err: err}
}
