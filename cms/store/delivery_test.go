package store_test

import (
	"context"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestContentVersion: the version changes with every change to what the
// content API serves, and only then.
func TestContentVersion(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		last, err := db.ContentVersion(ctx)
		if err != nil || last < 1 {
			t.Fatalf("ContentVersion = %d, %v", last, err)
		}
		step := func(what string, changes bool, do func()) {
			t.Helper()
			do()
			v, err := db.ContentVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if changed := v != last; changed != changes {
				t.Errorf("%s: version %d → %d, want changed=%v", what, last, v, changes)
			}
			last = v
		}
		var s *cms.Story
		step("create draft", false, func() { s = f.newStory("草稿") })
		step("submit and approve", false, func() {
			f.act(f.editor, s.ID, cms.ActionSubmit, "")
			f.act(f.r1, s.ID, cms.ActionApprove, "")
			f.act(f.r2, s.ID, cms.ActionApprove, "")
			f.act(f.r3, s.ID, cms.ActionApprove, "")
		})
		step("publish", true, func() { f.act(f.r3, s.ID, cms.ActionPublish, "") })
		step("edit the working copy", false, func() { f.update(f.editor, s.ID, cms.StoryUpdate{Version: 1, Title: ptr("改")}) })
		step("login", false, func() {
			if _, _, err := db.Login(ctx, "editor", "password-editor", 0); err != nil {
				t.Fatal(err)
			}
		})
		step("unpublish", true, func() { f.act(f.r3, s.ID, cms.ActionUnpublish, "") })
		step("a failed action", false, func() {
			if _, err := db.ApplyAction(f.as(f.r3), s.ID, cms.ActionRequest{Action: cms.ActionUnpublish}); err == nil {
				t.Fatal("unpublishing twice succeeded")
			}
		})
		step("import", true, func() {
			if _, err := db.ImportStories(ctx, []*cms.ImportStory{{Title: "导入", Project: "p", Status: "published"}}); err != nil {
				t.Fatal(err)
			}
		})
		step("rename a project", true, func() {
			if _, err := db.UpdateProject(f.as(f.admin), f.project.ID, cms.ProjectUpdate{Version: 1, Name: ptr("新名称")}); err != nil {
				t.Fatal(err)
			}
		})
		step("change settings", true, func() {
			if _, err := db.UpdateSettings(f.as(f.admin), cms.SettingsUpdate{Version: 1, Organizer: ptr("青溪区民政局")}); err != nil {
				t.Fatal(err)
			}
		})
		step("save a standing page", true, func() {
			if err := db.SavePage(f.as(f.admin), &cms.StandingPage{Slug: "about", Title: "关于"}); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestAPIKeyService(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		wantCode(t, func() error { _, err := db.CreateAPIKey(f.as(f.editor), &cms.APIKey{Name: "门户"}); return err }(), cms.EFORBIDDEN)
		wantField(t, func() error { _, err := db.CreateAPIKey(f.as(f.admin), &cms.APIKey{Name: " "}); return err }(), "name")
		wantField(t, func() error {
			_, err := db.CreateAPIKey(f.as(f.admin), &cms.APIKey{Name: "x", RateLimit: -1})
			return err
		}(), "rate_limit")

		k := &cms.APIKey{Name: "市政务服务网"}
		secret, err := db.CreateAPIKey(f.as(f.admin), k)
		if err != nil {
			t.Fatal(err)
		}
		if k.ID == 0 || k.RateLimit != cms.DefaultAPIKeyRate || len(secret) < 20 || secret[:len(k.Prefix)] != k.Prefix {
			t.Fatalf("key %+v secret %q", k, secret)
		}
		got, err := db.AuthenticateAPIKey(ctx, secret)
		if err != nil || got.ID != k.ID {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		wantCode(t, func() error { _, err := db.AuthenticateAPIKey(ctx, secret+"x"); return err }(), cms.EUNAUTHORIZED)
		wantCode(t, func() error { _, err := db.AuthenticateAPIKey(ctx, "nonsense"); return err }(), cms.EUNAUTHORIZED)

		wantCode(t, func() error { _, err := db.RevokeAPIKey(f.as(f.editor), k.ID); return err }(), cms.EFORBIDDEN)
		wantCode(t, func() error { _, err := db.RevokeAPIKey(f.as(f.admin), 9999); return err }(), cms.ENOTFOUND)
		rk, err := db.RevokeAPIKey(f.as(f.admin), k.ID)
		if err != nil || rk.RevokedAt == nil {
			t.Fatalf("revoke: %+v %v", rk, err)
		}
		if _, err := db.RevokeAPIKey(f.as(f.admin), k.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		wantCode(t, func() error { _, err := db.AuthenticateAPIKey(ctx, secret); return err }(), cms.EUNAUTHORIZED)
		keys, err := db.FindAPIKeys(ctx)
		if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil {
			t.Errorf("keys %+v %v", keys, err)
		}
		events, _, err := db.FindAuditEvents(ctx, cms.AuditFilter{Object: "apikey:" + itoa(k.ID)})
		if err != nil || len(events) != 2 || events[0].Action != "apikey.create" || events[1].Action != "apikey.revoke" {
			t.Errorf("audit %+v %v", events, err)
		}
	})
}
