package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

var testLoginLimits = cms.LoginLimits{FreeFailures: 3, FirstDelay: time.Second, MaxDelay: 15 * time.Minute,
	Forget: time.Hour, NameBurst: 20, NameRefill: time.Minute}

// TestLoginThrottle: a client's failures for a name make it wait longer
// each time and are forgotten after a success or an hour; a name's failures
// from every client throttle it once its bucket is empty, until the bucket
// refills or an unlock; pruning deletes what limits nothing.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := testLoginLimits
		t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
		fail := func(client, name string, at time.Time) bool {
			t.Helper()
			throttled, err := db.RecordLoginFailure(ctx, client, name, at, l)
			if err != nil {
				t.Fatal(err)
			}
			return throttled
		}
		read := func(client, name string) cms.LoginFailures {
			t.Helper()
			f, err := db.LoginFailures(ctx, client, name)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}

		if f := read("a", "ed"); f != (cms.LoginFailures{}) {
			t.Fatalf("no failures yet: %+v", f)
		}
		for range 5 {
			fail("a", "ed", t0)
		}
		f := read("a", "ed")
		if f.Fails != 5 || !f.Last.Equal(t0) || !f.Until.Equal(t0.Add(2*time.Second)) || f.Wait(t0, l) != 2*time.Second {
			t.Fatalf("after 5 failures: %+v, wait %s; want 5 failures, until t0+2s", f, f.Wait(t0, l))
		}
		if f := read("b", "ed"); f.Fails != 0 {
			t.Fatalf("another client has a's failures: %+v", f)
		}
		// An hour after the last failure the count starts again.
		fail("a", "ed", t0.Add(l.Forget+time.Second))
		if f := read("a", "ed"); f.Fails != 1 || f.Until.After(t0) {
			t.Fatalf("a failure after an hour: %+v, want the count started again", f)
		}
		if err := db.ClearLoginFailures(ctx, "a", "ed"); err != nil {
			t.Fatal(err)
		}
		if f := read("a", "ed"); f.Fails != 0 {
			t.Fatalf("cleared: %+v", f)
		}

		// The name's bucket: 20 failures from 20 clients go through, the
		// 21st throttles it, once.
		var throttles int
		for i := range 22 {
			if fail(fmt.Sprintf("c%d", i), "root", t0) {
				throttles++
			}
		}
		if throttles != 1 {
			t.Fatalf("%d failures reported throttling, want 1", throttles)
		}
		f = read("c1", "root")
		if !f.Throttled || f.Wait(t0, l) != time.Minute {
			t.Fatalf("throttled name: %+v, wait %s; want throttled, wait 1m", f, f.Wait(t0, l))
		}
		if f := read("new", "root"); f.Wait(t0, l) != 0 {
			t.Fatalf("a client that has not failed waits %s", f.Wait(t0, l))
		}
		// A minute later one failure goes through again and lifts the throttle.
		t1 := t0.Add(time.Minute)
		if f := read("c1", "root"); f.Wait(t1, l) != 0 {
			t.Fatalf("after a refill: wait %s", f.Wait(t1, l))
		}
		if fail("c1", "root", t1) {
			t.Fatal("a failure after a refill throttled the name again")
		}
		if f := read("c2", "root"); f.Throttled {
			t.Fatalf("a failure went through and the name is still throttled: %+v", f)
		}
		if fail("c2", "root", t1) != true {
			t.Fatal("the empty bucket did not throttle the name again")
		}

		// Unlock forgets every client's failures and the bucket.
		if found, err := db.UnlockLogin(ctx, "root"); err != nil || !found {
			t.Fatalf("UnlockLogin = %v, %v; want true", found, err)
		}
		if f := read("c2", "root"); f.Fails != 0 {
			t.Fatalf("after unlock: %+v", f)
		}
		if found, err := db.UnlockLogin(ctx, "root"); err != nil || found {
			t.Fatalf("second UnlockLogin = %v, %v; want false", found, err)
		}

		// Pruning deletes forgotten failures and full buckets only.
		fail("old", "x", t0)
		fail("recent", "y", t0.Add(time.Hour))
		n, err := db.PruneLoginFailures(ctx, t0.Add(time.Hour+30*time.Second), l)
		if err != nil || n != 2 { // old's failure and x's bucket; y's and ed's are not full again yet
			t.Fatalf("PruneLoginFailures = %d, %v; want 2", n, err)
		}
		if f := read("recent", "y"); f.Fails != 1 || f.NameFull.IsZero() {
			t.Fatalf("a recent failure was pruned: %+v", f)
		}
		if f := read("old", "x"); f.Fails != 0 {
			t.Fatalf("a forgotten failure was kept: %+v", f)
		}
	})
}

// TestLoginThrottle_Concurrent: failures recorded at once, as by several
// replicas, all count, and exactly one of them throttles the name.
func TestLoginThrottle_Concurrent(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		var mu sync.Mutex
		throttles := 0
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := "same"
				if i%2 == 1 {
					client = fmt.Sprintf("c%d", i)
				}
				throttled, err := db.RecordLoginFailure(ctx, client, "ed", t0, testLoginLimits)
				if err != nil {
					t.Error(err)
				}
				if throttled {
					mu.Lock()
					throttles++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		f, err := db.LoginFailures(ctx, "same", "ed")
		if err != nil || f.Fails != 15 || !f.Throttled {
			t.Fatalf("LoginFailures = %+v, %v; want 15 failures, throttled", f, err)
		}
		if throttles != 1 {
			t.Fatalf("%d failures reported throttling, want 1", throttles)
		}
	})
}
