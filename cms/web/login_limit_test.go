package web

import (
	"testing"
	"time"
)

func TestLoginLimiter_GrowingDelays(t *testing.T) {
	l := newLoginLimiter()
	now := testNow
	var waits []time.Duration
	for range 7 {
		if ok, wait := l.check("a", "ed", now); !ok {
			now = now.Add(wait)
			waits = append(waits, wait)
		}
		l.failed("a", "ed", now)
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
	if ok, _ := l.check("b", "ed", now); !ok {
		t.Error("another client waits for a's failures")
	}
	l.succeeded("a", "ed")
	if ok, _ := l.check("a", "ed", now); !ok {
		t.Error("a success did not clear the client's failures")
	}
}
