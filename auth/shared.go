package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// How long the Source works in memory after a store failure before it
// tries the store again, and the longest wait between write-back tries.
// Real time, not the Clock: they pace calls to infrastructure.
const (
	storeProbe    = time.Second
	storeProbeMax = 30 * time.Second
)

// errLeaseWaitText says what a fetch was doing when its context ended
// while another process held the Store's lease.
const errLeaseWaitText = "waiting for another process to fetch the token"

// storeUsable: no store failure is known, or it is time to try again.
// While the store is down the Source does not pay its timeouts on every
// fetch: it works on its in-process single flight.
func (s *Source) storeUsable() bool {
	return !s.storeDown.Load() || time.Now().UnixNano() >= s.storeProbeAt.Load()
}

// storeFailed records a store failure; the first of an outage is logged.
func (s *Source) storeFailed(op string, err error) {
	s.stats.storeErrors.Add(1)
	s.storeProbeAt.Store(time.Now().Add(storeProbe).UnixNano())
	if s.storeDown.CompareAndSwap(false, true) {
		s.log.Warn("vendorkit: token store unavailable; continuing in memory until it returns",
			"vendor", s.vendor, "op", op, "error", SafeErrorString(err))
	}
}

// storeWorked ends an outage.
func (s *Source) storeWorked() {
	if s.storeDown.CompareAndSwap(true, false) {
		s.log.Info("vendorkit: token store available again", "vendor", s.vendor)
	}
}

// load reads the Store. ok is false when the store is unavailable (the
// caller continues in memory). A bad entry counts as empty, with one
// warning until a token is saved again.
func (s *Source) load(ctx context.Context) (t *Token, ok bool) {
	if !s.storeUsable() {
		return nil, false
	}
	t, err := s.store.Load(ctx, s.id)
	switch {
	case err == nil:
		s.storeWorked()
		return t, true
	case errors.Is(err, ErrBadStoredToken):
		s.storeWorked()
		if s.badWarned.CompareAndSwap(false, true) {
			s.log.Warn("vendorkit: ignoring the stored token; the next token will replace it",
				"vendor", s.vendor, "error", SafeErrorString(err))
		}
		return nil, true
	default:
		if ctx.Err() == nil {
			s.storeFailed("load", err)
		}
		return nil, false
	}
}

// loadUsable reads the Store as it is, outage or not; a bad stored entry
// counts as empty (the next token replaces it).
func (s *Source) loadUsable(ctx context.Context) (*Token, error) {
	t, err := s.store.Load(ctx, s.id)
	if errors.Is(err, ErrBadStoredToken) {
		return nil, nil
	}
	return t, err
}

// adoptable: stored is a token to use instead of fetching: valid,
// sendable, not the rejected one, not the one already current.
func adoptable(stored *Token, cur *entry, bad string, now time.Time) bool {
	return stored != nil && stored.AccessToken != bad && stored.Valid(now) &&
		(cur == nil || stored.AccessToken != cur.tok.AccessToken) && sendable(stored) == nil
}

// usable returns t, or nil (with a warning) for a stored token no request
// could carry: it is neither served nor refreshed, and the next token
// replaces it.
func (s *Source) usable(t *Token) *Token {
	if t != nil && sendable(t) != nil {
		s.log.Warn("vendorkit: stored token holds characters no request can carry; ignoring it", "vendor", s.vendor)
		return nil
	}
	return t
}

// acquire is the cross-process single flight: it takes the Store's lease
// (when the Store is a Leaser) and re-reads the store under it, or, while
// another process holds the lease, waits for the store to change, bounded
// by ctx (the fetch's, so FetchTimeout), holding no lock. It returns:
//
//   - release non-nil: the lease is held; stored is the token read under
//     it (another process may have refreshed while this one waited);
//   - release nil, stored non-nil: stored is another process's new token,
//     to adopt;
//   - release nil, stored nil: no lease (no Leaser, or the store is
//     unavailable): fetch on the in-process single flight alone.
func (s *Source) acquire(ctx context.Context, cur *entry, bad string) (release func(), stored *Token, storeOK bool, err error) {
	l, isLeaser := s.store.(Leaser)
	if !isLeaser || !s.storeUsable() {
		return nil, nil, false, nil
	}
	waited := false
	for {
		rel, got, err := l.TryLease(ctx, s.id)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, nil, false, s.leaseWaitError(cerr)
			}
			s.storeFailed("lease", err)
			return nil, nil, false, nil
		}
		if got {
			stored, storeOK = s.load(ctx)
			return rel, stored, storeOK, nil
		}
		if !waited {
			waited = true
			s.stats.leaseWaits.Add(1)
		}
		if err := l.WaitLease(ctx, s.id); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, nil, false, s.leaseWaitError(cerr)
			}
			s.storeFailed("lease wait", err)
			return nil, nil, false, nil
		}
		stored, storeOK = s.load(ctx)
		if !storeOK {
			return nil, nil, false, nil
		}
		if adoptable(stored, cur, bad, s.clock.Now()) {
			return nil, stored, true, nil
		}
	}
}

func (s *Source) leaseWaitError(err error) error {
	return &Error{Vendor: s.vendor, Op: OpToken, Retryable: true, Err: fmt.Errorf("%s: %w", errLeaseWaitText, err)}
}

// save stores nt in place of old. It reports the token to use: nt, or a
// usable token another process stored meanwhile (nt is then revoked, when
// the flow can, rather than left alive). When the store is unavailable nt
// is kept in memory and written back when it returns.
func (s *Source) save(ctx context.Context, old, nt *Token, bad string) *Token {
	if !s.storeUsable() {
		s.writeBackLater(nt)
		return nt
	}
	ok, err := s.store.CompareAndSwap(ctx, s.id, old, nt)
	if err != nil {
		if ctx.Err() == nil {
			s.storeFailed("save", err)
		}
		// storeFailed warns once per outage; each failure is a debug line.
		s.log.Debug("vendorkit: token store save failed; token kept in memory and written back later",
			"vendor", s.vendor, "error", SafeErrorString(err))
		s.writeBackLater(nt)
		return nt
	}
	s.storeWorked()
	if ok {
		s.saved()
		return nt
	}
	// Someone else swapped meanwhile (a process without the lease, or
	// one whose lease expired): a usable stored token wins.
	other, lok := s.load(ctx)
	if lok && adoptable(other, nil, bad, s.clock.Now()) {
		s.log.Info("vendorkit: token store changed during fetch; adopting stored token", "vendor", s.vendor)
		s.discard(ctx, nt)
		return other
	}
	if lok {
		if ok2, err2 := s.store.CompareAndSwap(ctx, s.id, other, nt); err2 == nil && ok2 {
			s.saved()
			return nt
		}
	}
	s.log.Warn("vendorkit: token store contention; token kept in memory only", "vendor", s.vendor)
	return nt
}

// saved: the store holds this Source's token; nothing to write back.
func (s *Source) saved() {
	s.unsaved.Store(nil)
	s.badWarned.Store(false)
}

// discard revokes a token this Source fetched but will not use (best
// effort: a token that is never used still should not stay valid).
func (s *Source) discard(ctx context.Context, t *Token) {
	rv, ok := s.flow.(Revoker)
	if !ok || t == nil {
		return
	}
	if err := rv.Revoke(ctx, t); err != nil {
		s.log.Warn("vendorkit: could not revoke an unused token", "vendor", s.vendor, "error", SafeErrorString(err))
	}
}

// writeBackLater keeps t for the store: one goroutine (stopped by Close)
// tries to write it back, first after storeProbe, then backing off to
// storeProbeMax, until it is saved or superseded.
func (s *Source) writeBackLater(t *Token) {
	s.unsaved.Store(t)
	if !s.wbRunning.CompareAndSwap(false, true) {
		return
	}
	if !s.enter() {
		s.wbRunning.Store(false)
		return
	}
	go func() {
		defer s.leave()
		defer s.wbRunning.Store(false)
		d := storeProbe
		timer := time.NewTimer(d)
		defer timer.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-timer.C:
			}
			if s.writeBack() {
				return
			}
			d = min(2*d, storeProbeMax)
			timer.Reset(d)
		}
	}()
}

// writeBack tries once; true when there is nothing left to write.
func (s *Source) writeBack() bool {
	t := s.unsaved.Load()
	if t == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	cur, err := s.loadUsable(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.storeFailed("write back", err)
		}
		return false
	}
	s.storeWorked()
	switch {
	case cur != nil && cur.AccessToken == t.AccessToken:
		s.unsaved.CompareAndSwap(t, nil)
		return true
	case cur != nil && cur.Valid(s.clock.Now()):
		// Another process stored a token since: it wins, and this Source
		// adopts it at its next fetch.
		s.unsaved.CompareAndSwap(t, nil)
		return true
	}
	ok, err := s.store.CompareAndSwap(ctx, s.id, cur, t)
	if err != nil {
		if ctx.Err() == nil {
			s.storeFailed("write back", err)
		}
		return false
	}
	if ok {
		s.unsaved.CompareAndSwap(t, nil)
		s.log.Info("vendorkit: token written back to the store", "vendor", s.vendor)
	}
	return ok
}
