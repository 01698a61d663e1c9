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

// The 网站体检's storage (issue 20): thresholds with the indicators'
// defaults and optimistic locking, the last result of every external link,
// who last published a story, and the story check's warning for a broken
// external link.
func TestInspectionStore(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as(f.admin)
		set, err := db.FindInspectionSettings(ctx)
		if err != nil || set.NewsDays != 14 || set.OtherDays != 182 || set.WarnDays != 7 || set.Version != 0 || set.ColumnTags == nil {
			t.Fatalf("defaults: %+v, %v", set, err)
		}
		set.NewsDays, set.ColumnTags, set.OtherLists = 10, []string{"养老服务"}, []string{"project:banzheng"}
		if err := db.SaveInspectionSettings(ctx, set); err != nil || set.Version != 1 {
			t.Fatalf("save: %+v, %v", set, err)
		}
		got, _ := db.FindInspectionSettings(ctx)
		if got.NewsDays != 10 || !slices.Equal(got.ColumnTags, []string{"养老服务"}) || !slices.Equal(got.OtherLists, []string{"project:banzheng"}) || got.Version != 1 {
			t.Errorf("saved: %+v", got)
		}
		stale := *got
		stale.Version = 0
		wantCode(t, db.SaveInspectionSettings(ctx, &stale), cms.ECONFLICT)
		bad := *got
		bad.NewsDays = 0
		if e := wantCode(t, db.SaveInspectionSettings(ctx, &bad), cms.EINVALID); e.Fields["news_days"] == "" {
			t.Errorf("invalid: %+v", e)
		}

		at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		gone := "https://gone.example.cn/notice?id=1"
		res := []cms.LinkCheckResult{{URL: gone, Status: 500, Error: "网站返回 500", CheckedAt: at},
			{URL: "https://ok.example.cn/", OK: true, Status: 200, CheckedAt: at}}
		if err := db.SaveLinkChecks(context.Background(), res); err != nil {
			t.Fatal(err)
		}
		res[0].Status, res[0].Error, res[0].CheckedAt = 404, "网站返回 404 Not Found", at.Add(time.Hour)
		if err := db.SaveLinkChecks(context.Background(), res[:1]); err != nil {
			t.Fatal(err)
		}
		all, err := db.FindLinkChecks(context.Background())
		if err != nil || len(all) != 2 || all[gone].Status != 404 || all[gone].OK || !all[gone].CheckedAt.Equal(at.Add(time.Hour)) || !all["https://ok.example.cn/"].OK {
			t.Errorf("link checks: %+v, %v", all, err)
		}

		s := f.newStory("外链", func(s *cms.Story) {
			s.Body = `<p><a href="` + gone + `">通知</a> <a href="https://ok.example.cn/">好</a></p>`
		})
		hits, err := db.CheckStory(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ext []cms.Hit
		for _, h := range hits {
			if h.Check == cms.CheckExternalLink {
				ext = append(ext, h)
			}
		}
		if len(ext) != 1 || ext[0].Term != gone || ext[0].Severity != cms.SeverityWarning {
			t.Errorf("external link hits: %+v", ext)
		}
		if by, err := db.LastPublisher(context.Background(), s.ID); err != nil || by != "" {
			t.Errorf("before publication: %q, %v", by, err)
		}
		f.publish(s.ID)
		if by, err := db.LastPublisher(context.Background(), s.ID); err != nil || by != "终审刘局长" {
			t.Errorf("last publisher: %q, %v", by, err)
		}
	})
}
