package web_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web"
)

// recordingAudit is the store's audit service that also takes events from
// outside the stores, as an audit service may.
type recordingAudit struct {
	cms.AuditService
	mu     sync.Mutex
	events []*cms.AuditEvent
}

func (a *recordingAudit) RecordAuditEvent(_ context.Context, e *cms.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return nil
}

func (a *recordingAudit) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.events {
		out = append(out, e.Action)
	}
	return out
}

// TestLogin_Limits is issue 12 item 3: spellings of one username share
// its limits, and wrong passwords sent by others cannot lock its owner out.
func TestLogin_Limits(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		audit := &recordingAudit{AuditService: db}
		now := time.Now()
		s := newAPIServer(t, db, func(c *web.Config) {
			c.TrustedProxies = []string{"127.0.0.1", "::1"}
			c.Audit = audit
			c.LoginClock = func() time.Time { return now }
		})
		ctx := context.Background()
		ed := &cms.User{Username: "ed", Name: "小编", Role: cms.RoleEditor}
		if err := db.CreateUser(ctx, ed, "ed-password"); err != nil {
			t.Fatal(err)
		}
		login := func(client, user, password string) reply {
			return s.do("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password},
				map[string]string{"X-Forwarded-For": client})
		}

		t.Run("spellings share limits", func(t *testing.T) {
			s.t = t
			// Three free failures from one client, whatever the spelling;
			// the fourth must wait.
			for _, name := range []string{"ed ", " ed", "ed\t"} {
				login("198.51.100.1", name, "wrong").want(http.StatusUnauthorized)
			}
			login("198.51.100.1", "ED", "wrong").want(http.StatusUnauthorized)
			r := login("198.51.100.1", "ed", "wrong").want(http.StatusTooManyRequests)
			if r.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		})

		t.Run("others cannot lock the owner out", func(t *testing.T) {
			s.t = t
			// Wrong passwords for the admin from many addresses, one each.
			for i := range 40 {
				login(fmt.Sprintf("203.0.113.%d", i+1), "admin", "guess").want(http.StatusUnauthorized)
			}
			// The guessers are refused now …
			login("203.0.113.1", "admin", "guess").want(http.StatusTooManyRequests)
			login("203.0.113.1", "admin", "admin-password").want(http.StatusTooManyRequests)
			// … the owner, from a client that has not failed, is not.
			login("192.0.2.10", "admin", "admin-password").want(http.StatusOK)
			if got := audit.actions(); len(got) != 1 || got[0] != "user.login_throttle" {
				t.Errorf("audit events %v, want one user.login_throttle", got)
			}

			// An admin lifts the limits; the refused client may try again.
			adminID := s.userID("admin")
			editor := s.login("ed", "ed-password")
			path := fmt.Sprintf("/api/v1/users/%d/lockout", adminID)
			s.do("DELETE", path, editor, nil, nil).want(http.StatusForbidden)
			s.do("DELETE", path, s.admin, nil, nil).want(http.StatusNoContent)
			login("203.0.113.1", "admin", "admin-password").want(http.StatusOK)
			if got := audit.actions(); len(got) != 2 || got[1] != "user.login_unlock" {
				t.Errorf("audit events %v, want user.login_unlock last", got)
			}
			s.do("DELETE", "/api/v1/users/9999/lockout", s.admin, nil, nil).want(http.StatusNotFound)
		})
	})
}
