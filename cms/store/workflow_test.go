package store_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestStoryService_ApplyAction walks one story through 三审 with a user of
// each role, checking each refused step on the way and the sign-off record.
func TestStoryService_ApplyAction(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s := f.newStory("三审流程")
		steps := []struct {
			name    string
			user    *cms.User
			action  cms.Action
			comment string
			code    string // "" for success
			status  cms.StoryStatus
			stage   int
		}{
			{"ErrNobody", nil, cms.ActionSubmit, "", cms.EUNAUTHORIZED, "", 0},
			{"ErrApproveDraft", f.r1, cms.ActionApprove, "", cms.ECONFLICT, "", 0},
			{"ErrReviewerPublishesDraft", f.r3, cms.ActionPublish, "", cms.ECONFLICT, "", 0},
			{"Submit", f.editor, cms.ActionSubmit, "", "", cms.StatusInReview, 1},
			{"ErrSubmitTwice", f.editor, cms.ActionSubmit, "", cms.ECONFLICT, "", 0},
			{"ErrEditorApproves", f.editor, cms.ActionApprove, "", cms.EFORBIDDEN, "", 0},
			{"ErrWrongStageApproves", f.r2, cms.ActionApprove, "", cms.EFORBIDDEN, "", 0},
			{"Approve1", f.r1, cms.ActionApprove, "文字无误", "", cms.StatusInReview, 2},
			{"ErrRejectWithoutComment", f.r2, cms.ActionReject, "  ", cms.EINVALID, "", 0},
			{"Reject", f.r2, cms.ActionReject, "第二段数据需核实", "", cms.StatusDraft, 0},
			{"Resubmit", f.editor, cms.ActionSubmit, "", "", cms.StatusInReview, 1},
			{"Approve1Again", f.r1, cms.ActionApprove, "", "", cms.StatusInReview, 2},
			{"Approve2", f.r2, cms.ActionApprove, "", "", cms.StatusInReview, 3},
			{"ErrEditorPublishes", f.editor, cms.ActionPublish, "", cms.EFORBIDDEN, "", 0},
			{"Approve3", f.r3, cms.ActionApprove, "同意发布", "", cms.StatusApproved, 0},
			{"ErrFirstStagePublishes", f.r1, cms.ActionPublish, "", cms.EFORBIDDEN, "", 0},
			{"Publish", f.r3, cms.ActionPublish, "", "", cms.StatusPublished, 0},
			{"ErrPublishTwice", f.r3, cms.ActionPublish, "", cms.ECONFLICT, "", 0},
			{"ErrEditorUnpublishes", f.editor, cms.ActionUnpublish, "", cms.EFORBIDDEN, "", 0},
			{"Unpublish", f.r3, cms.ActionUnpublish, "活动结束", "", cms.StatusUnpublished, 0},
			{"ErrUnknownAction", f.admin, cms.Action("burn"), "", cms.ENOTFOUND, "", 0},
			{"AdminPublishesDirectly", f.admin, cms.ActionPublish, "", "", cms.StatusPublished, 0},
		}
		for _, st := range steps {
			ctx := context.Background()
			if st.user != nil {
				ctx = f.as(st.user)
			}
			got, err := db.ApplyAction(ctx, s.ID, cms.ActionRequest{Action: st.action, Comment: st.comment})
			if st.code != "" {
				wantCode(t, err, st.code)
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got.Status != st.status || got.ReviewStage != st.stage {
				t.Fatalf("%s: status %s stage %d, want %s stage %d", st.name, got.Status, got.ReviewStage, st.status, st.stage)
			}
			if live := got.Status == cms.StatusPublished; live != (got.LiveVersion == 1) {
				t.Fatalf("%s: live version %d with status %s", st.name, got.LiveVersion, got.Status)
			}
		}

		so, err := db.FindSignOffs(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			action cms.Action
			actor  string
			stage  int
			to     cms.StoryStatus
		}{
			{cms.ActionSubmit, "宣传干事小王", 0, cms.StatusInReview},
			{cms.ActionApprove, "初审老李", 1, cms.StatusInReview},
			{cms.ActionReject, "复审张科长", 2, cms.StatusDraft},
			{cms.ActionSubmit, "宣传干事小王", 0, cms.StatusInReview},
			{cms.ActionApprove, "初审老李", 1, cms.StatusInReview},
			{cms.ActionApprove, "复审张科长", 2, cms.StatusInReview},
			{cms.ActionApprove, "终审刘局长", 3, cms.StatusApproved},
			{cms.ActionPublish, "终审刘局长", 0, cms.StatusPublished},
			{cms.ActionUnpublish, "终审刘局长", 0, cms.StatusUnpublished},
			{cms.ActionPublish, "管理员", 0, cms.StatusPublished},
		}
		if len(so) != len(want) {
			t.Fatalf("%d sign-offs, want %d: %+v", len(so), len(want), so)
		}
		for i, w := range want {
			if so[i].Action != w.action || so[i].ActorName != w.actor || so[i].Stage != w.stage || so[i].ToState != w.to {
				t.Errorf("sign-off %d = %s by %s stage %d → %s, want %s by %s stage %d → %s", i,
					so[i].Action, so[i].ActorName, so[i].Stage, so[i].ToState, w.action, w.actor, w.stage, w.to)
			}
		}
		if so[2].Comment != "第二段数据需核实" || so[1].Comment != "文字无误" {
			t.Errorf("comments not kept: %q %q", so[2].Comment, so[1].Comment)
		}
	})
}

func TestStoryService_ApplyAction_TwoStages(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		set, _ := db.FindSettings(context.Background())
		if _, err := db.UpdateSettings(f.as(f.admin), cms.SettingsUpdate{Version: set.Version, ReviewStages: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		s := f.newStory("两审")
		f.act(f.editor, s.ID, cms.ActionSubmit, "")
		f.act(f.r1, s.ID, cms.ActionApprove, "")
		if got := f.act(f.r2, s.ID, cms.ActionApprove, ""); got.Status != cms.StatusApproved {
			t.Fatalf("final approval with two stages: %s", got.Status)
		}
		_, err := db.ApplyAction(f.as(f.r3), s.ID, cms.ActionRequest{Action: cms.ActionPublish})
		wantCode(t, err, cms.EFORBIDDEN)
		if got := f.act(f.r2, s.ID, cms.ActionPublish, ""); !got.Live() {
			t.Fatalf("not live after publish by the second-stage reviewer")
		}
	})
}

// TestStoryService_ApplyAction_Concurrent: two first-stage reviewers
// approving at once must not both sign the same stage off.
func TestStoryService_ApplyAction_Concurrent(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s := f.newStory("同时审核")
		f.act(f.editor, s.ID, cms.ActionSubmit, "")
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = db.ApplyAction(f.as(f.r1), s.ID, cms.ActionRequest{Action: cms.ActionApprove})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch cms.ErrorCode(err) {
			case "":
				ok++
			case cms.ECONFLICT, cms.EFORBIDDEN: // lost the race; the stage moved on
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		so, _ := db.FindSignOffs(context.Background(), s.ID)
		if ok != 1 || len(so) != 2 {
			t.Errorf("%d approvals succeeded, %d sign-offs; want 1 and 2", ok, len(so))
		}
	})
}

func TestStoryService_Schedule(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		clock := time.Now().UTC().Truncate(time.Millisecond)
		var mu sync.Mutex
		store.SetNow(db, func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
		advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

		s := f.newStory("定时发布", func(s *cms.Story) {
			s.PublishAt = ptr(clock.Add(time.Minute))
			s.UnpublishAt = ptr(clock.Add(time.Hour))
		})
		if got := f.publish(s.ID); got.Status != cms.StatusScheduled || got.Live() {
			t.Fatalf("publish with publish_at ahead: %s live %d, want scheduled", got.Status, got.LiveVersion)
		}
		if _, err := db.FindLiveStoryBySlug(context.Background(), s.Slug); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Fatalf("scheduled story readable: %v", err)
		}
		if ids, err := db.PublishDue(context.Background()); err != nil || len(ids) != 0 {
			t.Fatalf("PublishDue before time = %v, %v", ids, err)
		}

		advance(2 * time.Minute) // e.g. the server was down across publish_at
		// Several processes run the scheduler at once: exactly one acts.
		var wg sync.WaitGroup
		var mu2 sync.Mutex
		acted := 0
		for range 4 {
			wg.Go(func() {
				ids, err := db.PublishDue(context.Background())
				if err != nil {
					t.Errorf("PublishDue: %v", err)
				}
				mu2.Lock()
				acted += len(ids)
				mu2.Unlock()
			})
		}
		wg.Wait()
		if acted != 1 {
			t.Fatalf("%d schedulers acted, want 1", acted)
		}
		live, err := db.FindLiveStoryBySlug(context.Background(), s.Slug)
		if err != nil || live.Version != 1 {
			t.Fatalf("after due: %+v, %v", live, err)
		}

		advance(time.Hour)
		if ids, err := db.PublishDue(context.Background()); err != nil || len(ids) != 1 {
			t.Fatalf("PublishDue unpublish = %v, %v", ids, err)
		}
		got, _ := db.FindStoryByID(context.Background(), s.ID)
		if got.Status != cms.StatusUnpublished || got.Live() || got.UnpublishAt != nil {
			t.Errorf("after unpublish_at: %s live %d unpublish_at %v", got.Status, got.LiveVersion, got.UnpublishAt)
		}
		so, _ := db.FindSignOffs(context.Background(), s.ID)
		if last := so[len(so)-1]; last.ActorName != "system" || last.Action != cms.ActionUnpublish {
			t.Errorf("last sign-off = %+v, want unpublish by system", last)
		}
	})
}

// TestStoryService_Schedule_PublisherDecides covers issue 12 item 2: an
// editor cannot take a live story down (or move an approved one's
// publication) by setting its times; the final reviewer can, and the
// scheduler's action names them.
func TestStoryService_Schedule_PublisherDecides(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		clock := time.Now().UTC().Truncate(time.Millisecond)
		var mu sync.Mutex
		store.SetNow(db, func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
		past := clock.Add(-time.Hour)

		live := f.newStory("已发布稿件")
		live = f.publish(live.ID)
		_, err := db.UpdateStory(f.as(f.editor), live.ID, cms.StoryUpdate{Version: live.Version, UnpublishAt: &past})
		wantCode(t, err, cms.EFORBIDDEN)
		_, err = db.UpdateStory(f.as(f.editor), live.ID, cms.StoryUpdate{Version: live.Version, PublishAt: &past})
		wantCode(t, err, cms.EFORBIDDEN)
		// Editing other fields, sending no time or the same one, stays allowed.
		live = f.update(f.editor, live.ID, cms.StoryUpdate{Version: live.Version, Title: ptr("已发布稿件（修订）")})

		approved := f.newStory("已通过稿件")
		f.act(f.editor, approved.ID, cms.ActionSubmit, "")
		f.act(f.r1, approved.ID, cms.ActionApprove, "")
		f.act(f.r2, approved.ID, cms.ActionApprove, "")
		approved = f.act(f.r3, approved.ID, cms.ActionApprove, "")
		_, err = db.UpdateStory(f.as(f.editor), approved.ID, cms.StoryUpdate{Version: approved.Version, PublishAt: ptr(clock.Add(time.Hour))})
		wantCode(t, err, cms.EFORBIDDEN)

		// On a draft the times are part of what is reviewed.
		draft := f.newStory("草稿")
		f.update(f.editor, draft.ID, cms.StoryUpdate{Version: draft.Version, UnpublishAt: ptr(clock.Add(time.Hour))})

		// The final reviewer may, and the scheduler acts for them.
		f.update(f.r3, live.ID, cms.StoryUpdate{Version: live.Version, UnpublishAt: &past})
		if ids, err := db.PublishDue(ctx); err != nil || len(ids) != 1 || ids[0] != live.ID {
			t.Fatalf("PublishDue = %v, %v", ids, err)
		}
		ev, _, err := db.FindAuditEvents(f.as(f.admin), cms.AuditFilter{Object: "story:" + strconv.FormatInt(live.ID, 10), Action: "story.unpublish"})
		if err != nil || len(ev) != 1 {
			t.Fatalf("unpublish events = %v, %v", ev, err)
		}
		if !strings.Contains(ev[0].Detail, f.r3.Name) {
			t.Errorf("scheduled unpublish audited as %q, want it to name %s", ev[0].Detail, f.r3.Name)
		}
	})
}
