package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestSites: two sites in one database keep to themselves. The same slug
// lives in both; a story, a user, the settings and the audit trail of one
// are invisible to the other; a user has a different role in each.
func TestSites(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sys := context.Background()
		jy := &cms.Site{Slug: "jiangyin", Name: "江阴市民政局", Hosts: []string{"JY.example.gov.cn:8080", "jy.example.gov.cn"}}
		if err := db.CreateSite(f.as(f.editor), jy); cms.ErrorCode(err) != cms.EFORBIDDEN {
			t.Fatalf("CreateSite by a site editor: %v, want forbidden", err)
		}
		if err := db.CreateSite(sys, jy); err != nil {
			t.Fatal(err)
		}
		if len(jy.Hosts) != 1 || jy.Hosts[0] != "jy.example.gov.cn" || jy.ID == cms.DefaultSiteID {
			t.Errorf("created site = %+v", jy)
		}
		err := db.CreateSite(sys, &cms.Site{Slug: "other", Name: "另一个", Hosts: []string{"jy.example.gov.cn"}})
		wantField(t, err, "hosts")
		wantField(t, db.CreateSite(sys, &cms.Site{Slug: "jiangyin", Name: "重复"}), "slug")
		wantField(t, db.CreateSite(sys, &cms.Site{Slug: "Bad Slug", Name: "x"}), "slug")

		in2 := cms.NewContextWithSite(sys, jy.ID)
		admin2 := &cms.User{Username: "jyadmin", Name: "江阴管理员", Role: cms.RoleAdmin}
		if err := db.CreateUser(in2, admin2, "password-jyadmin"); err != nil {
			t.Fatal(err)
		}
		as2 := func(u *cms.User) context.Context {
			cu, err := db.FindUserByID(in2, u.ID)
			if err != nil {
				t.Fatalf("FindUserByID(%d) in site 2: %v", u.ID, err)
			}
			return cms.NewContextWithUser(in2, cu)
		}
		if _, err := db.UpdateSettings(as2(admin2), cms.SettingsUpdate{Version: 1, ReviewStages: ptr(1), SiteName: ptr("江阴民政")}); err != nil {
			t.Fatal(err)
		}
		s1, _ := db.FindSettings(sys)
		s2, _ := db.FindSettings(in2)
		if got, _ := db.FindSiteByID(sys, jy.ID); got.Name != "江阴民政" {
			t.Errorf("site name after the settings changed it = %q", got.Name)
		}
		if s1.SiteName != "惠民" || s1.ReviewStages != 3 || s2.SiteName != "江阴民政" || s2.ReviewStages != 1 {
			t.Errorf("settings: site 1 %q/%d, site 2 %q/%d", s1.SiteName, s1.ReviewStages, s2.SiteName, s2.ReviewStages)
		}

		// The same project slug and story title in both sites.
		p2 := &cms.Project{Name: "婚姻登记颁证", Slug: f.project.Slug, Kind: cms.KindWindow, Area: "marriage"}
		if err := db.CreateProject(as2(admin2), p2); err != nil {
			t.Fatalf("same project slug in site 2: %v", err)
		}
		story1 := f.newStory("颁证仪式暖人心")
		f.publish(story1.ID)
		story2 := &cms.Story{Title: "颁证仪式暖人心", Summary: "江阴", Body: "<p>江阴颁证 独有词汇甲乙丙</p>", ProjectID: p2.ID}
		if err := db.CreateStory(as2(admin2), story2); err != nil {
			t.Fatal(err)
		}
		if story2.Slug != story1.Slug {
			t.Errorf("slug in site 2 = %q, want the same as site 1's %q", story2.Slug, story1.Slug)
		}
		for _, a := range []cms.Action{cms.ActionSubmit, cms.ActionApprove, cms.ActionPublish} {
			if _, err := db.ApplyAction(as2(admin2), story2.ID, cms.ActionRequest{Action: a}); err != nil {
				t.Fatalf("%s in site 2: %v", a, err)
			}
		}
		// A story of site 2 in a site 1 project is refused.
		err = db.CreateStory(as2(admin2), &cms.Story{Title: "越界", Summary: "x", Body: "<p>x</p>", ProjectID: f.project.ID})
		if err == nil {
			t.Error("site 2 story in a site 1 project was accepted")
		}

		// Site 1 sees nothing of site 2, and the other way round.
		if _, err := db.FindStoryByID(f.as(f.admin), story2.ID); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Errorf("site 1 FindStoryByID(site 2 story) = %v", err)
		}
		if _, err := db.UpdateStory(f.as(f.admin), story2.ID, cms.StoryUpdate{Version: 1, Title: ptr("改")}); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Errorf("site 1 UpdateStory(site 2 story) = %v", err)
		}
		if err := db.DeleteStory(f.as(f.admin), story2.ID); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Errorf("site 1 DeleteStory(site 2 story) = %v", err)
		}
		if _, err := db.FindStoryByID(as2(admin2), story1.ID); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Errorf("site 2 FindStoryByID(site 1 story) = %v", err)
		}
		for site, ctx := range map[int64]context.Context{cms.DefaultSiteID: sys, jy.ID: in2} {
			live, total, err := db.FindLiveStories(ctx, cms.ContentFilter{})
			if err != nil || total != 1 || len(live) != 1 {
				t.Fatalf("site %d: %d live stories (%v)", site, total, err)
			}
			want := story1.ID
			if site == jy.ID {
				want = story2.ID
			}
			if live[0].ID != want {
				t.Errorf("site %d lists story %d, want %d", site, live[0].ID, want)
			}
			bySlug, err := db.FindLiveStoryBySlug(ctx, story1.Slug)
			if err != nil || bySlug.ID != want {
				t.Errorf("site %d by slug: %+v %v", site, bySlug, err)
			}
			hits, n, err := db.FindLiveStories(ctx, cms.ContentFilter{Q: "甲乙丙"})
			if wantHits := map[bool]int{true: 1, false: 0}[site == jy.ID]; err != nil || n != wantHits {
				t.Errorf("site %d search: %d hits %v (%v)", site, n, hits, err)
			}
		}

		// Users: site 2's admin sees site 2's users only; a user's role differs by site.
		users, err := db.FindUsers(as2(admin2))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.ID == f.editor.ID {
				t.Errorf("site 2 lists site 1's editor")
			}
		}
		if _, err := db.FindUserByID(as2(admin2), f.editor.ID); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Errorf("site 2 FindUserByID(site 1 editor) = %v", err)
		}
		multi := &cms.User{Username: "multi", Role: cms.RoleEditor, PlatformAdmin: false,
			Sites: []cms.SiteRole{{SiteID: cms.DefaultSiteID, Role: cms.RoleEditor}, {SiteID: jy.ID, Role: cms.RoleReviewer, Level: 2}}}
		if err := db.CreateUser(sys, multi, "password-multi"); err != nil {
			t.Fatal(err)
		}
		if u, _ := db.FindUserByID(sys, multi.ID); u.Role != cms.RoleEditor || len(u.Sites) != 2 {
			t.Errorf("multi in site 1 = %+v", u)
		}
		if u, _ := db.FindUserByID(in2, multi.ID); u.Role != cms.RoleReviewer || u.Level != 2 {
			t.Errorf("multi in site 2 = %+v", u)
		}
		only2 := &cms.User{Username: "only2", Sites: []cms.SiteRole{{SiteID: jy.ID, Role: cms.RoleEditor}}}
		if err := db.CreateUser(sys, only2, "password-only2"); err != nil || only2.Role != "" || len(only2.Sites) != 1 {
			t.Errorf("a user with a role in site 2 only, made in site 1: %+v %v", only2, err)
		}
		only2.Sites = []cms.SiteRole{}
		if err := db.UpdateUser(sys, only2, ""); err != nil || len(only2.Sites) != 0 {
			t.Errorf("taking every role away: %+v %v", only2, err)
		}
		tok, u, err := db.Login(in2, "multi", "password-multi", 0)
		if err != nil || u.Role != cms.RoleReviewer {
			t.Fatalf("login in site 2: %+v %v", u, err)
		}
		if u, err := db.Authenticate(sys, tok); err != nil || u.Role != cms.RoleEditor {
			t.Errorf("authenticate in site 1: %+v %v", u, err)
		}
		if u, err := db.Authenticate(in2, tok); err != nil || u.Role != cms.RoleReviewer || u.Level != 2 {
			t.Errorf("authenticate in site 2: %+v %v", u, err)
		}
		if u, err := db.Authenticate(in2, mustLogin(t, db, "editor")); err != nil || u.Role != "" {
			t.Errorf("site 1 editor in site 2: %+v %v, want no role", u, err)
		}

		// The audit trail is per site.
		ev, _, err := db.FindAuditEvents(in2, cms.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ev {
			if e.Object == "settings" && e.ActorID != admin2.ID {
				t.Errorf("site 2 trail shows %+v", e)
			}
			if e.Object == object("story", story1.ID) {
				t.Errorf("site 2 trail shows site 1's story: %+v", e)
			}
		}
		// The dictionary: the platform's terms in every site, additions in their own.
		platform, _ := db.FindTerms(sys)
		if len(platform) == 0 || !platform[0].Platform {
			t.Fatalf("site 1 dictionary = %d terms (first %+v), want the platform's", len(platform), platform)
		}
		add := &cms.DictionaryTerm{Term: "江阴专用词", Kind: cms.TermForbidden, Severity: cms.SeverityWarning}
		if err := db.CreateTerm(as2(admin2), add); err != nil || add.Platform {
			t.Fatalf("site 2 addition: %+v %v", add, err)
		}
		in1, _ := db.FindTerms(sys)
		in2t, _ := db.FindTerms(in2)
		if len(in1) != len(platform) || len(in2t) != len(platform)+1 {
			t.Errorf("dictionary sizes: site 1 %d, site 2 %d, platform %d", len(in1), len(in2t), len(platform))
		}
		if _, err := db.UpdateTerm(as2(admin2), platform[0].ID, cms.DictionaryUpdate{Version: platform[0].Version, Note: ptr("改")}); cms.ErrorCode(err) != cms.EFORBIDDEN {
			t.Errorf("site admin changing a platform term: %v", err)
		}
		if err := db.DeleteTerm(f.as(f.admin), add.ID); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Errorf("site 1 deleting site 2's term: %v", err)
		}
		if err := db.CreateTerm(as2(admin2), &cms.DictionaryTerm{Term: platform[0].Term, Kind: cms.TermForbidden, Severity: cms.SeverityWarning}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Errorf("site addition repeating a platform term: %v", err)
		}
		if up, err := db.UpdateTerm(sys, platform[0].ID, cms.DictionaryUpdate{Version: platform[0].Version, Note: ptr("平台改")}); err != nil || !up.Platform {
			t.Errorf("platform admin changing a platform term: %+v %v", up, err)
		}

		sites, err := db.FindSites(sys)
		if err != nil || len(sites) != 2 || sites[0].ID != cms.DefaultSiteID || sites[1].Slug != "jiangyin" {
			t.Errorf("FindSites = %+v, %v", sites, err)
		}
		jy, _ = db.FindSiteByID(sys, jy.ID)
		jy.Name = "江阴市民政局（新）"
		stale := *jy
		if err := db.UpdateSite(sys, jy); err != nil || jy.Version != 2 {
			t.Errorf("UpdateSite = %+v, %v", jy, err)
		}
		wantCode(t, db.UpdateSite(sys, &stale), cms.ECONFLICT)
		if s2, _ := db.FindSettings(in2); s2.SiteName != jy.Name {
			t.Errorf("settings name after the site was renamed = %q", s2.SiteName)
		}
	})
}

func object(kind string, id int64) string { return fmt.Sprintf("%s:%d", kind, id) }

func mustLogin(t *testing.T, db *store.DB, username string) string {
	t.Helper()
	tok, _, err := db.Login(context.Background(), username, "password-"+username, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
