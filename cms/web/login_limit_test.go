package web

import (
	"context"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/store/storetest"
)

func TestLoginLimiter_GrowingDelays(t *testing.T) {
	t.Parallel()
	l := newLoginLimiter(storetest.MustOpen(t))
	ctx := context.Background()
	check := func(client, name string, now time.Time) (bool, time.Duration) {
		t.Helper()
		wait, _, err := l.check(ctx, client, name, now)
		if err != nil {
			t.Fatal(err)
		}
		return wait == 0, wait
	}
	now := testNow
	var waits []time.Duration
	for range 7 {
		if ok, wait := check("a", "ed", now); !ok {
			now = now.Add(wait)
			waits = append(waits, wait)
		}
		if _, err := l.failed(ctx, "a", "ed", now); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if len(waits) != len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
	if ok, _ := check("b", "ed", now); !ok {
		t.Error("another client waits for a's failures")
	}
	if err := l.succeeded(ctx, "a", "ed"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := check("a", "ed", now); !ok {
		t.Error("a success did not clear the client's failures")
	}
}
