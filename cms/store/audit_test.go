package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestAuditService_Trail checks that a story's whole life is in the audit
// trail, in order, with its actors, and that the digests chain: each
// event's "before" is the previous event's "after".
func TestAuditService_Trail(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		s := f.newStory("审计")
		f.update(f.editor, s.ID, cms.StoryUpdate{Version: 1, Summary: ptr("改摘要")})
		f.publish(s.ID)
		f.act(f.admin, s.ID, cms.ActionUnpublish, "撤下")

		ev, total, err := db.FindAuditEvents(ctx, cms.AuditFilter{Object: fmt.Sprintf("story:%d", s.ID)})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ action, actor string }{
			{"story.create", "宣传干事小王"},
			{"story.update", "宣传干事小王"},
			{"story.submit", "宣传干事小王"},
			{"story.approve", "初审老李"},
			{"story.approve", "复审张科长"},
			{"story.approve", "终审刘局长"},
			{"story.publish", "终审刘局长"},
			{"story.unpublish", "管理员"},
		}
		if total != len(want) || len(ev) != len(want) {
			t.Fatalf("%d events (total %d), want %d: %+v", len(ev), total, len(want), ev)
		}
		for i, w := range want {
			e := ev[i]
			if e.Action != w.action || e.ActorName != w.actor {
				t.Errorf("event %d = %s by %s, want %s by %s", i, e.Action, e.ActorName, w.action, w.actor)
			}
			if i == 0 && (e.Before != "" || len(e.After) != 16) {
				t.Errorf("create digests = %q → %q", e.Before, e.After)
			}
			if i > 0 && (e.Before != ev[i-1].After || e.Before == e.After) {
				t.Errorf("event %d: before %q, previous after %q, after %q", i, e.Before, ev[i-1].After, e.After)
			}
			if i > 0 && e.ID <= ev[i-1].ID {
				t.Errorf("events not oldest first")
			}
		}
		rev, _, err := db.FindAuditEvents(ctx, cms.AuditFilter{Object: fmt.Sprintf("story:%d", s.ID), NewestFirst: true, Page: cms.Page{Page: 1, PerPage: 3}})
		if err != nil || len(rev) != 3 || rev[0].ID != ev[len(ev)-1].ID || rev[2].ID != ev[len(ev)-3].ID {
			t.Errorf("newest first, page of 3: %+v, %v", rev, err)
		}
		if ev[1].Detail != "第 2 版" {
			t.Errorf("update detail = %q, want 第 2 版 (staff read the trail in Chinese)", ev[1].Detail)
		}
		if ev[7].Detail == "" {
			t.Error("unpublish comment missing from detail")
		}

		// r1's account was created by the system, so r1 itself acted once.
		byActor, _, _ := db.FindAuditEvents(ctx, cms.AuditFilter{ActorID: f.r1.ID})
		if len(byActor) != 1 || byActor[0].Action != "story.approve" {
			t.Errorf("events by r1 = %+v", byActor)
		}
		sys, _, _ := db.FindAuditEvents(ctx, cms.AuditFilter{Action: "user.create"})
		if len(sys) != 5 || sys[0].ActorName != "system" || sys[0].ActorID != 0 {
			t.Errorf("user.create events = %+v", sys)
		}
		page, total, _ := db.FindAuditEvents(ctx, cms.AuditFilter{Page: cms.Page{Page: 2, PerPage: 3}})
		if len(page) != 3 || total < 10 {
			t.Errorf("page = %d of %d", len(page), total)
		}
	})
}
