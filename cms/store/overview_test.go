package store_test

import (
	"context"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestOverview: the city site (Overview on) picks published stories of two
// district sites as highlights; they link to the districts' own pages, keep
// the editors' order, and drop out when their district unpublishes them.
// A district's site has no highlights, and cannot reach the city's.
func TestOverview(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db) // site 1, the first district, with users and a project
		sys := context.Background()
		city := &cms.Site{Slug: "city", Name: "无锡市民政局", Overview: true}
		jy := &cms.Site{Slug: "jiangyin", Name: "江阴市民政局", Hosts: []string{"jy.example.gov.cn"}}
		for _, s := range []*cms.Site{city, jy} {
			if err := db.CreateSite(sys, s); err != nil {
				t.Fatal(err)
			}
		}
		inCity := cms.NewContextWithSite(sys, city.ID)
		inJY := cms.NewContextWithSite(sys, jy.ID)

		set, _ := db.FindSettings(f.as(f.admin))
		if _, err := db.UpdateSettings(f.as(f.admin), cms.SettingsUpdate{Version: set.Version,
			BaseURL: ptr("https://mz.example.gov.cn/"), Organizer: ptr("某区民政局")}); err != nil {
			t.Fatal(err)
		}
		s1 := f.newStory("颁证仪式暖人心")
		f.publish(s1.ID)
		draft := f.newStory("草稿不能入选")

		jyAdmin := &cms.User{Username: "jyadmin", Name: "江阴管理员", Role: cms.RoleAdmin}
		if err := db.CreateUser(inJY, jyAdmin, "password-jyadmin"); err != nil {
			t.Fatal(err)
		}
		cu, _ := db.FindUserByID(inJY, jyAdmin.ID)
		asJY := cms.NewContextWithUser(inJY, cu)
		p2 := &cms.Project{Name: "银龄互助", Slug: "yinling", Kind: cms.KindVolunteer, Area: "elderly"}
		if err := db.CreateProject(asJY, p2); err != nil {
			t.Fatal(err)
		}
		s2 := &cms.Story{Title: "江阴银龄结对", Summary: "结对帮扶", Body: "<p>江阴</p>", ProjectID: p2.ID}
		if err := db.CreateStory(asJY, s2); err != nil {
			t.Fatal(err)
		}
		for _, a := range []cms.Action{cms.ActionSubmit, cms.ActionApprove, cms.ActionPublish} {
			if _, err := db.ApplyAction(asJY, s2.ID, cms.ActionRequest{Action: a}); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		}

		// A site without overview: no highlights, a clear refusal.
		if o, err := db.FindOverview(inJY); o != nil || err != nil {
			t.Errorf("FindOverview on a district = %+v, %v; want nil, nil", o, err)
		}
		if _, err := db.FindHighlights(inJY); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Errorf("FindHighlights on a district: %v, want conflict", err)
		}
		if _, err := db.AddHighlight(inJY, cms.DefaultSiteID, s1.ID); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Errorf("AddHighlight on a district: %v, want conflict", err)
		}
		if _, _, err := db.FindHighlightCandidates(inJY, cms.HighlightFilter{}); cms.ErrorCode(err) != cms.ECONFLICT {
			t.Errorf("candidates on a district: %v, want conflict", err)
		}

		// Candidates: the districts' published stories, searchable.
		cands, n, err := db.FindHighlightCandidates(inCity, cms.HighlightFilter{})
		if err != nil || n != 2 || len(cands) != 2 {
			t.Fatalf("candidates = %d %+v, %v; want the two published stories", n, cands, err)
		}
		if cands, n, _ := db.FindHighlightCandidates(inCity, cms.HighlightFilter{Q: "银龄"}); n != 1 || cands[0].ID != s2.ID || cands[0].SiteName != "江阴市民政局" {
			t.Errorf("search 银龄 = %d %+v", n, cands)
		}
		if _, n, _ := db.FindHighlightCandidates(inCity, cms.HighlightFilter{Q: "100%"}); n != 0 {
			t.Errorf("search with a LIKE wildcard found %d", n)
		}
		if _, n, _ := db.FindHighlightCandidates(inCity, cms.HighlightFilter{SiteID: jy.ID}); n != 1 {
			t.Errorf("candidates of one site = %d, want 1", n)
		}

		h2, err := db.AddHighlight(inCity, jy.ID, s2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h2.Story == nil || h2.Story.URL != "//jy.example.gov.cn/stories/"+s2.Slug+"/" || h2.Story.Project != "银龄互助" {
			t.Errorf("highlight of a site with a host only: %+v", h2.Story)
		}
		h1, err := db.AddHighlight(inCity, cms.DefaultSiteID, s1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h1.Story == nil || h1.Story.URL != "https://mz.example.gov.cn/stories/"+s1.Slug+"/" {
			t.Errorf("highlight of a site with a base URL: %+v", h1.Story)
		}
		_, err = db.AddHighlight(inCity, jy.ID, s2.ID)
		wantField(t, err, "story_id") // twice
		_, err = db.AddHighlight(inCity, cms.DefaultSiteID, draft.ID)
		wantField(t, err, "story_id") // not published
		_, err = db.AddHighlight(inCity, cms.DefaultSiteID, s2.ID)
		wantField(t, err, "story_id") // not of that site
		_, err = db.AddHighlight(inCity, city.ID, s1.ID)
		wantField(t, err, "site_id") // the city's own

		hs, err := db.ReorderHighlights(inCity, []int64{h1.ID, h2.ID})
		if err != nil || len(hs) != 2 || hs[0].ID != h1.ID || hs[1].ID != h2.ID {
			t.Fatalf("reorder = %+v, %v", hs, err)
		}
		_, err = db.ReorderHighlights(inCity, []int64{h1.ID})
		wantField(t, err, "ids")
		_, err = db.ReorderHighlights(inCity, []int64{h1.ID, h1.ID})
		wantField(t, err, "ids")

		o, err := db.FindOverview(inCity)
		if err != nil || o == nil {
			t.Fatalf("FindOverview: %v", err)
		}
		if len(o.Sites) != 2 || o.Sites[0].ID != cms.DefaultSiteID || o.Sites[0].URL != "https://mz.example.gov.cn/" ||
			o.Sites[0].Organizer != "某区民政局" || o.Sites[1].URL != "//jy.example.gov.cn/" {
			t.Errorf("overview sites = %+v %+v", o.Sites[0], o.Sites[len(o.Sites)-1])
		}
		if len(o.Highlights) != 2 || o.Highlights[0].ID != s1.ID || o.Highlights[1].ID != s2.ID {
			t.Errorf("overview highlights = %+v", o.Highlights)
		}

		if ids, err := db.FindHighlightingSites(inJY, s2.ID); err != nil || len(ids) != 1 || ids[0] != city.ID {
			t.Errorf("sites highlighting 江阴's story = %v, %v; want the city", ids, err)
		}
		if ids, _ := db.FindHighlightingSites(inJY, s1.ID); len(ids) != 0 {
			t.Errorf("sites highlighting a story id of another site = %v", ids)
		}

		// The district cannot see or remove the city's highlight.
		if err := db.RemoveHighlight(inJY, h2.ID); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Errorf("RemoveHighlight from a district: %v, want not found", err)
		}

		// Site 1 withdraws its story: it leaves the overview, the highlight stays listed without it.
		f.act(f.admin, s1.ID, cms.ActionUnpublish, "撤稿")
		o, _ = db.FindOverview(inCity)
		if len(o.Highlights) != 1 || o.Highlights[0].ID != s2.ID {
			t.Errorf("overview after unpublish = %+v", o.Highlights)
		}
		hs, _ = db.FindHighlights(inCity)
		if len(hs) != 2 || hs[0].Story != nil || hs[1].Story == nil {
			t.Errorf("highlights after unpublish = %+v", hs)
		}
		if err := db.RemoveHighlight(inCity, h1.ID); err != nil {
			t.Fatal(err)
		}
		if hs, _ := db.FindHighlights(inCity); len(hs) != 1 || hs[0].ID != h2.ID {
			t.Errorf("after remove = %+v", hs)
		}
		if err := db.RemoveHighlight(inCity, h1.ID); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Errorf("remove twice: %v", err)
		}
	})
}
