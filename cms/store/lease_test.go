package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestLease: one holder at a time; the holder renews; a lapsed or released
// lease goes to the next replica with a higher token, and the old holder's
// claims are refused from then on (fencing).
func TestLease(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := db.AcquireLease(ctx, "builder", "replica-a", 2*time.Second)
		if err != nil || !a.Held() || a.Holder != "replica-a" {
			t.Fatalf("first AcquireLease = %+v, %v", a, err)
		}
		b, err := db.AcquireLease(ctx, "builder", "replica-b", 2*time.Second)
		if err != nil || b.Held() || b.Holder != "replica-a" {
			t.Fatalf("AcquireLease by b while a holds it = %+v, %v; want not held, naming replica-a", b, err)
		}
		renewed, err := db.AcquireLease(ctx, "builder", "replica-a", 2*time.Second)
		if err != nil || renewed.Token != a.Token {
			t.Fatalf("renewal = %+v, %v; want the same token %d", renewed, err, a.Token)
		}

		// a queued build is claimed by the holder only, once.
		q := &cms.Build{Reason: "publish story:7", Stories: []int64{7, 9}}
		if err := db.CreateBuild(ctx, q); err != nil {
			t.Fatal(err)
		}
		if n, err := db.QueueDepth(ctx); err != nil || n != 1 {
			t.Fatalf("QueueDepth = %d, %v; want 1", n, err)
		}
		if _, err := db.ClaimBuilds(ctx, cms.Lease{Name: "builder", Holder: "replica-b", Token: a.Token}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Fatalf("ClaimBuilds by a replica that does not hold the lease: %v, want ECONFLICT", err)
		}
		got, err := db.ClaimBuilds(ctx, a)
		if err != nil || len(got) != 1 || got[0].ID != q.ID || got[0].Status != cms.BuildRunning ||
			got[0].Builder != "replica-a" || !slices.Equal(got[0].Stories, []int64{7, 9}) {
			t.Fatalf("ClaimBuilds = %+v, %v", got, err)
		}
		if again, err := db.ClaimBuilds(ctx, a); err != nil || len(again) != 0 {
			t.Fatalf("second ClaimBuilds = %+v, %v; want nothing", again, err)
		}
		if stored, err := db.FindBuildByID(ctx, q.ID); err != nil || stored.Status != cms.BuildRunning || stored.Builder != "replica-a" {
			t.Fatalf("claimed build as stored: %+v, %v", stored, err)
		}

		// Released, the lease goes to b with a higher token, and a is fenced.
		if err := db.ReleaseLease(ctx, a); err != nil {
			t.Fatal(err)
		}
		b, err = db.AcquireLease(ctx, "builder", "replica-b", 2*time.Second)
		if err != nil || !b.Held() || b.Token <= a.Token {
			t.Fatalf("AcquireLease by b after release = %+v, %v; want held with a token above %d", b, err, a.Token)
		}
		if _, err := db.ClaimBuilds(ctx, a); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Fatalf("ClaimBuilds by the replaced holder: %v, want ECONFLICT", err)
		}

		// Not renewed, a lease lapses by itself.
		c, err := db.AcquireLease(ctx, "lapse", "replica-c", 300*time.Millisecond)
		if err != nil || !c.Held() {
			t.Fatalf("AcquireLease(lapse) = %+v, %v", c, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			d, err := db.AcquireLease(ctx, "lapse", "replica-d", time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if d.Held() {
				if d.Token <= c.Token {
					t.Fatalf("token after lapse %d, want above %d", d.Token, c.Token)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lease never lapsed: %+v", d)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}
