package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// movableClock is a clock tests move instead of sleeping.
type movableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movableClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *movableClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestInteractStore: a message's phone is sealed at rest and its due date
// counts working days; the handling steps are enforced and audited; a
// published reply shows neither name nor phone; overdue messages are
// counted; a 差评 with a phone opens a follow-up; the report's figures and
// the monthly satisfaction are right; personal data goes after retention.
func TestInteractStore(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		// Monday 2026-12-07 10:00 China time.
		clock := &movableClock{now: time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)}
		db := openStore(t, dsn, dataDir, store.WithClock(clock.Now))
		f := newFixture(t, db)
		ctx := context.Background()
		const phone = "13912345678"

		m, err := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryConsult, ProjectSlug: f.project.Slug,
			Text: "补领结婚证需要带什么材料？", Name: "王大爷", Phone: phone, Public: true, Nonce: "nonce-1"})
		if err != nil {
			t.Fatal(err)
		}
		if m.Phone != phone || m.State != cms.StatePending || len(m.Code) != 10 || m.ProjectName != f.project.Name {
			t.Fatalf("created %+v", m)
		}
		if got := m.DueAt.In(cms.Local).Format(time.DateTime); got != "2026-12-14 23:59:59" {
			t.Errorf("due %s, want the end of the fifth working day 2026-12-14", got)
		}
		var raw string
		if err := rawDB(t, dsn, dataDir).Raw("SELECT phone FROM messages WHERE id = ?", m.ID).Scan(&raw).Error; err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, phone) || !strings.HasPrefix(raw, "sealed:v1:") {
			t.Fatalf("phone stored as %q, want sealed", raw)
		}
		if _, err := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryPraise, Text: "again", Nonce: "nonce-1"}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Fatalf("a used form token: %v, want conflict", err)
		}
		if _, err := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryPraise, Text: "x", ProjectSlug: "nope"}); cms.ErrorCode(err) != cms.EINVALID {
			t.Fatalf("unknown project: %v", err)
		}

		// Handling: a reviewer may not accept; the editor accepts for himself.
		if _, err := db.ActOnMessage(f.as(f.r1), m.ID, cms.ActionAccept, cms.MessageAction{Version: m.Version, AssigneeID: f.r1.ID}); cms.ErrorCode(err) != cms.EFORBIDDEN {
			t.Fatalf("reviewer accepts: %v", err)
		}
		m, err = db.ActOnMessage(f.as(f.admin), m.ID, cms.ActionAccept, cms.MessageAction{Version: m.Version, AssigneeID: f.editor.ID})
		if err != nil || m.State != cms.StateAccepted || m.AssigneeID != f.editor.ID {
			t.Fatalf("accept: %+v, %v", m, err)
		}
		if _, err := db.ActOnMessage(f.as(f.r2), m.ID, cms.ActionReply, cms.MessageAction{Version: m.Version, Reply: "x"}); cms.ErrorCode(err) != cms.EFORBIDDEN {
			t.Fatalf("a non-handler replies: %v", err)
		}
		// Two days later the handler answers, to be published.
		clock.Add(48 * time.Hour)
		m, err = db.ActOnMessage(f.as(f.editor), m.ID, cms.ActionReply, cms.MessageAction{Version: m.Version,
			Reply: "请携带身份证、户口簿到婚姻登记处办理。", Publish: true})
		if err != nil || m.State != cms.StateDone || m.PublishState != cms.PublishReview {
			t.Fatalf("reply: %+v, %v", m, err)
		}
		if list, n, _ := db.FindPublicReplies(ctx, cms.Page{}); n != 0 || len(list) != 0 {
			t.Fatal("a reply is public before review")
		}
		if _, err := db.ActOnMessage(f.as(f.editor), m.ID, string(cms.ActionApprove), cms.MessageAction{Version: m.Version}); cms.ErrorCode(err) != cms.EFORBIDDEN {
			t.Fatalf("editor approves: %v", err)
		}
		// 初审, 复审, 终审 (TestInteractStore_ReplyReview tests the stages).
		for _, u := range []*cms.User{f.r1, f.r2, f.r3} {
			if m, err = db.ActOnMessage(f.as(u), m.ID, string(cms.ActionApprove), cms.MessageAction{Version: m.Version}); err != nil {
				t.Fatalf("approve by %s: %v", u.Username, err)
			}
		}
		if m.PublishState != cms.PublishLive {
			t.Fatalf("approved: %+v", m)
		}
		replies, n, err := db.FindPublicReplies(ctx, cms.Page{})
		if err != nil || n != 1 || replies[0].Reply != m.Reply || replies[0].Project != f.project.Name {
			t.Fatalf("public replies: %v %d %v", replies, n, err)
		}
		st, err := db.FindMessageStatus(ctx, strings.ToLower(m.Code))
		if err != nil || st.State != cms.StateDone || st.Reply != m.Reply {
			t.Fatalf("lookup: %+v %v", st, err)
		}
		events, _, err := db.FindAuditEvents(ctx, cms.AuditFilter{Object: "message:" + itoa(m.ID)})
		if err != nil || len(events) != 6 {
			t.Fatalf("audit of the message: %d events, %v", len(events), err)
		}
		for i, a := range []string{"message.create", "message.accept", "message.reply", "message.approve", "message.approve", "message.approve"} {
			if events[i].Action != a {
				t.Errorf("audit event %d: %s, want %s", i, events[i].Action, a)
			}
		}

		// A message nobody answers becomes overdue, then enters the hard queue.
		late, err := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryComplain, Text: "窗口排队太久", Phone: "13700000000"})
		if err != nil {
			t.Fatal(err)
		}
		rejected, _ := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryConsult, Text: "问别的局的事"})
		if _, err := db.ActOnMessage(f.as(f.admin), rejected.ID, string(cms.ActionReject), cms.MessageAction{Version: rejected.Version}); cms.ErrorCode(err) != cms.EINVALID {
			t.Fatalf("reject without a reason: %v", err)
		}
		if _, err := db.ActOnMessage(f.as(f.admin), rejected.ID, string(cms.ActionReject), cms.MessageAction{Version: rejected.Version, Reason: "不属本单位职责"}); err != nil {
			t.Fatal(err)
		}
		clock.Add(10 * 24 * time.Hour)
		open, overdue, past, err := db.CountUnanswered(ctx)
		if err != nil || open != 1 || overdue != 1 || past != 0 {
			t.Fatalf("CountUnanswered = %d %d %d %v, want 1 1 0", open, overdue, past, err)
		}
		sum, _ := db.InteractSummary(ctx)
		if sum.Overdue != 1 || sum.Pending != 1 || sum.Hard != 0 {
			t.Fatalf("summary %+v", sum)
		}
		list, _, _ := db.FindMessages(ctx, cms.MessageFilter{Queue: "overdue"})
		if len(list) != 1 || list[0].ID != late.ID || !list[0].Overdue {
			t.Fatalf("overdue queue: %+v", list)
		}
		clock.Add(80 * 24 * time.Hour)
		if sum, _ := db.InteractSummary(ctx); sum.Hard != 1 {
			t.Fatalf("three-month warning queue: %+v", sum)
		}

		// A 差评 with a phone opens a follow-up; a good rating does not.
		if _, err := db.CreateRating(ctx, cms.RatingInput{ProjectSlug: f.project.Slug, Level: cms.LevelVeryGood, Nonce: "r1"}); err != nil {
			t.Fatal(err)
		}
		bad, err := db.CreateRating(ctx, cms.RatingInput{ProjectSlug: f.project.Slug, Level: cms.LevelBad, Service: "结婚登记",
			Comment: "态度差", Phone: "13600000000", Nonce: "r2"})
		if err != nil || bad.FollowUpID == 0 {
			t.Fatalf("bad rating: %+v %v", bad, err)
		}
		if _, err := db.CreateRating(ctx, cms.RatingInput{ProjectSlug: f.project.Slug, Level: cms.LevelGood, Nonce: "r2"}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Fatalf("second rating with one token: %v", err)
		}
		fu, err := db.FindMessageByID(ctx, bad.FollowUpID)
		if err != nil || fu.Category != cms.CategoryFollowUp || fu.Phone != "13600000000" || !strings.Contains(fu.Text, "态度差") {
			t.Fatalf("follow-up %+v %v", fu, err)
		}
		res, err := db.FindSatisfaction(ctx, f.project.Slug, 3)
		if err != nil || res.Total.Total != 2 || res.Total.Satisfied != 1 || res.Total.Rate != 50 || len(res.Months) != 3 {
			t.Fatalf("satisfaction %+v %v", res, err)
		}
		if last := res.Months[2]; last.Month != clock.Now().In(cms.Local).Format("2006-01") || last.Levels != [5]int{1, 0, 0, 1, 0} {
			t.Fatalf("this month: %+v", last)
		}

		rep, err := db.InteractReport(ctx, time.Date(2026, 12, 1, 0, 0, 0, 0, cms.Local), clock.Now(), 0)
		if err != nil {
			t.Fatal(err)
		}
		// Received: the answered one (48 h, on time), the rejected, the late
		// one (open, overdue) and the follow-up (new, not yet due).
		if rep.Received != 4 || rep.Closed != 1 || rep.Rejected != 1 || rep.Overdue != 1 || rep.OnTime != 1 ||
			rep.OnTimeRate != 50 || rep.MedianHours != 48 || rep.P90Hours != 48 || len(rep.Satisfaction) != 1 {
			t.Fatalf("report %+v", rep)
		}

		// The dictionary flags abuse for the handler, and a serious term
		// keeps a reply off the public page until it is reworded.
		if err := db.CreateTerm(f.as(f.admin), &cms.DictionaryTerm{Term: "骗子", Kind: cms.TermForbidden, Severity: cms.SeveritySerious}); err != nil {
			t.Fatal(err)
		}
		abuse, err := db.CreateMessage(ctx, cms.MessageInput{Category: cms.CategoryComplain, Text: "窗口的人都是骗子", Public: true})
		if err != nil || len(abuse.Flags) != 1 || abuse.Flags[0] != "骗子" {
			t.Fatalf("flags: %+v %v", abuse, err)
		}
		abuse, err = db.ActOnMessage(f.as(f.admin), abuse.ID, cms.ActionReply, cms.MessageAction{Version: abuse.Version, Reply: "已核实并致歉。", Publish: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ActOnMessage(f.as(f.r1), abuse.ID, string(cms.ActionApprove), cms.MessageAction{Version: abuse.Version}); cms.ErrorCode(err) != cms.EINVALID {
			t.Fatalf("approving a reply to a message with a serious term: %v", err)
		}
		abuse, err = db.ActOnMessage(f.as(f.r1), abuse.ID, cms.ActionReturn, cms.MessageAction{Version: abuse.Version, Reason: "留言含不文明用语，不宜公开"})
		if err != nil || abuse.PublishState != cms.PublishReturned {
			t.Fatalf("return: %+v %v", abuse, err)
		}

		// Personal data is erased after the retention period.
		clock.Add(400 * 24 * time.Hour)
		n, err = db.PurgePersonal(ctx)
		if err != nil || n != 3 {
			t.Fatalf("PurgePersonal = %d, %v; want the two answered and the rejected", n, err)
		}
		if m, _ := db.FindMessageByID(ctx, m.ID); m.Phone != "" || m.Name != "" || !m.Anonymised {
			t.Fatalf("after retention: %+v", m)
		}
	})
}
