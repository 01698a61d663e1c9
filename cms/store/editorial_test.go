package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

func TestDictionary_StarterAndCRUD(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as(f.admin)
		terms, err := db.FindTerms(ctx)
		if err != nil || len(terms) < 12 {
			t.Fatalf("starter dictionary: %d terms, %v", len(terms), err)
		}
		if !slices.ContainsFunc(terms, func(tm *cms.DictionaryTerm) bool {
			return tm.Term == "婚烟登记" && tm.Suggestion == "婚姻登记" && tm.Severity == cms.SeveritySerious
		}) {
			t.Errorf("starter dictionary lacks 婚烟登记 → 婚姻登记")
		}

		tm := &cms.DictionaryTerm{Term: " 青溪区民证局 ", Kind: cms.TermError, Severity: cms.SeveritySerious, Suggestion: "青溪区民政局"}
		if err := db.CreateTerm(ctx, tm); err != nil || tm.ID == 0 || tm.Term != "青溪区民证局" {
			t.Fatalf("CreateTerm: %+v, %v", tm, err)
		}
		wantField(t, db.CreateTerm(ctx, &cms.DictionaryTerm{Term: "青溪区民证局", Kind: cms.TermError, Severity: cms.SeverityWarning}), "term")
		wantField(t, db.CreateTerm(ctx, &cms.DictionaryTerm{Term: "x", Kind: "bad", Severity: cms.SeverityWarning}), "kind")
		wantField(t, db.CreateTerm(ctx, &cms.DictionaryTerm{Term: "x", Kind: cms.TermError, Severity: "fatal"}), "severity")

		up, err := db.UpdateTerm(ctx, tm.ID, cms.DictionaryUpdate{Version: 1, Severity: ptr(cms.SeverityWarning)})
		if err != nil || up.Severity != cms.SeverityWarning || up.Version != 2 {
			t.Fatalf("UpdateTerm: %+v, %v", up, err)
		}
		if _, err := db.UpdateTerm(ctx, tm.ID, cms.DictionaryUpdate{Version: 1, Note: ptr("x")}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Errorf("stale UpdateTerm: %v, want conflict", err)
		}
		if err := db.DeleteTerm(ctx, tm.ID); err != nil {
			t.Fatalf("DeleteTerm: %v", err)
		}
		wantCode(t, db.DeleteTerm(ctx, tm.ID), cms.ENOTFOUND)
		events, _, err := db.FindAuditEvents(ctx, cms.AuditFilter{Object: "dictionary:" + itoa(tm.ID)})
		if err != nil || len(events) != 3 {
			t.Fatalf("audit of the term: %d events, %v", len(events), err)
		}
		for i, a := range []string{"dictionary.create", "dictionary.update", "dictionary.delete"} {
			if events[i].Action != a || events[i].ActorName != "管理员" {
				t.Errorf("audit %d = %s by %s, want %s by 管理员", i, events[i].Action, events[i].ActorName, a)
			}
		}
	})
}

func TestCheckStory(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		other := f.newStory("已发布的稿件", func(s *cms.Story) { s.Slug = "live-one" })
		f.publish(other.ID)
		s := f.newStory("关于婚烟登记的通知", func(s *cms.Story) {
			s.Summary = "为残废人提供上门服务"
			s.Body = `<p>第一段。</p><p>我局优扶工作。</p><img src="/a.jpg"><img src="/b.jpg" alt="瞎子按摩">` +
				`<a href="/stories/live-one/">好</a><a href="/stories/missing/">坏</a><a href="/projects/banzheng/">项目</a>` +
				`<a href="/projects/nope/">无</a><a href="https://example.org/stories/x/">外站</a>`
		})
		hits, err := db.CheckStory(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		byKey := map[string]cms.Hit{}
		for _, h := range hits {
			byKey[h.Field+"|"+h.Term+"|"+h.Check] = h
		}
		title := byKey["title|婚烟登记|dictionary"]
		if title.Position != 2 || title.Suggestion != "婚姻登记" || title.Severity != cms.SeveritySerious || title.Length != 4 {
			t.Errorf("title hit = %+v, want position 2, suggestion 婚姻登记", title)
		}
		if h := byKey["summary|残废人|dictionary"]; h.Position != 1 || h.Suggestion != "残疾人" {
			t.Errorf("summary hit = %+v (the longer term wins over 残废)", h)
		}
		if _, ok := byKey["summary|残废|dictionary"]; ok {
			t.Errorf("残废 reported inside 残废人")
		}
		// Body positions count runes in the text: "第一段。\n我局优扶工作。"
		if h := byKey["body|优扶|dictionary"]; h.Position != 7 || h.Suggestion != "优抚" {
			t.Errorf("body hit = %+v, want position 7", h)
		}
		if _, ok := byKey["body.img[2].alt|瞎子|dictionary"]; !ok {
			t.Errorf("alt text not checked: %+v", hits)
		}
		if _, ok := byKey["body.img[1].alt||image_alt"]; !ok {
			t.Errorf("image without alt not reported: %+v", hits)
		}
		for _, l := range []string{"/stories/missing/", "/projects/nope/"} {
			if _, ok := byKey["body|"+l+"|link"]; !ok {
				t.Errorf("dead link %s not reported", l)
			}
		}
		for _, l := range []string{"/stories/live-one/", "/projects/banzheng/", "/stories/x/"} {
			if _, ok := byKey["body|"+l+"|link"]; ok {
				t.Errorf("good or foreign link %s reported", l)
			}
		}
	})
}

func TestWordingGate(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s := f.newStory("婚烟登记处开展颁证仪式")
		f.act(f.editor, s.ID, cms.ActionSubmit, "")
		f.act(f.r1, s.ID, cms.ActionApprove, "") // only the final stage is gated
		f.act(f.r2, s.ID, cms.ActionApprove, "")
		_, err := db.ApplyAction(f.as(f.r3), s.ID, cms.ActionRequest{Action: cms.ActionApprove})
		ce := wantCode(t, err, cms.EINVALID)
		wantField(t, err, "override")
		d, ok := ce.Details.(cms.HitsDetail)
		if !ok || len(d.Hits) != 3 || d.Hits[0].Field != "title" || d.Hits[0].Position != 0 || d.Hits[0].Suggestion != "婚姻登记" {
			t.Fatalf("details = %#v", ce.Details)
		}
		if !strings.Contains(ce.Message, "婚姻登记") {
			t.Errorf("message %q does not name the correct form", ce.Message)
		}
		// Wrong role still gets 403 first, not the wording error.
		_, err = db.ApplyAction(f.as(f.editor), s.ID, cms.ActionRequest{Action: cms.ActionApprove, Override: "x"})
		wantCode(t, err, cms.EFORBIDDEN)

		got, err := db.ApplyAction(f.as(f.r3), s.ID, cms.ActionRequest{Action: cms.ActionApprove, Comment: "同意", Override: "专有名称原文如此"})
		if err != nil || got.Status != cms.StatusApproved {
			t.Fatalf("approve with override: %v", err)
		}
		// The approved version passed the gate: publishing needs no new reason.
		f.act(f.r3, s.ID, cms.ActionPublish, "")
		so, _ := db.FindSignOffs(context.Background(), s.ID)
		var overridden *cms.SignOff
		for _, x := range so {
			if x.Override != "" {
				overridden = x
			}
		}
		if overridden == nil || overridden.Override != "专有名称原文如此" || overridden.ActorID != f.r3.ID || overridden.Stage != 3 {
			t.Fatalf("sign-off with override: %+v", overridden)
		}
		events, _, _ := db.FindAuditEvents(context.Background(), cms.AuditFilter{Object: "story:" + itoa(s.ID), Action: "story.approve"})
		if len(events) != 3 || !strings.Contains(events[2].Detail, "专有名称原文如此") {
			t.Errorf("audit of the final approval does not carry the override: %+v", events)
		}

		// An admin publishing directly is gated the same way.
		s2 := f.newStory("殡丧改革")
		_, err = db.ApplyAction(f.as(f.admin), s2.ID, cms.ActionRequest{Action: cms.ActionPublish})
		wantField(t, err, "override")
		if _, err := db.ApplyAction(f.as(f.admin), s2.ID, cms.ActionRequest{Action: cms.ActionPublish, Override: "历史文献引文"}); err != nil {
			t.Fatalf("admin publish with override: %v", err)
		}
	})
}

func TestRestoreRevision(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		s := f.newStory("第一版标题")
		f.publish(s.ID)
		cur, _ := db.FindStoryByID(context.Background(), s.ID)
		cur = f.update(f.editor, s.ID, cms.StoryUpdate{Version: cur.Version, Title: ptr("第二版标题"), Body: ptr("<p>改过的正文</p>")})
		if _, err := db.RestoreRevision(f.as(f.editor), s.ID, 1, cur.Version-1); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Fatalf("stale restore: %v, want conflict", err)
		}
		wantCode(t, func() error { _, err := db.RestoreRevision(f.as(f.editor), s.ID, 99, cur.Version); return err }(), cms.ENOTFOUND)
		got, err := db.RestoreRevision(f.as(f.editor), s.ID, 1, cur.Version)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != cur.Version+1 || got.Title != "第一版标题" || got.Body != "<p>第一版标题</p>" || got.Status != cms.StatusDraft {
			t.Errorf("restored: v%d %q %q %s", got.Version, got.Title, got.Body, got.Status)
		}
		if got.LiveVersion != 1 {
			t.Errorf("restore changed what readers see: live %d", got.LiveVersion)
		}
		rev, err := db.FindRevision(context.Background(), s.ID, got.Version)
		if err != nil || rev.Title != "第一版标题" || rev.EditorID != f.editor.ID {
			t.Errorf("new revision: %+v, %v", rev, err)
		}
		events, _, _ := db.FindAuditEvents(context.Background(), cms.AuditFilter{Object: "story:" + itoa(s.ID), Action: "story.restore"})
		if len(events) != 1 || events[0].ActorID != f.editor.ID {
			t.Errorf("restore audit: %+v", events)
		}
	})
}

func TestFindInbox(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := f.newStory("待初审")
		b := f.newStory("待复审")
		c := f.newStory("待终审")
		d := f.newStory("已通过")
		e := f.newStory("被退回")
		for _, s := range []*cms.Story{a, b, c, d, e} {
			f.act(f.editor, s.ID, cms.ActionSubmit, "")
		}
		for _, s := range []*cms.Story{b, c, d} {
			f.act(f.r1, s.ID, cms.ActionApprove, "")
		}
		for _, s := range []*cms.Story{c, d} {
			f.act(f.r2, s.ID, cms.ActionApprove, "")
		}
		f.act(f.r3, d.ID, cms.ActionApprove, "")
		f.act(f.r1, e.ID, cms.ActionReject, "请核实数据")

		titles := func(in *cms.Inbox) string {
			var out []string
			for _, s := range in.Items {
				out = append(out, s.Title)
			}
			return strings.Join(out, ",")
		}
		for _, tt := range []struct {
			u     *cms.User
			items string
		}{
			{f.r1, "待初审"},
			{f.r2, "待复审"},
			{f.r3, "待终审,已通过"},
			{f.admin, "待初审,待复审,待终审,已通过"},
			{f.editor, "被退回"},
		} {
			in, err := db.FindInbox(f.as(tt.u), cms.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(in); got != tt.items || in.Total != strings.Count(tt.items, ",")+1 {
				t.Errorf("%s inbox = %q (total %d), want %q", tt.u.Username, got, in.Total, tt.items)
			}
			if len(in.Stages) != 3 || in.Stages[0].Count != 1 || in.Stages[1].Count != 1 || in.Stages[2].Count != 1 ||
				in.Stages[2].Name != "终审" || in.Approved != 1 {
				t.Errorf("%s counts = %+v approved %d", tt.u.Username, in.Stages, in.Approved)
			}
		}
		if _, err := db.FindInbox(context.Background(), cms.Page{}); !errors.Is(err, err) || cms.ErrorCode(err) != cms.EUNAUTHORIZED {
			t.Errorf("inbox without user: %v", err)
		}
	})
}

func TestSecret(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		a, err := db.Secret(context.Background(), "preview")
		if err != nil || len(a) != 32 {
			t.Fatalf("Secret: %d bytes, %v", len(a), err)
		}
		b, err := db.Secret(context.Background(), "preview")
		if err != nil || string(a) != string(b) {
			t.Fatalf("second Secret differs: %v", err)
		}
	})
}
