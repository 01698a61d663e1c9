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

// TestContentService_OnlyLive puts a story in every state and checks that
// the content API sees exactly the live versions.
func TestContentService_OnlyLive(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tagged := func(tags ...string) func(*cms.Story) { return func(s *cms.Story) { s.Tags = tags } }

		f.newStory("草稿", tagged("秘密"))
		inReview := f.newStory("审核中", tagged("秘密"))
		f.act(f.editor, inReview.ID, cms.ActionSubmit, "")
		approved := f.newStory("已通过", tagged("秘密"))
		f.act(f.editor, approved.ID, cms.ActionSubmit, "")
		for range 3 {
			f.act(f.admin, approved.ID, cms.ActionApprove, "")
		}
		scheduled := f.newStory("待发布", tagged("秘密"), func(s *cms.Story) { s.PublishAt = ptr(time.Now().Add(24 * time.Hour)) })
		f.publish(scheduled.ID)
		unpublished := f.newStory("已撤下", tagged("秘密"))
		f.publish(unpublished.ID)
		f.act(f.r3, unpublished.ID, cms.ActionUnpublish, "")

		published := f.newStory("已发布", tagged("七夕", "颁证"))
		f.publish(published.ID)
		pending := f.newStory("线上标题", tagged("颁证"))
		f.publish(pending.ID)
		f.update(f.editor, pending.ID, cms.StoryUpdate{Version: 1, Title: ptr("未审的修改"), Tags: &[]string{"秘密"}})
		f.act(f.editor, pending.ID, cms.ActionSubmit, "")

		got, total, err := db.FindLiveStories(ctx, cms.ContentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, s := range got {
			titles = append(titles, s.Title)
		}
		slices.Sort(titles)
		if total != 2 || !slices.Equal(titles, []string{"已发布", "线上标题"}) {
			t.Fatalf("live = %q (total %d), want the two published versions", titles, total)
		}
		for _, id := range []int64{inReview.ID, approved.ID, scheduled.ID, unpublished.ID} {
			s, _ := db.FindStoryByID(ctx, id)
			if _, err := db.FindLiveStoryBySlug(ctx, s.Slug); cms.ErrorCode(err) != cms.ENOTFOUND {
				t.Errorf("%s (%s) readable by slug: %v", s.Title, s.Status, err)
			}
		}
		var each []string
		if err := db.EachLiveStory(ctx, func(s *cms.LiveStory) error { each = append(each, s.Title); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(each)
		if !slices.Equal(each, titles) {
			t.Errorf("EachLiveStory = %q, want %q", each, titles)
		}
		tags, err := db.FindTags(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(tags) != 2 || tags[0].Name != "颁证" || tags[0].Count != 2 || tags[1].Name != "七夕" || tags[1].Count != 1 {
			t.Errorf("tags = %+v, want 颁证×2, 七夕×1 (never 秘密)", tags)
		}
	})
}

func TestContentService_FindLiveStories(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		elderly := f.newProject("银龄互助", "yinling", cms.KindVolunteer, "elderly")
		cover := &cms.Media{Hash: "c0ffee", Filename: "a.jpg", Format: "jpeg", Width: 1200, Height: 800,
			Variants: []cms.MediaVariant{{Name: "w800", Width: 800, Height: 533, URL: "/media/c0ffee/w800.webp"}}}
		cover, _, err := db.CreateMedia(f.as(f.editor), cover)
		if err != nil {
			t.Fatal(err)
		}
		day := func(d int) *time.Time { return ptr(time.Date(2026, 5, d, 8, 0, 0, 0, time.UTC)) }
		mk := func(title string, pid int64, d int, tags ...string) *cms.Story {
			s := f.newStory(title, func(s *cms.Story) {
				s.ProjectID, s.PublishedAt, s.Tags, s.CoverMediaID = pid, day(d), tags, &cover.ID
			})
			f.publish(s.ID)
			return s
		}
		a := mk("颁证仪式 100%", f.project.ID, 1, "七夕")
		b := mk("敬老院探访", elderly.ID, 2, "重阳")
		c := mk("集体婚礼", f.project.ID, 3, "七夕", "颁证")
		d := mk("助餐点开张", elderly.ID, 3)

		for _, tc := range []struct {
			name   string
			filter cms.ContentFilter
			want   []int64
		}{
			{"NewestFirst", cms.ContentFilter{}, []int64{d.ID, c.ID, b.ID, a.ID}},
			{"Project", cms.ContentFilter{Project: "yinling"}, []int64{d.ID, b.ID}},
			{"UnknownProject", cms.ContentFilter{Project: "nope"}, nil},
			{"Kind", cms.ContentFilter{Kind: cms.KindWindow}, []int64{c.ID, a.ID}},
			{"Area", cms.ContentFilter{Area: "elderly"}, []int64{d.ID, b.ID}},
			{"Tag", cms.ContentFilter{Tag: "七夕"}, []int64{c.ID, a.ID}},
			{"Q", cms.ContentFilter{Q: "100%"}, []int64{a.ID}},
			{"QSummary", cms.ContentFilter{Q: "摘要：敬老"}, []int64{b.ID}},
			{"Since", cms.ContentFilter{Since: day(2)}, []int64{d.ID, c.ID, b.ID}},
			{"Until", cms.ContentFilter{Until: day(2)}, []int64{a.ID}},
			{"Page", cms.ContentFilter{Page: cms.Page{Page: 2, PerPage: 3}}, []int64{a.ID}},
			{"PastEnd", cms.ContentFilter{Page: cms.Page{Page: 9, PerPage: 3}}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, total, err := db.FindLiveStories(ctx, tc.filter)
				if err != nil {
					t.Fatal(err)
				}
				ids := liveIDs(got)
				if !slices.Equal(ids, tc.want) {
					t.Errorf("ids = %v, want %v", ids, tc.want)
				}
				if tc.filter.Page.Page == 0 && total != len(tc.want) {
					t.Errorf("total = %d, want %d", total, len(tc.want))
				}
			})
		}

		t.Run("Shape", func(t *testing.T) {
			s, err := db.FindLiveStoryBySlug(ctx, b.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if s.Project.Slug != "yinling" || s.Project.URL != "/projects/yinling/" || s.Project.Kind != cms.KindVolunteer {
				t.Errorf("project = %+v", s.Project)
			}
			if s.Cover == nil || s.Cover.ID != cover.ID || len(s.Cover.Variants) != 1 || s.Cover.Variants[0].Name != "w800" {
				t.Errorf("cover = %+v", s.Cover)
			}
			if !s.PublishedAt.Equal(*day(2)) || s.URL != cms.StoryURL(b.Slug) || s.ShortURL != cms.ShortURL(b.ID) {
				t.Errorf("published %v url %q short %q", s.PublishedAt, s.URL, s.ShortURL)
			}
			if s.Body != "<p>敬老院探访</p>" || s.Tags[0] != "重阳" {
				t.Errorf("body %q tags %q", s.Body, s.Tags)
			}
			// The cover of a live story cannot be deleted from under it.
			wantCode(t, db.DeleteMedia(f.as(f.admin), cover.ID), cms.ECONFLICT)
		})
	})
}

func TestContentService_EachLiveStory_Batches(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		items := make([]*cms.ImportStory, 1203)
		for i := range items {
			items[i] = &cms.ImportStory{Title: "批量稿件", Project: "pi-liang", Status: "published", Body: "<p>x</p>"}
		}
		errs, err := db.ImportStories(context.Background(), items)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range errs {
			if e != nil {
				t.Fatalf("item %d: %v", i, e)
			}
		}
		var last int64
		n := 0
		err = db.EachLiveStory(context.Background(), func(s *cms.LiveStory) error {
			if s.ID <= last {
				t.Fatalf("ids out of order: %d after %d", s.ID, last)
			}
			last = s.ID
			n++
			return nil
		})
		if err != nil || n != len(items) {
			t.Fatalf("EachLiveStory saw %d of %d: %v", n, len(items), err)
		}
	})
}
