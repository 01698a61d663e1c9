package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestInteractStore_ReplyReview: a reply to be published goes through the
// site's three review stages like a story. The reviewer of another level
// is refused at each stage; a serious wording hit blocks the approval with
// the findings; a return sends it back to the handler with the comment and
// the next reply starts again at 初审; two reviewers signing at once do not
// both succeed (409 with the current message); only after 终审 is the
// reply on 公开答复, and every step is in the audit trail. A reply the
// writer did not agree to publish closes the message without review.
func TestInteractStore_ReplyReview(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		db := openStore(t, dsn, dataDir)
		f := newFixture(t, db)
		ctx := context.Background()
		if s, _ := db.FindSettings(ctx); s.ReviewStages != 3 {
			t.Fatalf("review stages %d, want the default 3", s.ReviewStages)
		}
		if err := db.CreateTerm(f.as(f.admin), &cms.DictionaryTerm{Term: "一刀切", Kind: cms.TermForbidden,
			Severity: cms.SeveritySerious, Suggestion: "统一要求"}); err != nil {
			t.Fatal(err)
		}

		m, err := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategorySuggest, ProjectSlug: f.project.Slug,
			Text: "建议周六也开放婚姻登记。", Name: "李女士", Phone: "13800001111", Public: true})
		if err != nil {
			t.Fatal(err)
		}
		act := func(u *cms.User, action string, a cms.MessageAction) (*cms.Message, error) {
			return db.ActOnMessage(f.as(u), m.ID, action, a)
		}
		must := func(u *cms.User, action string, a cms.MessageAction) *cms.Message {
			t.Helper()
			out, err := act(u, action, a)
			if err != nil {
				t.Fatalf("%s by %s: %v", action, u.Username, err)
			}
			return out
		}
		approve := string(cms.ActionApprove)
		m = must(f.admin, cms.ActionAccept, cms.MessageAction{Version: m.Version, AssigneeID: f.editor.ID})

		// The handler's reply contains a serious term: it waits at 初审.
		m = must(f.editor, cms.ActionReply, cms.MessageAction{Version: m.Version, Publish: true,
			Reply: "周六开放不能一刀切，我们将试行预约办理。"})
		if m.State != cms.StateDone || m.PublishState != cms.PublishReview || m.ReviewStage != 1 {
			t.Fatalf("reply to be published: state %s, publish %q, stage %d; want done, review, 1", m.State, m.PublishState, m.ReviewStage)
		}
		for _, u := range []*cms.User{f.editor, f.r2, f.r3} {
			if _, err := act(u, approve, cms.MessageAction{Version: m.Version}); cms.ErrorCode(err) != cms.EFORBIDDEN {
				t.Fatalf("%s approves at 初审: %v, want forbidden", u.Username, err)
			}
		}
		_, err = act(f.r1, approve, cms.MessageAction{Version: m.Version})
		var e *cms.Error
		if !errors.As(err, &e) || e.Code != cms.EINVALID || e.Fields["reply"] == "" {
			t.Fatalf("approving a reply with a serious term: %v, want invalid naming the reply", err)
		}
		if hits, ok := e.Details.(cms.HitsDetail); !ok || len(hits.Hits) != 1 || hits.Hits[0].Term != "一刀切" || hits.Hits[0].Field != "reply" {
			t.Fatalf("findings of the refusal: %#v", e.Details)
		}
		if _, err := act(f.r1, cms.ActionReturn, cms.MessageAction{Version: m.Version}); cms.ErrorCode(err) != cms.EINVALID {
			t.Fatalf("return without a comment: %v", err)
		}
		if _, err := act(f.r1, cms.ActionReturn, cms.MessageAction{Version: m.Version, Reason: strings.Repeat("长", cms.MaxReason+1)}); cms.ErrorCode(err) != cms.EINVALID {
			t.Fatalf("return with too long a comment: %v", err)
		}
		if _, err := act(f.r2, cms.ActionReturn, cms.MessageAction{Version: m.Version, Reason: "x"}); cms.ErrorCode(err) != cms.EFORBIDDEN {
			t.Fatalf("复审 returns at 初审: %v", err)
		}
		m = must(f.r1, cms.ActionReturn, cms.MessageAction{Version: m.Version, Reason: "“一刀切”不宜用于公开答复"})
		if m.PublishState != cms.PublishReturned || m.ReviewStage != 0 || m.ReviewComment == "" {
			t.Fatalf("returned: publish %q, stage %d, comment %q", m.PublishState, m.ReviewStage, m.ReviewComment)
		}
		if _, err := act(f.r1, approve, cms.MessageAction{Version: m.Version}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Fatalf("approving a returned reply: %v, want conflict", err)
		}

		// Reworded, it starts again at 初审 and climbs the stages.
		m = must(f.editor, cms.ActionReply, cms.MessageAction{Version: m.Version, Publish: true,
			Reply: "我们将试行周六预约办理，具体时间另行公布。"})
		if m.PublishState != cms.PublishReview || m.ReviewStage != 1 || m.ReviewComment != "" {
			t.Fatalf("second reply: publish %q, stage %d, comment %q", m.PublishState, m.ReviewStage, m.ReviewComment)
		}
		m = must(f.r1, approve, cms.MessageAction{Version: m.Version})
		if m.PublishState != cms.PublishReview || m.ReviewStage != 2 {
			t.Fatalf("after 初审: publish %q, stage %d", m.PublishState, m.ReviewStage)
		}
		for _, u := range []*cms.User{f.r1, f.r3} {
			if _, err := act(u, approve, cms.MessageAction{Version: m.Version}); cms.ErrorCode(err) != cms.EFORBIDDEN {
				t.Fatalf("%s approves at 复审: %v, want forbidden", u.Username, err)
			}
		}
		if list, n, _ := db.FindPublicReplies(ctx, cms.Page{}); n != 0 || len(list) != 0 {
			t.Fatal("a reply is public before 终审")
		}

		// 复审: the level-2 reviewer and an admin sign at once from the
		// same version; exactly one succeeds, the other gets the current.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []*cms.User{f.r2, f.admin} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = act(u, approve, cms.MessageAction{Version: m.Version})
			}()
		}
		wg.Wait()
		ok, stale := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.As(err, &e) && e.Code == cms.ECONFLICT:
				stale++
				if cur, _ := e.Current.(*cms.Message); cur == nil || cur.Version != m.Version+1 || cur.ReviewStage != 3 {
					t.Fatalf("conflict carries %+v, want the message at 终审", e.Current)
				}
			default:
				t.Fatalf("concurrent approval: %v", err)
			}
		}
		if ok != 1 || stale != 1 {
			t.Fatalf("concurrent approvals: %d succeeded, %d stale (%v)", ok, stale, errs)
		}
		m, _ = db.FindMessageByID(ctx, m.ID)
		if m.ReviewStage != 3 || m.PublishState != cms.PublishReview {
			t.Fatalf("after 复审: publish %q, stage %d", m.PublishState, m.ReviewStage)
		}
		if _, err := act(f.r3, approve, cms.MessageAction{Version: m.Version - 1}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Fatalf("终审 with a stale version: %v, want conflict", err)
		}
		m = must(f.r3, approve, cms.MessageAction{Version: m.Version})
		if m.PublishState != cms.PublishLive || m.ReviewStage != 0 || m.PublishedAt == nil {
			t.Fatalf("after 终审: publish %q, stage %d", m.PublishState, m.ReviewStage)
		}
		replies, n, err := db.FindPublicReplies(ctx, cms.Page{})
		if err != nil || n != 1 || replies[0].Reply != m.Reply {
			t.Fatalf("公开答复: %v %d %v", replies, n, err)
		}
		events, _, err := db.FindAuditEvents(ctx, cms.AuditFilter{Object: "message:" + itoa(m.ID)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range events {
			got = append(got, ev.Action+" "+ev.Detail)
		}
		want := []string{
			"message.create", "message.accept", "message.reply 办结答复，送初审",
			"message.return 初审退回答复", "message.reply 办结答复，送初审",
			"message.approve 初审通过，送复审", "message.approve 复审通过，送终审", "message.approve 终审通过，答复已公开",
		}
		if len(got) != len(want) {
			t.Fatalf("audit trail:\n%s\nwant %d events", strings.Join(got, "\n"), len(want))
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("audit event %d: %q, want %q…", i, got[i], want[i])
			}
		}

		// With one stage, the first approval publishes; a reply the writer
		// did not agree to publish closes the message without review.
		one := 1
		s, _ := db.FindSettings(ctx)
		if _, err := db.UpdateSettings(f.as(f.admin), cms.SettingsUpdate{Version: s.Version, ReviewStages: &one}); err != nil {
			t.Fatal(err)
		}
		quick, _ := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryConsult, Text: "几点上班？", Public: true})
		quick, err = db.ActOnMessage(f.as(f.admin), quick.ID, cms.ActionReply, cms.MessageAction{Version: quick.Version, Reply: "八点半。", Publish: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ActOnMessage(f.as(f.r2), quick.ID, approve, cms.MessageAction{Version: quick.Version}); cms.ErrorCode(err) != cms.EFORBIDDEN {
			t.Fatalf("复审 approves on a one-stage site: %v", err)
		}
		quick, err = db.ActOnMessage(f.as(f.r1), quick.ID, approve, cms.MessageAction{Version: quick.Version})
		if err != nil || quick.PublishState != cms.PublishLive {
			t.Fatalf("one-stage approval: %+v %v", quick, err)
		}
		private, _ := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryConsult, Text: "我的证件办好了吗？"})
		if _, err := db.ActOnMessage(f.as(f.admin), private.ID, cms.ActionReply, cms.MessageAction{Version: private.Version, Reply: "已办好。", Publish: true}); cms.ErrorCode(err) != cms.EINVALID {
			t.Fatalf("publishing a reply the writer did not agree to: %v", err)
		}
		private, err = db.ActOnMessage(f.as(f.admin), private.ID, cms.ActionReply, cms.MessageAction{Version: private.Version, Reply: "已办好。"})
		if err != nil || private.State != cms.StateDone || private.PublishState != cms.PublishNone || private.ReviewStage != 0 {
			t.Fatalf("private reply: %+v %v", private, err)
		}
		if _, n, _ := db.FindPublicReplies(ctx, cms.Page{}); n != 2 {
			t.Fatalf("公开答复 has %d replies, want 2", n)
		}
	})
}

// TestMigrateReplyReview: on a database from before the staged review, a
// reply that was waiting for its one approval waits at 初审.
func TestMigrateReplyReview(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		db := openStore(t, dsn, dataDir)
		f := newFixture(t, db)
		ctx := context.Background()
		waiting, _ := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryConsult, Text: "几点开门？", Public: true})
		waiting, err := db.ActOnMessage(f.as(f.admin), waiting.ID, cms.ActionReply, cms.MessageAction{Version: waiting.Version, Reply: "八点半。", Publish: true})
		if err != nil {
			t.Fatal(err)
		}
		private, _ := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryConsult, Text: "我的证办好了吗？"})
		if _, err := db.ActOnMessage(f.as(f.admin), private.ID, cms.ActionReply, cms.MessageAction{Version: private.Version, Reply: "已办好。"}); err != nil {
			t.Fatal(err)
		}
		db.Close()

		// Back to the schema before the migration.
		raw := rawDB(t, dsn, dataDir)
		for _, q := range []string{"ALTER TABLE messages DROP COLUMN review_stage",
			"DELETE FROM schema_migrations WHERE id = '202612210001_reply_review'"} {
			if err := raw.Exec(q).Error; err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if sqlDB, err := raw.DB(); err == nil {
			sqlDB.Close()
		}

		// The first read after the migration: on SQLite through a reader
		// the store had open before it migrated.
		db = openStore(t, dsn, dataDir)
		if m, err := db.FindMessageByID(ctx, waiting.ID); err != nil || m.PublishState != cms.PublishReview || m.ReviewStage != 1 {
			t.Fatalf("a reply waiting for review after the migration: %+v %v", m, err)
		}
		if m, err := db.FindMessageByID(ctx, private.ID); err != nil || m.PublishState != cms.PublishNone || m.ReviewStage != 0 {
			t.Fatalf("a reply not to be published after the migration: %+v %v", m, err)
		}
	})
}
