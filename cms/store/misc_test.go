package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

func TestSettingsService(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		s, err := db.FindSettings(ctx)
		if err != nil || s.SiteName != "惠民" || s.ReviewStages != 3 || s.WechatSecretSet {
			t.Fatalf("defaults = %+v, %v", s, err)
		}
		got, err := db.UpdateSettings(f.as(f.admin), cms.SettingsUpdate{Version: s.Version,
			SiteName: ptr("某区民政局"), WechatSecret: ptr("wx-secret-123"), BaseURL: ptr("https://mz.example.gov.cn/")})
		if err != nil {
			t.Fatal(err)
		}
		if got.WechatSecret != "wx-secret-123" || !got.WechatSecretSet || got.BaseURL != "https://mz.example.gov.cn" {
			t.Errorf("updated = %+v", got)
		}
		b, _ := json.Marshal(got)
		if strings.Contains(string(b), "wx-secret-123") {
			t.Errorf("secret in JSON: %s", b)
		}
		_, err = db.UpdateSettings(f.as(f.admin), cms.SettingsUpdate{Version: s.Version, SiteName: ptr("旧")})
		if cur, _ := wantCode(t, err, cms.ECONFLICT).Current.(*cms.Settings); cur == nil || cur.SiteName != "某区民政局" {
			t.Errorf("conflict current = %#v", cur)
		}
		_, err = db.UpdateSettings(f.as(f.admin), cms.SettingsUpdate{Version: got.Version, ReviewStages: ptr(5)})
		wantField(t, err, "review_stages")
		ev, _, _ := db.FindAuditEvents(ctx, cms.AuditFilter{Action: "settings.update"})
		if len(ev) != 1 || strings.Contains(ev[0].Detail, "wx-secret") || !strings.Contains(ev[0].Detail, "微信公众号密钥") {
			t.Errorf("settings audit = %+v", ev)
		}
	})
}

func TestMediaService(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as(f.editor)
		m := &cms.Media{Hash: strings.Repeat("ab", 32), Filename: "合影.jpg", Format: "jpeg", Width: 4000, Height: 3000,
			Variants: []cms.MediaVariant{{Name: "w400", Width: 400, Height: 300, URL: "/media/x/w400.webp"}}}
		stored, created, err := db.CreateMedia(ctx, m)
		if err != nil || !created || stored.ID == 0 || stored.Version != 1 {
			t.Fatalf("CreateMedia = %+v %v %v", stored, created, err)
		}
		again, created, err := db.CreateMedia(ctx, &cms.Media{Hash: m.Hash, Filename: "copy.jpg"})
		if err != nil || created || again.ID != stored.ID || again.Filename != "合影.jpg" {
			t.Fatalf("duplicate = %+v %v %v", again, created, err)
		}
		upd, err := db.UpdateMedia(ctx, stored.ID, cms.MediaUpdate{Version: 1, Alt: ptr("新人合影"), FocusX: ptr(0.3)})
		if err != nil || upd.Alt != "新人合影" || upd.FocusX != 0.3 || upd.Version != 2 {
			t.Fatalf("UpdateMedia = %+v, %v", upd, err)
		}
		_, err = db.UpdateMedia(ctx, stored.ID, cms.MediaUpdate{Version: 1, Alt: ptr("x")})
		wantCode(t, err, cms.ECONFLICT)
		_, err = db.UpdateMedia(ctx, stored.ID, cms.MediaUpdate{Version: 2, FocusY: ptr(1.5)})
		wantField(t, err, "focus_y")
		if err := db.ReplaceVariants(ctx, stored.ID, []cms.MediaVariant{{Name: "w800", URL: "/m/w800"}}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.FindMediaByID(context.Background(), stored.ID)
		if len(got.Variants) != 1 || got.Variants[0].Name != "w800" || got.Variant("w800") == nil {
			t.Errorf("variants = %+v", got.Variants)
		}
		list, total, err := db.FindMedia(context.Background(), cms.Page{})
		if err != nil || total != 1 || len(list) != 1 {
			t.Errorf("FindMedia = %d %d %v", len(list), total, err)
		}

		// In use as the cover of a working copy, then of a live revision only.
		s := f.newStory("有封面", func(s *cms.Story) { s.CoverMediaID = &stored.ID })
		wantCode(t, db.DeleteMedia(ctx, stored.ID), cms.ECONFLICT)
		f.publish(s.ID)
		f.update(f.editor, s.ID, cms.StoryUpdate{Version: 1, CoverMediaID: ptr(int64(0))})
		wantCode(t, db.DeleteMedia(ctx, stored.ID), cms.ECONFLICT)
		f.act(f.admin, s.ID, cms.ActionUnpublish, "")
		if err := db.DeleteMedia(ctx, stored.ID); err != nil {
			t.Fatalf("DeleteMedia unused: %v", err)
		}
		wantCode(t, db.DeleteMedia(ctx, stored.ID), cms.ENOTFOUND)
	})
}

func TestProjectService(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as(f.admin)
		brand := &cms.Brand{Name: "民政为民", Slogan: "用心服务"}
		if err := db.CreateBrand(ctx, brand); err != nil {
			t.Fatal(err)
		}
		brand.Slogan = "暖心服务"
		if err := db.UpdateBrand(ctx, brand); err != nil || brand.Slogan != "暖心服务" {
			t.Fatalf("UpdateBrand = %+v, %v", brand, err)
		}
		wantCode(t, db.UpdateBrand(ctx, &cms.Brand{ID: 999, Name: "x"}), cms.ENOTFOUND)
		// A second admin's edit based on the first version is refused, with
		// the current brand to compare against.
		stale := &cms.Brand{ID: brand.ID, Name: "民政为民", Slogan: "另一位管理员的口号", Version: 1}
		err := db.UpdateBrand(ctx, stale)
		var ce *cms.Error
		if !errors.As(err, &ce) || ce.Code != cms.ECONFLICT || ce.Current.(*cms.Brand).Slogan != "暖心服务" || brand.Version != 2 {
			t.Fatalf("stale UpdateBrand = %v (brand now v%d), want a conflict carrying 暖心服务", err, brand.Version)
		}

		p := &cms.Project{Name: "银龄互助", Kind: cms.KindVolunteer, Area: "elderly", BrandID: &brand.ID}
		if err := db.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.Slug != "yin-ling-hu-zhu" || p.URL != "/projects/yin-ling-hu-zhu/" || p.Version != 1 {
			t.Errorf("created = %+v", p)
		}
		for _, tc := range []struct {
			name  string
			p     cms.Project
			code  string
			field string
		}{
			{"ErrKind", cms.Project{Name: "x", Kind: "shop", Area: "elderly"}, cms.EINVALID, "kind"},
			{"ErrArea", cms.Project{Name: "x", Kind: cms.KindWindow, Area: "mars"}, cms.EINVALID, "area"},
			{"ErrSlugTaken", cms.Project{Name: "x", Slug: "banzheng", Kind: cms.KindWindow, Area: "elderly"}, cms.ECONFLICT, "slug"},
			{"ErrParent", cms.Project{Name: "x", Kind: cms.KindWindow, Area: "elderly", ParentID: ptr(int64(999))}, cms.EINVALID, "parent_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := db.CreateProject(ctx, &tc.p)
				wantCode(t, err, tc.code)
				wantField(t, err, tc.field)
			})
		}
		sub := &cms.Project{Name: "银龄互助·东街", Kind: cms.KindVolunteer, Area: "elderly", ParentID: &p.ID}
		if err := db.CreateProject(ctx, sub); err != nil {
			t.Fatal(err)
		}
		_, err = db.UpdateProject(ctx, p.ID, cms.ProjectUpdate{Version: 1, ParentID: &sub.ID})
		wantField(t, err, "parent_id")
		up, err := db.UpdateProject(ctx, p.ID, cms.ProjectUpdate{Version: 1, Summary: ptr("互助养老"), Position: ptr(-1)})
		if err != nil || up.Version != 2 || up.Summary != "互助养老" {
			t.Fatalf("UpdateProject = %+v, %v", up, err)
		}
		_, err = db.UpdateProject(ctx, p.ID, cms.ProjectUpdate{Version: 1, Summary: ptr("旧")})
		wantCode(t, err, cms.ECONFLICT)
		list, total, err := db.FindProjects(context.Background(), cms.ProjectFilter{})
		if err != nil || total != 3 || list[0].ID != p.ID {
			t.Errorf("FindProjects = %d first %+v, %v", total, list[0], err)
		}
		roots, total, _ := db.FindProjects(context.Background(), cms.ProjectFilter{ParentID: ptr(int64(0))})
		if total != 2 || len(roots) != 2 {
			t.Errorf("top-level projects = %d", total)
		}
		wantCode(t, db.DeleteProject(ctx, p.ID), cms.ECONFLICT) // has a sub-project
		f.newStory("有稿件", func(s *cms.Story) { s.ProjectID = sub.ID })
		wantCode(t, db.DeleteProject(ctx, sub.ID), cms.ECONFLICT) // has a story
		got, err := db.FindProjectBySlug(context.Background(), "yin-ling-hu-zhu")
		if err != nil || got.ID != p.ID {
			t.Errorf("FindProjectBySlug = %+v, %v", got, err)
		}
		_, err = db.FindProjectByID(context.Background(), 999)
		wantCode(t, err, cms.ENOTFOUND)
	})
}

func TestPageService(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as(f.admin)
		p := &cms.StandingPage{Slug: "about", Title: "关于我们", Body: "<p>简介</p><script>x</script>"}
		if err := db.SavePage(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.Version != 1 || strings.Contains(p.Body, "script") || p.URL != "/about/" {
			t.Errorf("saved = %+v", p)
		}
		wantField(t, db.SavePage(ctx, &cms.StandingPage{Slug: "about", Title: "重复"}), "slug")
		p.Title = "关于本局"
		if err := db.SavePage(ctx, p); err != nil || p.Version != 2 {
			t.Fatalf("update = %+v, %v", p, err)
		}
		stale := *p
		stale.Version = 1
		wantCode(t, db.SavePage(ctx, &stale), cms.ECONFLICT)
		pages, _ := db.FindPages(context.Background())
		if len(pages) != 1 || pages[0].Title != "关于本局" {
			t.Errorf("pages = %+v", pages)
		}
		if err := db.DeletePage(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeletePage(ctx, p.ID), cms.ENOTFOUND)
	})
}

func TestBuildService(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := &cms.Build{Reason: "publish story 1"}
		if err := db.CreateBuild(ctx, b); err != nil || b.ID == 0 || b.Status != cms.BuildQueued {
			t.Fatalf("CreateBuild = %+v, %v", b, err)
		}
		start := time.Now()
		b.Status, b.StartedAt = cms.BuildRunning, &start
		if err := db.UpdateBuild(ctx, b); err != nil {
			t.Fatal(err)
		}
		end := start.Add(1500 * time.Millisecond)
		b.Status, b.FinishedAt, b.Error, b.ErrorFile, b.ErrorLine, b.DurationMS = cms.BuildFailed, &end, "template: bad", "layouts/single.html", 12, 1500
		if err := db.UpdateBuild(ctx, b); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindBuildByID(ctx, b.ID)
		if err != nil || got.Status != cms.BuildFailed || got.ErrorLine != 12 || got.FinishedAt == nil || !got.Done() {
			t.Fatalf("FindBuildByID = %+v, %v", got, err)
		}
		if err := db.CreateBuild(ctx, &cms.Build{Reason: "second", Full: true}); err != nil {
			t.Fatal(err)
		}
		list, total, err := db.FindBuilds(ctx, cms.Page{})
		if err != nil || total != 2 || list[0].Reason != "second" || !list[0].Full {
			t.Errorf("FindBuilds = %+v %d %v", list, total, err)
		}
		wantCode(t, db.UpdateBuild(ctx, &cms.Build{ID: 999}), cms.ENOTFOUND)
		ev, _, _ := db.FindAuditEvents(ctx, cms.AuditFilter{Object: "build:1"})
		if len(ev) != 3 {
			t.Errorf("build audit events = %d, want 3", len(ev))
		}
	})
}
