package web

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Login limits slow password guessing down where it costs the attacker,
// not the account's owner. A shared per-username bucket checked before the
// password (the old design) let anyone lock anyone out, the admin
// included, by sending wrong passwords. Instead there are three:
//
//   - per client address, every attempt: a burst of 10, then one every 6 s
//     (allow). This alone bounds one machine's guessing.
//   - per client address and username, failures: 3 free, then each failure
//     doubles the wait before that client may try that name again (1 s,
//     2 s, 4 s … at most 15 minutes); a success clears it.
//   - per username, failures from every client: 20 at once, refilling one
//     a minute. When they run out the account is throttled: a client that
//     has failed for it is refused until the bucket refills, but a client
//     that has not failed still has its password checked, so the owner
//     logging in correctly from their own machine gets in while the
//     guessers are kept out. Throttling is logged, audited when the audit
//     service records outside events, and an admin can lift it
//     (DELETE /api/v1/users/{id}/lockout).
//
// Usernames are keyed as the store compares them (trimmed, lower case), so
// "ed ", " ed" and "ED" share their limits. The state is in memory: a
// restart forgets it, which gives an attacker nothing waiting would not.
type loginLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket   // per client address
	pairs   map[pairKey]*pair    // per client address and username
	names   map[string]*nameFail // per username
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

type pairKey struct{ client, name string }

// pair counts one client's failures for one username.
type pair struct {
	fails int
	until time.Time // no attempt before then
	last  time.Time
}

// nameFail counts one username's failures from every client.
type nameFail struct {
	lim       *rate.Limiter
	throttled bool // since the bucket last ran out
	seen      time.Time
}

const (
	loginFreeFailures = 3
	loginFirstDelay   = time.Second
	loginMaxDelay     = 15 * time.Minute
	loginPairForget   = time.Hour // failures older than this are forgotten
	loginNameBurst    = 20
	loginNameRefill   = time.Minute
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{buckets: map[string]*bucket{}, pairs: map[pairKey]*pair{}, names: map[string]*nameFail{}}
}

// loginName is a username as the limits key it.
func loginName(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

// allow reports whether an attempt for key (a client address) may go
// ahead, and if not, how long the client should wait.
func (l *loginLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(6*time.Second), 10)}
		l.buckets[key] = b
	}
	b.seen = now
	return reserve(b.lim, now)
}

// check reports whether client may try name now, and if not, how long to
// wait. It consumes nothing: failures are counted by failed.
func (l *loginLimiter) check(client, name string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pairs[pairKey{client, name}]
	if p == nil || now.Sub(p.last) > loginPairForget {
		return true, 0
	}
	if now.Before(p.until) {
		return false, p.until.Sub(now)
	}
	if n := l.names[name]; n != nil && n.throttled {
		if tokens := n.lim.TokensAt(now); tokens < 1 {
			return false, time.Duration((1 - tokens) * float64(loginNameRefill))
		}
		n.throttled = false
	}
	return true, 0
}

// failed records a wrong password from client for name. It reports true
// when this failure throttled the account.
func (l *loginLimiter) failed(client, name string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := pairKey{client, name}
	p := l.pairs[k]
	if p == nil || now.Sub(p.last) > loginPairForget {
		p = &pair{}
		l.pairs[k] = p
	}
	p.fails++
	p.last = now
	if extra := p.fails - loginFreeFailures; extra > 0 {
		d := loginMaxDelay
		if extra <= 20 {
			d = min(loginFirstDelay<<(extra-1), loginMaxDelay)
		}
		p.until = now.Add(d)
	}
	n := l.names[name]
	if n == nil {
		n = &nameFail{lim: rate.NewLimiter(rate.Every(loginNameRefill), loginNameBurst)}
		l.names[name] = n
	}
	n.seen = now
	if n.lim.AllowN(now, 1) {
		return false
	}
	first := !n.throttled
	n.throttled = true
	return first
}

// succeeded clears client's failures for name.
func (l *loginLimiter) succeeded(client, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pairs, pairKey{client, name})
}

// unlock forgets every failure for name, from every client. It reports
// whether there was anything to forget.
func (l *loginLimiter) unlock(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, found := l.names[name]
	delete(l.names, name)
	for k := range l.pairs {
		if k.name == name {
			delete(l.pairs, k)
			found = true
		}
	}
	return found
}

// sweep drops state that carries nothing any more, so random client
// addresses and usernames cannot grow the maps without end.
func (l *loginLimiter) sweep(now time.Time) {
	if len(l.buckets)+len(l.pairs)+len(l.names) < 10000 || now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) > 10*time.Minute {
			delete(l.buckets, k)
		}
	}
	for k, p := range l.pairs {
		if now.Sub(p.last) > loginPairForget && now.After(p.until) {
			delete(l.pairs, k)
		}
	}
	for k, n := range l.names {
		if now.Sub(n.seen) > loginNameBurst*loginNameRefill {
			delete(l.names, k)
		}
	}
}
