// Package redisstore is an auth.Store in Redis, shared by the replicas of
// a service: they make one token request per expiry between them and
// never race with the same rotating refresh token. It takes a
// redis.UniversalClient (github.com/redis/go-redis/v9), so a single node,
// Sentinel (a failover client) and Cluster all work; the client stays the
// caller's to configure and close.
//
//	rdb := redis.NewClient(&redis.Options{Addr: addr})
//	rs, err := redisstore.New(rdb, redisstore.Options{Key: key})
//	c, err := ioffice.New(cfg, client.WithTokenStore(rs))
//
// Keys: <Prefix>{<hash>} holds the entry and <Prefix>{<hash>}:lease the
// lease, where <hash> is auth.Identity.Key (a SHA-256 of vendor, base URL,
// hashed client id or key, and user): no secret, URL or user name appears
// in a key. The braces keep an identity's keys in one Cluster slot.
//
//   - Compare-and-swap: the entry is read and decoded here, then replaced
//     by a Lua script only if it still holds the same bytes, and the
//     change is published on <Prefix>{<hash>}:changed.
//   - Lease: SET NX PX Options.LeaseTTL with a random value, renewed every
//     third of the TTL while held, released by a compare-and-delete Lua
//     script that publishes on the same channel. A holder that dies
//     blocks the others for at most the TTL.
//   - Waiting: a subscription to that channel, with a poll of the lease
//     every Options.PollInterval in case a message is missed.
//   - Key TTLs: an access token without a refresh token expires from Redis
//     a minute after the token itself; one with a refresh token or without
//     expiry (Decisiv's) is kept until replaced, or for RefreshTokenTTL.
//
// Without Options.Key the access and refresh tokens are stored in clear;
// with it they are sealed with AES-256-GCM, bound to the identity. A
// password or client secret is never stored.
//
// When Redis is unavailable, calls return its errors; the auth.Source then
// keeps working on its in-process single flight and writes its token back
// when Redis returns. Every call returns when the caller's context ends,
// even when Redis accepts connections and never answers (go-redis itself
// checks a context only between retries); a command so abandoned finishes
// in the background within the client's own timeouts, or at its Close.
// With go-redis's default retries a command to a stopped server fails
// after about a second.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/envelope"
)

// Options configures a Store. The zero value stores tokens in clear under
// "vendorkit:token:".
type Options struct {
	// Prefix of every key; "" → "vendorkit:token:".
	Prefix string
	// Key, when set, must be 32 bytes: tokens are sealed with AES-256-GCM.
	Key []byte
	// LeaseTTL bounds how long a lease outlives a holder that died; a
	// live holder renews it. 0 → 10s.
	LeaseTTL time.Duration
	// PollInterval: a lease wait checks the lease at least this often,
	// should a release message be missed; 0 → 250ms.
	PollInterval time.Duration
	// RefreshTokenTTL, when > 0, is the Redis TTL of entries holding a
	// refresh token or a token without expiry (refreshed on every write).
	// 0 keeps them until replaced: their lifetime is the vendor's secret.
	RefreshTokenTTL time.Duration
	// Clock stamps entries' Updated time; nil → time.Now.
	Clock auth.Clock
}

// Store keeps tokens in Redis. It implements auth.Store, auth.Leaser and
// auth.Lister and is safe for concurrent use.
type Store struct {
	rdb        redis.UniversalClient
	codec      *envelope.Codec
	prefix     string
	leaseTTL   time.Duration
	poll       time.Duration
	refreshTTL time.Duration
	clock      auth.Clock
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opts Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("vendorkit: redisstore: nil client")
	}
	codec, err := envelope.NewCodec(opts.Key)
	if err != nil {
		return nil, err
	}
	s := &Store{rdb: rdb, codec: codec, prefix: opts.Prefix, leaseTTL: opts.LeaseTTL,
		poll: opts.PollInterval, refreshTTL: opts.RefreshTokenTTL, clock: opts.Clock}
	if s.prefix == "" {
		s.prefix = "vendorkit:token:"
	}
	if s.leaseTTL <= 0 {
		s.leaseTTL = 10 * time.Second
	}
	if s.leaseTTL < 30*time.Millisecond {
		s.leaseTTL = 30 * time.Millisecond
	}
	if s.poll <= 0 {
		s.poll = 250 * time.Millisecond
	}
	if s.clock == nil {
		s.clock = envelope.SystemClock{}
	}
	return s, nil
}

// EntryKey is the Redis key of id's entry.
func (s *Store) EntryKey(id auth.Identity) string { return s.prefix + "{" + id.Key() + "}" }

func (s *Store) leaseKey(id auth.Identity) string { return s.EntryKey(id) + ":lease" }
func (s *Store) channel(id auth.Identity) string  { return s.EntryKey(id) + ":changed" }

// What get returns for an absent key and for a key that holds something
// other than a string (not ours: it counts as empty and may be replaced).
// casScript uses the same two values.
const (
	absent    = "\x00none"
	wrongType = "\x00type"
)

// errNotString is the error of an entry whose key holds a Redis value that
// is not a string.
var errNotString = fmt.Errorf("%w: the key holds a Redis value that is not a string", auth.ErrBadStoredToken)

// bounded runs f, which issues Redis commands, and returns its result or,
// as soon as ctx ends, ctx's error. go-redis does not watch a context
// during a command (it applies a deadline only with
// ContextTimeoutEnabled): against a server that never answers, the caller
// would wait for the client's dial or read timeout, however long. An
// abandoned f finishes in its goroutine; undo, if set, then takes back
// what it did (a lease taken that nobody will release). A panic in f is
// an error: go-redis panics on some malformed replies (a bulk length near
// MaxInt64), and f runs in a goroutine no caller's recover reaches.
func bounded[T any](ctx context.Context, f func() (T, error), undo func(T)) (T, error) {
	f = recovered(f)
	if ctx.Done() == nil {
		return f()
	}
	type result struct {
		v   T
		err error
	}
	var (
		mu           sync.Mutex
		done, gaveUp bool
	)
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		mu.Lock()
		defer mu.Unlock()
		if gaveUp {
			if undo != nil && err == nil {
				go undo(v)
			}
			return
		}
		done = true
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	if done { // f finished meanwhile: its result, not a lost one
		r := <-ch
		return r.v, r.err
	}
	gaveUp = true
	var zero T
	return zero, ctx.Err()
}

// recovered returns f with a panic turned into an error. The panic value
// is not kept: it may quote the reply.
func recovered[T any](f func() (T, error)) func() (T, error) {
	return func() (v T, err error) {
		defer func() {
			if p := recover(); p != nil {
				var zero T
				what := fmt.Sprintf("%T", p)
				if re, ok := p.(runtime.Error); ok { // the runtime's own text
					what = re.Error()
				}
				v, err = zero, fmt.Errorf("vendorkit: redisstore: the Redis client panicked on a reply (%s)", what)
			}
		}()
		return f()
	}
}

// get returns the entry's first envelope.MaxSize+1 bytes (more says it is
// not ours: a huge value is not read), absent or wrongType.
func (s *Store) get(ctx context.Context, id auth.Identity) (string, error) {
	v, err := bounded(ctx, func() (string, error) { return getEntry(ctx, s.rdb, s.EntryKey(id)) }, nil)
	switch {
	case errors.Is(err, redis.Nil):
		return absent, nil
	case redis.HasErrorPrefix(err, "WRONGTYPE"):
		return wrongType, nil
	case err != nil:
		return "", err
	}
	return v, nil
}

// getEntry reads key's first envelope.MaxSize+1 bytes; redis.Nil when
// there is no key. GETRANGE answers "" for a missing key and for an empty
// value alike: only then does EXISTS tell them apart.
func getEntry(ctx context.Context, c redis.Cmdable, key string) (string, error) {
	v, err := c.GetRange(ctx, key, 0, envelope.MaxSize).Result()
	if err != nil || v != "" {
		return v, err
	}
	n, err := c.Exists(ctx, key).Result()
	if err == nil && n == 0 {
		err = redis.Nil
	}
	return v, err
}

func (s *Store) decode(id auth.Identity, raw string) (*auth.Token, error) {
	switch raw {
	case absent:
		return nil, nil
	case wrongType:
		return nil, errNotString
	}
	return s.codec.Decode(id, []byte(raw))
}

// Load returns id's token (see auth.Store).
func (s *Store) Load(ctx context.Context, id auth.Identity) (*auth.Token, error) {
	raw, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.decode(id, raw)
}

// casScript replaces KEYS[1] iff it still holds ARGV[1] (absent and
// wrongType included; compared as get reads it, the first ARGV[5]+1
// bytes), with ARGV[2] ("" = delete) and a TTL of ARGV[3] ms (0 = none),
// and publishes on ARGV[4].
var casScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1])['ok']
local cur = '\0none'
if t == 'string' then
  cur = redis.call('GETRANGE', KEYS[1], 0, ARGV[5])
elseif t ~= 'none' then cur = '\0type' end
if cur ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
redis.call('PUBLISH', ARGV[4], 'changed')
return 1
`)

// CompareAndSwap reads and decodes id's entry, compares its access token
// with old's, and replaces the entry with a Lua script that checks it
// still holds the bytes read (see auth.Store).
func (s *Store) CompareAndSwap(ctx context.Context, id auth.Identity, old, new *auth.Token) (bool, error) {
	raw, err := s.get(ctx, id)
	if err != nil {
		return false, err
	}
	cur, err := s.decode(id, raw)
	match, err := envelope.Matches(cur, err, old) // a bad entry counts as empty: old nil replaces it
	if !match || err != nil {
		return false, err
	}
	var data []byte
	var ttl time.Duration
	if new != nil {
		now := s.clock.Now()
		if data, err = s.codec.Encode(id, new, now); err != nil {
			return false, err
		}
		ttl = s.entryTTL(new, now)
	}
	n, err := bounded(ctx, func() (int, error) {
		return casScript.Run(ctx, s.rdb, []string{s.EntryKey(id)},
			raw, data, ttl.Milliseconds(), s.channel(id), envelope.MaxSize).Int()
	}, nil)
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// entryTTL: an access-only token is useless a minute after its expiry; a
// refresh token's lifetime is unknown (RefreshTokenTTL, else none).
func (s *Store) entryTTL(t *auth.Token, now time.Time) time.Duration {
	if t.RefreshToken == "" && !t.Expiry.IsZero() {
		d := t.Expiry.Sub(now) + time.Minute
		if d < time.Minute {
			d = time.Minute
		}
		return d
	}
	return s.refreshTTL
}

var (
	renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'released')
  return 1
end
return 0
`)
)

// TryLease takes id's lease with SET NX PX LeaseTTL (see auth.Leaser).
// While held, a goroutine renews it every third of the TTL; release stops
// it and deletes the lease if it is still ours, bounded by the TTL. A
// lease taken after ctx ended (the SET was abandoned, not the server's
// answer) is released as soon as the answer comes.
func (s *Store) TryLease(ctx context.Context, id auth.Identity) (func(), bool, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	key := s.leaseKey(id)
	releaseCtx := context.WithoutCancel(ctx)
	release := func() {
		rctx, cancel := context.WithTimeout(releaseCtx, s.leaseTTL)
		defer cancel()
		_, _ = bounded(rctx, func() (any, error) {
			return nil, releaseScript.Run(rctx, s.rdb, []string{key}, token, s.channel(id)).Err()
		}, nil)
	}
	ok, err := bounded(ctx, func() (bool, error) { return s.rdb.SetNX(ctx, key, token, s.leaseTTL).Result() },
		func(ok bool) {
			if ok {
				release()
			}
		})
	if err != nil || !ok {
		return nil, false, err
	}
	stop, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go s.renew(stop, key, token, done)
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			release()
		})
	}, true, nil
}

// renew extends the lease until stop ends. A renewal that fails is not
// fatal: the lease then expires, and the compare-and-swap still fences a
// late writer.
func (s *Store) renew(stop context.Context, key, token string, done chan<- struct{}) {
	defer close(done)
	every := s.leaseTTL / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(stop, every)
			_, _ = bounded(ctx, func() (any, error) {
				return nil, renewScript.Run(ctx, s.rdb, []string{key}, token, s.leaseTTL.Milliseconds()).Err()
			}, nil)
			cancel()
		}
	}
}

// WaitLease subscribes to id's channel, once per wait, and returns when a
// message says the lease was released or the entry changed, when a check
// of the lease finds it free, or when ctx ends (its error). The lease is
// checked once subscribed and at every PollInterval without a message (a
// message may be missed). A subscription slower to confirm than
// PollInterval is a poll, not an error.
func (s *Store) WaitLease(ctx context.Context, id auth.Identity) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := bounded(ctx, func() (any, error) { return nil, s.waitLease(ctx, id) }, nil)
	return err
}

func (s *Store) waitLease(ctx context.Context, id auth.Identity) error {
	// go-redis opens a connection per subscription: one for the whole wait.
	ps := s.rdb.Subscribe(ctx, s.channel(id))
	defer ps.Close()
	for {
		// The first answer is the confirmation: from then on no release
		// is missed.
		msg, err := ps.ReceiveTimeout(ctx, s.timeout(ctx))
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil && !isTimeout(err) {
			return err
		}
		if _, ok := msg.(*redis.Message); ok {
			return nil
		}
		n, err := s.rdb.Exists(ctx, s.leaseKey(id)).Result()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// timeout is one poll interval, cut to ctx's deadline (go-redis's reads
// honour a deadline, not a cancellation).
func (s *Store) timeout(ctx context.Context) time.Duration {
	d := s.poll
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			d = max(left, time.Millisecond)
		}
	}
	return d
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// List describes every entry under the prefix, without tokens (SCAN on
// every master of a Cluster).
func (s *Store) List(ctx context.Context) ([]auth.StoredEntry, error) {
	return bounded(ctx, func() ([]auth.StoredEntry, error) { return s.list(ctx) }, nil)
}

func (s *Store) list(ctx context.Context) ([]auth.StoredEntry, error) {
	cc, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return s.scan(ctx, s.rdb)
	}
	// ForEachMaster runs the callbacks concurrently; the mutex guards only
	// the append, never a command.
	var (
		mu  sync.Mutex
		all []auth.StoredEntry
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		part, err := s.scan(ctx, c)
		mu.Lock()
		all = append(all, part...)
		mu.Unlock()
		return err
	})
	return all, err
}

// scan describes the entries of one node.
func (s *Store) scan(ctx context.Context, c redis.UniversalClient) ([]auth.StoredEntry, error) {
	var out []auth.StoredEntry
	it := c.Scan(ctx, 0, s.prefix+"{*}", 100).Iterator()
	for it.Next(ctx) {
		key := it.Val()
		hash := strings.TrimSuffix(strings.TrimPrefix(key, s.prefix+"{"), "}")
		if !strings.HasSuffix(key, "}") || strings.ContainsAny(hash, "{}") {
			continue
		}
		raw, err := getEntry(ctx, c, key)
		if errors.Is(err, redis.Nil) {
			continue
		}
		if redis.HasErrorPrefix(err, "WRONGTYPE") {
			out = append(out, auth.StoredEntry{Key: hash, Err: errNotString})
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, envelope.Info(hash, []byte(raw)))
	}
	return out, it.Err()
}

var (
	_ auth.Store  = (*Store)(nil)
	_ auth.Leaser = (*Store)(nil)
	_ auth.Lister = (*Store)(nil)
)
