package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web"
	"github.com/huimin/huimin/cms/web/webtest"
)

// replica is another server made with s's configuration, on s's store, as
// a second replica behind a load balancer is; s's sign-in works on it.
func (s *apiServer) replica(t *testing.T) *apiServer {
	t.Helper()
	hs := httptest.NewServer(web.New(s.cfg))
	t.Cleanup(hs.Close)
	r := &apiServer{t: t, db: s.db, url: hs.URL, content: s.content, cfg: s.cfg, admin: s.admin,
		client: &http.Client{Transport: &webtest.Transport{V: webtest.NewValidator(t), TB: t,
			Base: &http.Transport{DisableCompression: true}}}}
	t.Cleanup(r.client.CloseIdleConnections)
	return r
}

// countingLogins counts the calls made to the login limits' store.
type countingLogins struct {
	cms.LoginThrottleService
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingLogins) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[name]++
}

func (c *countingLogins) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = map[string]int{}
	return out
}

func (c *countingLogins) LoginFailures(ctx context.Context, client, name string) (cms.LoginFailures, error) {
	c.count("LoginFailures")
	return c.LoginThrottleService.LoginFailures(ctx, client, name)
}

func (c *countingLogins) RecordLoginFailure(ctx context.Context, client, name string, now time.Time, l cms.LoginLimits) (bool, error) {
	c.count("RecordLoginFailure")
	return c.LoginThrottleService.RecordLoginFailure(ctx, client, name, now, l)
}

func (c *countingLogins) ClearLoginFailures(ctx context.Context, client, name string) error {
	c.count("ClearLoginFailures")
	return c.LoginThrottleService.ClearLoginFailures(ctx, client, name)
}

// TestLogin_LimitsAcrossReplicas is issue 14's global login limits: two
// servers on one database, as two replicas. A guesser's failures count
// wherever they land, the account is throttled by failures spread over
// both, and an admin's unlock on one lifts the throttle on the other.
func TestLogin_LimitsAcrossReplicas(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		audit := &recordingAudit{AuditService: db}
		logins := &countingLogins{LoginThrottleService: db, calls: map[string]int{}}
		now := time.Now()
		a := newAPIServer(t, db, func(c *web.Config) {
			c.TrustedProxies = []string{"127.0.0.1", "::1"}
			c.Audit = audit
			c.Logins = logins
			c.LoginClock = func() time.Time { return now }
		})
		b := a.replica(t)
		ctx := context.Background()
		if err := db.CreateUser(ctx, &cms.User{Username: "ed", Name: "小编", Role: cms.RoleEditor}, "ed-password"); err != nil {
			t.Fatal(err)
		}
		login := func(s *apiServer, client, user, password string) reply {
			return s.do("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password},
				map[string]string{"X-Forwarded-For": client})
		}

		t.Run("a clean login costs one read", func(t *testing.T) {
			a.t, b.t = t, t
			logins.take()
			login(b, "192.0.2.77", "ed", "ed-password").want(http.StatusOK)
			if got := logins.take(); len(got) != 1 || got["LoginFailures"] != 1 {
				t.Errorf("calls to the login limits' store %v, want one LoginFailures", got)
			}
		})

		t.Run("failures on one count on the other", func(t *testing.T) {
			a.t, b.t = t, t
			// Four failures, two on each: the fourth makes the client wait
			// a second, on both, even with the right password. (The login
			// clock stands still: the next attempts come within it.)
			for i := range 4 {
				login([]*apiServer{a, b}[i%2], "198.51.100.1", "ed", "wrong").want(http.StatusUnauthorized)
			}
			login(a, "198.51.100.1", "ed", "ed-password").want(http.StatusTooManyRequests)
			login(b, "198.51.100.1", "ed", "ed-password").want(http.StatusTooManyRequests)
			if f, err := db.LoginFailures(ctx, "198.51.100.1", "ed"); err != nil || f.Fails != 4 {
				t.Errorf("LoginFailures = %+v, %v; want the 4 failures made on both servers", f, err)
			}
			// Another client is not kept waiting.
			login(b, "198.51.100.2", "ed", "ed-password").want(http.StatusOK)
		})

		t.Run("an unlock on one lifts the throttle on the other", func(t *testing.T) {
			a.t, b.t = t, t
			// 21 guesses for the admin from 21 addresses, alternating between
			// the servers: neither sees more than 11, together they empty
			// the account's bucket of 20.
			for i := range 21 {
				login([]*apiServer{a, b}[i%2], fmt.Sprintf("203.0.113.%d", i+1), "admin", "guess").want(http.StatusUnauthorized)
			}
			login(a, "203.0.113.2", "admin", "admin-password").want(http.StatusTooManyRequests) // failed on b
			login(b, "203.0.113.1", "admin", "admin-password").want(http.StatusTooManyRequests) // failed on a
			login(b, "192.0.2.10", "admin", "admin-password").want(http.StatusOK)
			if got := audit.actions(); len(got) != 1 || got[0] != "user.login_throttle" {
				t.Errorf("audit events %v, want one user.login_throttle", got)
			}

			a.do("DELETE", fmt.Sprintf("/api/v1/users/%d/lockout", a.userID("admin")), a.admin, nil, nil).want(http.StatusNoContent)
			login(b, "203.0.113.1", "admin", "admin-password").want(http.StatusOK)
			login(b, "203.0.113.2", "admin", "admin-password").want(http.StatusOK)
			if got := audit.actions(); len(got) != 2 || got[1] != "user.login_unlock" {
				t.Errorf("audit events %v, want user.login_unlock last", got)
			}
		})

		t.Run("an unlock on the other replica", func(t *testing.T) {
			a.t, b.t = t, t
			// Every guess on a, the unlock on b.
			for i := range 21 {
				login(a, fmt.Sprintf("203.0.113.%d", 101+i), "ed", "guess").want(http.StatusUnauthorized)
			}
			login(a, "203.0.113.101", "ed", "ed-password").want(http.StatusTooManyRequests)
			b.do("DELETE", fmt.Sprintf("/api/v1/users/%d/lockout", b.userID("ed")), b.admin, nil, nil).want(http.StatusNoContent)
			login(a, "203.0.113.101", "ed", "ed-password").want(http.StatusOK)
			if got := audit.actions(); len(got) == 0 || got[len(got)-1] != "user.login_unlock" {
				t.Errorf("audit events %v, want user.login_unlock last", got)
			}
		})
	})
}
