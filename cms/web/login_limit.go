package web

import (
	"context"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/huimin/huimin/cms"
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
// "ed ", " ed" and "ED" share their limits.
//
// The two limits on failures live in the database (cms.LoginThrottleService),
// so with several replicas a guesser's failures count whichever replica
// they reach, and an unlock sent to any replica lifts the throttle on all.
// A client without failures costs one indexed read; failures cost a short
// transaction each, and each replica prunes forgotten records at most every
// loginPruneEvery, when it records a failure. The per-address bucket stays
// in this process's memory: it is checked on every attempt, and with N
// replicas it lets one address make up to N times its attempts, which the
// shared limits on failures still bound. A restart forgets it, which gives
// an attacker nothing waiting would not.
type loginLimiter struct {
	store  cms.LoginThrottleService
	limits cms.LoginLimits

	perClient *ipLimiter // per client address, this process only

	mu     sync.Mutex
	pruned time.Time // when this process last pruned the store
}

const (
	loginFreeFailures = 3
	loginFirstDelay   = time.Second
	loginMaxDelay     = 15 * time.Minute
	loginPairForget   = time.Hour // failures older than this are forgotten
	loginNameBurst    = 20
	loginNameRefill   = time.Minute
	loginPruneEvery   = 10 * time.Minute
)

func newLoginLimiter(store cms.LoginThrottleService) *loginLimiter {
	return &loginLimiter{store: store, perClient: newIPLimiter(float64(rate.Every(6*time.Second)), 10), limits: cms.LoginLimits{
		FreeFailures: loginFreeFailures, FirstDelay: loginFirstDelay, MaxDelay: loginMaxDelay,
		Forget: loginPairForget, NameBurst: loginNameBurst, NameRefill: loginNameRefill,
	}}
}

// loginName is a username as the limits key it.
func loginName(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

// allow reports whether an attempt for key (a client address) may go
// ahead, and if not, how long the client should wait.
func (l *loginLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	return l.perClient.take(key, now) // take, not allow: loopback clients are limited too
}

// check reports how long client must wait before it tries name at now (0:
// it may try now), and whether it has failures on record, which a success
// must clear. It consumes nothing: failures are counted by failed.
func (l *loginLimiter) check(ctx context.Context, client, name string, now time.Time) (wait time.Duration, failed bool, err error) {
	if l.store == nil {
		return 0, false, cms.Errorf(cms.EINTERNAL, "no store for the login limits (web.Config.Logins)")
	}
	f, err := l.store.LoginFailures(ctx, client, name)
	if err != nil {
		return 0, false, err
	}
	return f.Wait(now, l.limits), f.Fails > 0, nil
}

// failed records a wrong password from client for name. It reports true
// when this failure throttled the account.
func (l *loginLimiter) failed(ctx context.Context, client, name string, now time.Time) (bool, error) {
	throttled, err := l.store.RecordLoginFailure(ctx, client, name, now, l.limits)
	if err != nil {
		return false, err
	}
	l.mu.Lock()
	due := now.Sub(l.pruned) >= loginPruneEvery
	if due {
		l.pruned = now
	}
	l.mu.Unlock()
	if due {
		_, err = l.store.PruneLoginFailures(ctx, now, l.limits)
	}
	return throttled, err
}

// succeeded clears client's failures for name.
func (l *loginLimiter) succeeded(ctx context.Context, client, name string) error {
	return l.store.ClearLoginFailures(ctx, client, name)
}

// unlock forgets every failure for name, from every client. It reports
// whether there was anything to forget.
func (l *loginLimiter) unlock(ctx context.Context, name string) (bool, error) {
	if l.store == nil {
		return false, cms.Errorf(cms.EINTERNAL, "no store for the login limits (web.Config.Logins)")
	}
	return l.store.UnlockLogin(ctx, name)
}
