package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestInteractStore_ClosedMonth: the 满意度测评结果 say which months they
// cover, and a month that has ended is a fixed snapshot: ratings arriving
// minutes after its end (China time) count in the new month and leave the
// old month's figures as they were at month end.
func TestInteractStore_ClosedMonth(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		// 2026-11-30 23:50 in China.
		clock := &movableClock{now: time.Date(2026, 11, 30, 15, 50, 0, 0, time.UTC)}
		db := openStore(t, dsn, dataDir, store.WithClock(clock.Now))
		f := newFixture(t, db)
		ctx := context.Background()
		rate := func(level int) {
			t.Helper()
			if _, err := db.CreateRating(ctx, cms.RatingInput{ProjectSlug: f.project.Slug, Level: level}); err != nil {
				t.Fatal(err)
			}
		}
		rate(cms.LevelVeryGood)
		rate(cms.LevelVeryBad)
		before, err := db.FindSatisfaction(ctx, f.project.Slug, 2)
		if err != nil {
			t.Fatal(err)
		}
		if before.From != "2026-10" || before.To != "2026-11" || !before.AsOf.Equal(clock.Now()) {
			t.Fatalf("period %s to %s as of %s", before.From, before.To, before.AsOf)
		}
		november := before.Months[1]
		if november.Month != "2026-11" || november.Total != 2 || november.Rate != 50 {
			t.Fatalf("November at its end: %+v", november)
		}

		// Twenty minutes later it is December in China: new ratings.
		clock.Add(20 * time.Minute)
		rate(cms.LevelBad)
		rate(cms.LevelBad)
		rate(cms.LevelGood)
		for _, slug := range []string{f.project.Slug, ""} {
			after, err := db.FindSatisfaction(ctx, slug, 2)
			if err != nil {
				t.Fatal(err)
			}
			if after.From != "2026-11" || after.To != "2026-12" {
				t.Fatalf("%q: period %s to %s, want 2026-11 to 2026-12", slug, after.From, after.To)
			}
			if after.Months[0] != november {
				t.Errorf("%q: November changed after its end: %+v, was %+v", slug, after.Months[0], november)
			}
			if dec := after.Months[1]; dec.Month != "2026-12" || dec.Total != 3 || dec.Satisfied != 1 || dec.Levels != [5]int{0, 1, 0, 2, 0} {
				t.Errorf("%q: December so far: %+v", slug, dec)
			}
		}
	})
}
