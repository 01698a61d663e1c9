package cms

import (
	"testing"
	"time"
)

func TestLoginLimits_Delay(t *testing.T) {
	l := LoginLimits{FreeFailures: 3, FirstDelay: time.Second, MaxDelay: 15 * time.Minute}
	for fails, want := range map[int]time.Duration{
		0: 0, 3: 0, 4: time.Second, 5: 2 * time.Second, 13: 512 * time.Second,
		14: 15 * time.Minute, 23: 15 * time.Minute, 1000: 15 * time.Minute,
	} {
		if got := l.Delay(fails); got != want {
			t.Errorf("Delay(%d) = %s, want %s", fails, got, want)
		}
	}
}
