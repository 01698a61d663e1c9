package cms

import (
	"context"
	"time"
)

// LoginLimits is the policy of the login limits every replica shares: how
// a client's failures for a username make it wait, and how many failures a
// username takes from every client before it is throttled
// (cms/web/login_limit.go explains the design).
type LoginLimits struct {
	// FreeFailures is how many failures a client has for a username before
	// it waits; each failure past them doubles the wait, from FirstDelay up
	// to MaxDelay.
	FreeFailures int
	FirstDelay   time.Duration
	MaxDelay     time.Duration
	// Forget: a client's failures are forgotten this long after its last.
	Forget time.Duration
	// A username's failures from every client draw on a bucket of
	// NameBurst that refills one every NameRefill; a failure that finds it
	// empty throttles the username.
	NameBurst  int
	NameRefill time.Duration
}

// Delay is how long a client waits after its fails-th failure for a
// username.
func (l LoginLimits) Delay(fails int) time.Duration {
	extra := fails - l.FreeFailures
	switch {
	case extra <= 0:
		return 0
	case extra > 20:
		return l.MaxDelay
	}
	return min(l.FirstDelay<<(extra-1), l.MaxDelay)
}

// LoginFailures is what is recorded of one client's failed logins for one
// username, and of that username's failures from every client.
type LoginFailures struct {
	// Fails counts the client's failures since its last success or since
	// they were forgotten; 0 when there is no record.
	Fails int
	Last  time.Time // the client's latest failure
	Until time.Time // the client may not try the username before then
	// NameFull is when the username's bucket is full again: each failure
	// it lets through moves it NameRefill later, from now at the earliest.
	NameFull time.Time
	// Throttled: a failure found the username's bucket empty and none has
	// been let through since.
	Throttled bool
}

// Wait is how long the client must wait at now before it tries the
// username again; 0 means it may try now. A client without failures never
// waits, even for a throttled username.
func (f LoginFailures) Wait(now time.Time, l LoginLimits) time.Duration {
	if f.Fails == 0 || now.Sub(f.Last) > l.Forget {
		return 0
	}
	if now.Before(f.Until) {
		return f.Until.Sub(now)
	}
	// The bucket holds less than one failure while NameFull is more than
	// NameBurst-1 refills away.
	if over := f.NameFull.Sub(now) - time.Duration(l.NameBurst-1)*l.NameRefill; f.Throttled && over > 0 {
		return over
	}
	return 0
}

// LoginThrottleService keeps the login limits that must hold whichever
// replica a login lands on. Times are the caller's clock, passed in.
type LoginThrottleService interface {
	// LoginFailures returns the failures of client for name (the zero
	// value when it has none) with one indexed read.
	LoginFailures(ctx context.Context, client, name string) (LoginFailures, error)
	// RecordLoginFailure counts a wrong password from client for name at
	// now under l. It reports true when this failure throttled name, which
	// was not throttled before it.
	RecordLoginFailure(ctx context.Context, client, name string, now time.Time, l LoginLimits) (throttled bool, err error)
	// ClearLoginFailures forgets client's failures for name (a success);
	// the username's bucket keeps them.
	ClearLoginFailures(ctx context.Context, client, name string) error
	// UnlockLogin forgets every failure for name, from every client, and
	// lifts its throttle. It reports whether there was anything to forget.
	UnlockLogin(ctx context.Context, name string) (bool, error)
	// PruneLoginFailures deletes the records that limit nothing any more at
	// now under l and reports how many it deleted.
	PruneLoginFailures(ctx context.Context, now time.Time, l LoginLimits) (int, error)
}
