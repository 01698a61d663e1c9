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

// TestContentService_Search is the shared search test: the same stories and
// queries must give the same results on SQLite (FTS5) and MySQL (FULLTEXT).
func TestContentService_Search(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		live := func(title, body string, mods ...func(*cms.Story)) *cms.Story {
			s := f.newStory(title, append([]func(*cms.Story){func(s *cms.Story) { s.Body = body; s.Summary = "" }}, mods...)...)
			f.publish(s.ID)
			return s
		}
		elderly := live("重阳节走访辖区老人", "<p>社区<strong>养</strong>老服务中心为老人送去慰问品。</p>")
		marriage := live("七夕集体颁证仪式", "<p>婚姻登记处为二十对新人颁发结婚证。</p>")
		volunteer := live("青年服务队成立", "<p>青年参与社区活动。</p>", func(s *cms.Story) { s.Tags = []string{"志愿服务"} })
		wechat := live("WeChat 小程序上线", "<p>市民可在线预约婚姻登记。</p>")
		// Near misses: 养 and 老 apart, or split by a paragraph.
		apart := live("老人学养花", "<p>花卉课程。</p>")
		split := live("培训", "<p>培养</p><p>老年志</p><p>愿者</p>")

		// Never found, whatever they say.
		f.newStory("草稿里的养老婚姻志愿", func(s *cms.Story) { s.Body = "<p>养老 婚姻 志愿</p>" })
		gone := live("撤下的婚姻登记稿件", "<p>婚姻</p>")
		f.act(f.r3, gone.ID, cms.ActionUnpublish, "")
		pending := live("敬老院探访", "<p>探访活动。</p>")
		f.update(f.editor, pending.ID, cms.StoryUpdate{Version: 1, Body: ptr("<p>未审的修改：志愿者养老婚姻</p>")})
		f.act(f.editor, pending.ID, cms.ActionSubmit, "")

		// Imported stories are indexed in the import transaction.
		items := []*cms.ImportStory{
			{Title: "银龄志愿者结对帮扶", Project: "yinling", Status: "published", Body: "<p>低龄老人帮高龄老人。</p>"},
			{Title: "导入的草稿：志愿", Project: "yinling", Status: "draft", Body: "<p>志愿</p>"},
		}
		if errs, err := db.ImportStories(f.as(f.admin), items); err != nil || errs[0] != nil || errs[1] != nil {
			t.Fatalf("import: %v %v", err, errs)
		}
		imported := liveBySlugTitle(t, db, "银龄志愿者结对帮扶")

		for _, tc := range []struct {
			q    string
			want []int64
		}{
			{"养老", []int64{elderly.ID}},
			{"婚姻", []int64{wechat.ID, marriage.ID}},
			{"志愿", []int64{imported, volunteer.ID}},
			{"养老服务", []int64{elderly.ID}},
			{"婚", []int64{wechat.ID, marriage.ID}}, // a single character is searched as itself
			{"wechat", []int64{wechat.ID}},
			{"ＷｅＣｈａｔ 婚姻", []int64{wechat.ID}}, // full width folds; every term must match
			{"颁证 婚姻", []int64{marriage.ID}},
			{"养花", []int64{apart.ID}},
			{"敬老院", []int64{pending.ID}}, // the live version, not the pending edit
			{"！？", nil},
			{"殡葬", nil},
		} {
			t.Run(tc.q, func(t *testing.T) {
				got, total, err := db.FindLiveStories(ctx, cms.ContentFilter{Q: tc.q})
				if err != nil {
					t.Fatal(err)
				}
				ids := liveIDs(got)
				if !slices.Equal(ids, tc.want) || total != len(tc.want) {
					t.Errorf("q=%q: ids %v (total %d), want %v", tc.q, ids, total, tc.want)
				}
			})
		}
		_ = split // found by none of the queries above

		// Republishing re-indexes: the approved edit becomes searchable.
		f.update(f.editor, elderly.ID, cms.StoryUpdate{Version: 1, Body: ptr("<p>殡葬一米亲情服务</p>")})
		f.publish(elderly.ID)
		for q, want := range map[string][]int64{"殡葬": {elderly.ID}, "养老": nil} {
			got, _, err := db.FindLiveStories(ctx, cms.ContentFilter{Q: q})
			if err != nil {
				t.Fatal(err)
			}
			ids := liveIDs(got)
			if !slices.Equal(ids, want) {
				t.Errorf("after republish, q=%q: %v, want %v", q, ids, want)
			}
		}

		// Rebuilding the index from the live stories (the migration's
		// catch-up) gives the same answers.
		if err := store.ReindexSearch(db); err != nil {
			t.Fatal(err)
		}
		if got, _, err := db.FindLiveStories(ctx, cms.ContentFilter{Q: "志愿"}); err != nil || len(got) != 2 {
			t.Errorf("after reindexing, 志愿 finds %d stories (%v), want 2", len(got), err)
		}

		// Search combines with the other filters.
		got, _, err := db.FindLiveStories(ctx, cms.ContentFilter{Q: "婚姻", Tag: "没有这个标签"})
		if err != nil || len(got) != 0 {
			t.Errorf("q with tag: %v %v", got, err)
		}
	})
}

func liveBySlugTitle(t *testing.T, db *store.DB, title string) int64 {
	t.Helper()
	var id int64
	err := db.EachLiveStory(context.Background(), func(s *cms.LiveStory) error {
		if s.Title == title {
			id = s.ID
		}
		return nil
	})
	if err != nil || id == 0 {
		t.Fatalf("live story %q not found: %v", title, err)
	}
	return id
}

// TestContentService_Cursor pages through stories that share publication
// times by cursor and by page number and expects the same order.
func TestContentService_Cursor(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		items := make([]*cms.ImportStory, 23)
		for i := range items {
			at := ptr(fixedDay(i % 5)) // ties: several stories per instant
			tags := []string{"全部"}
			if i%2 == 0 {
				tags = append(tags, "双数")
			}
			items[i] = &cms.ImportStory{Title: "游标测试", Project: "p", Status: "published", PublishedAt: at, Tags: tags, Body: "<p>x</p>"}
		}
		if _, err := db.ImportStories(ctx, items); err != nil {
			t.Fatal(err)
		}
		for _, base := range []cms.ContentFilter{{}, {Tag: "双数"}} {
			all, total, err := db.FindLiveStories(ctx, cms.ContentFilter{Tag: base.Tag, Page: cms.Page{PerPage: 100}})
			if err != nil {
				t.Fatal(err)
			}
			var byPage, byCursor []int64
			for p := 1; ; p++ {
				f := base
				f.Page = cms.Page{Page: p, PerPage: 4}
				got, n, err := db.FindLiveStories(ctx, f)
				if err != nil || n != total {
					t.Fatalf("page %d: total %d (want %d) %v", p, n, total, err)
				}
				if len(got) == 0 {
					break
				}
				byPage = append(byPage, liveIDs(got)...)
			}
			var after *cms.ContentCursor
			for {
				f := base
				f.Page, f.After = cms.Page{PerPage: 4}, after
				got, n, err := db.FindLiveStories(ctx, f)
				if err != nil || n != total {
					t.Fatalf("cursor: total %d (want %d) %v", n, total, err)
				}
				if len(got) == 0 {
					break
				}
				byCursor = append(byCursor, liveIDs(got)...)
				last := got[len(got)-1]
				after = &cms.ContentCursor{PublishedAt: last.PublishedAt, ID: last.ID}
			}
			want := liveIDs(all)
			if len(want) != total || !slices.Equal(byPage, want) || !slices.Equal(byCursor, want) {
				t.Errorf("tag %q: by page %v, by cursor %v, want %v", base.Tag, byPage, byCursor, want)
			}
			for i := 1; i < len(all); i++ {
				a, b := all[i-1], all[i]
				if a.PublishedAt.Before(b.PublishedAt) || (a.PublishedAt.Equal(b.PublishedAt) && a.ID < b.ID) {
					t.Errorf("order broken at %d: %v/%d before %v/%d", i, a.PublishedAt, a.ID, b.PublishedAt, b.ID)
				}
			}
		}
	})
}

// TestContentService_Images: stories list the images their bodies show,
// with variants, besides the cover.
func TestContentService_Images(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mk := func(hash string) *cms.Media {
			m, _, err := db.CreateMedia(f.as(f.editor), &cms.Media{Hash: hash, Filename: hash + ".jpg", Format: "jpeg",
				Width: 4000, Height: 3000, Alt: "图" + hash,
				Variants: []cms.MediaVariant{{Name: "w800", Width: 800, Height: 600, URL: "/media/" + hash + "/w800.jpg?v=1"}}})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		a, b := mk("aa"), mk("bb")
		body := `<p>正文</p><figure><img src="/media/bb/w800.jpg" alt="乙" data-media-id="` + itoa(b.ID) + `"></figure>` +
			`<img src="/media/aa/w800.jpg" alt="甲" data-media-id="` + itoa(a.ID) + `"><img data-media-id="` + itoa(b.ID) + `" src="/x.jpg" alt="重复">`
		s := f.newStory("有图的稿件", func(s *cms.Story) { s.Body = body; s.CoverMediaID = &a.ID })
		f.publish(s.ID)
		ls, err := db.FindLiveStoryBySlug(context.Background(), s.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if ls.Cover == nil || ls.Cover.ID != a.ID {
			t.Errorf("cover %+v", ls.Cover)
		}
		if len(ls.Images) != 2 || ls.Images[0].ID != b.ID || ls.Images[1].ID != a.ID || ls.Images[0].Variants[0].Width != 800 {
			t.Errorf("images %+v, want bb then aa with variants", ls.Images)
		}
	})
}

// fixedDay is a publication time d days into a fixed May.
func fixedDay(d int) time.Time { return time.Date(2026, 5, 1+d, 8, 0, 0, 0, time.UTC) }
