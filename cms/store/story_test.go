package store_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

func TestStoryService_Create(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.newStory("已有稿件", func(s *cms.Story) { s.Slug = "taken" })
		f.newStory("银龄互助")

		tests := []struct {
			name     string
			story    cms.Story
			code     string
			field    string
			slug     string // wanted slug; "" to skip
			slugHead string // wanted slug prefix
		}{
			{name: "Pinyin", story: cms.Story{Title: "殡葬一米亲情服务"}, slug: "bin-zang-yi-mi-qin-qing-fu-wu"},
			{name: "DuplicateTitleSuffix", story: cms.Story{Title: "银龄互助"}, slug: "yin-ling-hu-zhu-2"},
			{name: "MixedTitle", story: cms.Story{Title: "2026年七夕颁证"}, slug: "2026-nian-qi-xi-ban-zheng"},
			{name: "NoPinyinFallsBackToID", story: cms.Story{Title: "！！！"}, slugHead: "story-"},
			{name: "GivenSlug", story: cms.Story{Title: "标题", Slug: "my-slug"}, slug: "my-slug"},
			{name: "ErrEmptyTitle", story: cms.Story{Title: "   "}, code: cms.EINVALID, field: "title"},
			{name: "ErrUnknownProject", story: cms.Story{Title: "标题", ProjectID: 999999}, code: cms.EINVALID, field: "project_id"},
			{name: "ErrNoProject", story: cms.Story{Title: "标题", ProjectID: -1}, code: cms.EINVALID, field: "project_id"},
			{name: "ErrUnknownCover", story: cms.Story{Title: "标题", CoverMediaID: ptr(int64(424242))}, code: cms.EINVALID, field: "cover_media_id"},
			{name: "ErrBadSlug", story: cms.Story{Title: "标题", Slug: "Bad Slug"}, code: cms.EINVALID, field: "slug"},
			{name: "ErrLongSlug", story: cms.Story{Title: "标题", Slug: strings.Repeat("a", 101)}, code: cms.EINVALID, field: "slug"},
			{name: "ErrTakenSlug", story: cms.Story{Title: "标题", Slug: "taken"}, code: cms.ECONFLICT, field: "slug"},
			{name: "ErrSummaryTooLong", story: cms.Story{Title: "标题", Summary: strings.Repeat("字", 129)}, code: cms.EINVALID, field: "summary"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := tc.story
				if s.ProjectID == 0 {
					s.ProjectID = f.project.ID
				} else if s.ProjectID < 0 {
					s.ProjectID = 0
				}
				err := db.CreateStory(f.as(f.editor), &s)
				if tc.code != "" {
					wantCode(t, err, tc.code)
					wantField(t, err, tc.field)
					if strings.Contains(cms.ErrorMessage(err), "SQL") || strings.Contains(cms.ErrorMessage(err), "constraint") {
						t.Errorf("message leaks SQL: %q", cms.ErrorMessage(err))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if tc.slug != "" && s.Slug != tc.slug {
					t.Errorf("slug = %q, want %q", s.Slug, tc.slug)
				}
				if tc.slugHead != "" && s.Slug != tc.slugHead+itoa(s.ID) {
					t.Errorf("slug = %q, want %s<id>", s.Slug, tc.slugHead)
				}
				if s.ID == 0 || s.Version != 1 || s.Status != cms.StatusDraft || s.LiveVersion != 0 {
					t.Errorf("created story = id %d v%d %s live %d", s.ID, s.Version, s.Status, s.LiveVersion)
				}
				if s.URL != cms.StoryURL(s.Slug) || s.ShortURL != cms.ShortURL(s.ID) {
					t.Errorf("urls = %q %q", s.URL, s.ShortURL)
				}
				if s.CreatedBy != f.editor.ID {
					t.Errorf("created_by = %d, want %d", s.CreatedBy, f.editor.ID)
				}
				revs, err := db.FindRevisions(context.Background(), s.ID)
				if err != nil || len(revs) != 1 || revs[0].Version != 1 || revs[0].EditorName != f.editor.Name {
					t.Errorf("revisions = %+v, %v", revs, err)
				}
			})
		}

		t.Run("SanitisesBody", func(t *testing.T) {
			s := f.newStory("安全", func(s *cms.Story) {
				s.Body = `<p onclick="x()">正文<script>alert(1)</script><a href="javascript:alert(1)">链接</a></p>`
				s.Tags = []string{" 七夕 ", "七夕", "", "颁证"}
			})
			got, err := db.FindStoryByID(context.Background(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"<script", "onclick", "javascript:"} {
				if strings.Contains(got.Body, bad) {
					t.Errorf("body keeps %q: %s", bad, got.Body)
				}
			}
			if strings.Join(got.Tags, ",") != "七夕,颁证" {
				t.Errorf("tags = %q", got.Tags)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.FindStoryByID(context.Background(), 987654)
			if wantCode(t, err, cms.ENOTFOUND).Message != "稿件不存在" {
				t.Errorf("message = %q", cms.ErrorMessage(err))
			}
		})
	})
}

func TestStoryService_Update(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)

		t.Run("NewRevision", func(t *testing.T) {
			s := f.newStory("初稿")
			got := f.update(f.r1, s.ID, cms.StoryUpdate{Version: 1, Title: ptr("二稿"), Tags: &[]string{"a"}})
			if got.Version != 2 || got.Title != "二稿" || got.Slug != s.Slug || got.Tags[0] != "a" {
				t.Errorf("updated = v%d %q %q %q", got.Version, got.Title, got.Slug, got.Tags)
			}
			revs, _ := db.FindRevisions(context.Background(), s.ID)
			if len(revs) != 2 || revs[0].Version != 2 || revs[0].EditorID != f.r1.ID || revs[1].Title != "初稿" {
				t.Errorf("revisions newest first = %+v", revs)
			}
		})

		t.Run("ErrStale", func(t *testing.T) {
			s := f.newStory("旧版本")
			f.update(f.editor, s.ID, cms.StoryUpdate{Version: 1, Summary: ptr("改过")})
			_, err := db.UpdateStory(f.as(f.editor), s.ID, cms.StoryUpdate{Version: 1, Summary: ptr("覆盖")})
			ce := wantCode(t, err, cms.ECONFLICT)
			cur, ok := ce.Current.(*cms.Story)
			if !ok || cur.Version != 2 || cur.Summary != "改过" {
				t.Errorf("Current = %#v", ce.Current)
			}
		})

		t.Run("ErrStaleConcurrent", func(t *testing.T) {
			s := f.newStory("并发")
			const n = 12
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					_, errs[i] = db.UpdateStory(f.as(f.editor), s.ID, cms.StoryUpdate{Version: 1, Title: ptr("并发" + itoa(int64(i)))})
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch cms.ErrorCode(err) {
				case "":
					ok++
				case cms.ECONFLICT:
					if cur, _ := wantCode(t, err, cms.ECONFLICT).Current.(*cms.Story); cur == nil || cur.Version != 2 {
						t.Errorf("conflict without current version 2: %v", err)
					}
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
			if ok != 1 {
				t.Errorf("%d updates succeeded, want exactly 1", ok)
			}
			revs, _ := db.FindRevisions(context.Background(), s.ID)
			if len(revs) != 2 {
				t.Errorf("%d revisions, want 2", len(revs))
			}
		})

		t.Run("ReviewGoesBackToDraft", func(t *testing.T) {
			for _, st := range []struct {
				name  string
				steps func(id int64)
			}{
				{"in_review", func(id int64) { f.act(f.editor, id, cms.ActionSubmit, "") }},
				{"approved", func(id int64) {
					f.act(f.editor, id, cms.ActionSubmit, "")
					f.act(f.admin, id, cms.ActionApprove, "")
					f.act(f.admin, id, cms.ActionApprove, "")
					f.act(f.admin, id, cms.ActionApprove, "")
				}},
			} {
				s := f.newStory("送审中" + st.name)
				st.steps(s.ID)
				cur, _ := db.FindStoryByID(context.Background(), s.ID)
				if string(cur.Status) != st.name {
					t.Fatalf("status = %s, want %s", cur.Status, st.name)
				}
				got := f.update(f.editor, s.ID, cms.StoryUpdate{Version: cur.Version, Body: ptr("<p>改</p>")})
				if got.Status != cms.StatusDraft || got.ReviewStage != 0 {
					t.Errorf("%s edited: status %s stage %d, want draft", st.name, got.Status, got.ReviewStage)
				}
			}
		})

		t.Run("LiveKeepsPublishedVersion", func(t *testing.T) {
			s := f.newStory("已发布的标题")
			f.publish(s.ID)
			got := f.update(f.editor, s.ID, cms.StoryUpdate{Version: 1, Title: ptr("待审的新标题")})
			if got.Status != cms.StatusDraft || got.LiveVersion != 1 || got.Version != 2 {
				t.Errorf("edited live story: %s live v%d v%d", got.Status, got.LiveVersion, got.Version)
			}
			live, err := db.FindLiveStoryBySlug(context.Background(), s.Slug)
			if err != nil || live.Title != "已发布的标题" || live.Version != 1 {
				t.Fatalf("live = %+v, %v; want old title", live, err)
			}
			f.publish(s.ID)
			live, err = db.FindLiveStoryBySlug(context.Background(), s.Slug)
			if err != nil || live.Title != "待审的新标题" || live.Version != 2 {
				t.Errorf("after republish live = %+v, %v", live, err)
			}
		})

		t.Run("ErrInvalid", func(t *testing.T) {
			s := f.newStory("校验")
			_, err := db.UpdateStory(f.as(f.editor), s.ID, cms.StoryUpdate{Version: 1, Title: ptr("")})
			wantCode(t, err, cms.EINVALID)
			wantField(t, err, "title")
			_, err = db.UpdateStory(f.as(f.editor), s.ID, cms.StoryUpdate{Version: 1, ProjectID: ptr(int64(777777))})
			wantField(t, err, "project_id")
			_, err = db.UpdateStory(f.as(f.editor), 777777, cms.StoryUpdate{Version: 1})
			wantCode(t, err, cms.ENOTFOUND)
		})

		t.Run("SlugChangeKeepsOldSlug", func(t *testing.T) {
			s := f.newStory("改链接", func(s *cms.Story) { s.Slug = "old-link" })
			f.publish(s.ID)
			f.update(f.editor, s.ID, cms.StoryUpdate{Version: 1, Slug: ptr("new-link")})
			f.publish(s.ID)
			live, err := db.FindLiveStoryBySlug(context.Background(), "old-link")
			if err != nil || live.Slug != "new-link" || strings.Join(live.OldSlugs, ",") != "old-link" {
				t.Fatalf("by old slug: %+v, %v", live, err)
			}
			// The old slug stays reserved for the redirect.
			err = db.CreateStory(f.as(f.editor), &cms.Story{Title: "抢链接", Slug: "old-link", ProjectID: f.project.ID})
			wantCode(t, err, cms.ECONFLICT)
			wantField(t, err, "slug")
		})
	})
}

func TestStoryService_Delete(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		draft := f.newStory("草稿")
		if err := db.DeleteStory(f.as(f.editor), draft.ID); err != nil {
			t.Fatal(err)
		}
		_, err := db.FindStoryByID(context.Background(), draft.ID)
		wantCode(t, err, cms.ENOTFOUND)

		live := f.newStory("已发布")
		f.publish(live.ID)
		wantCode(t, db.DeleteStory(f.as(f.admin), live.ID), cms.ECONFLICT)
		f.act(f.admin, live.ID, cms.ActionUnpublish, "")
		if err := db.DeleteStory(f.as(f.admin), live.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeleteStory(f.as(f.admin), live.ID), cms.ENOTFOUND)
	})
}

func TestStoryService_Find(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		other := f.newProject("银龄互助", "yinling", cms.KindVolunteer, "elderly")
		a := f.newStory("甲 100%", func(s *cms.Story) { s.Tags = []string{"七夕"} })
		b := f.newStory("乙", func(s *cms.Story) { s.ProjectID = other.ID })
		f.act(f.editor, b.ID, cms.ActionSubmit, "")
		c := f.newStory("丙_x")

		for _, tc := range []struct {
			name   string
			filter cms.StoryFilter
			want   []int64
		}{
			{"All", cms.StoryFilter{}, []int64{c.ID, b.ID, a.ID}},
			{"Project", cms.StoryFilter{ProjectID: other.ID}, []int64{b.ID}},
			{"Status", cms.StoryFilter{Status: cms.StatusDraft}, []int64{c.ID, a.ID}},
			{"Tag", cms.StoryFilter{Tag: "七夕"}, []int64{a.ID}},
			{"QEscapesPercent", cms.StoryFilter{Q: "100%"}, []int64{a.ID}},
			{"QEscapesUnderscore", cms.StoryFilter{Q: "_x"}, []int64{c.ID}},
			{"CreatedBy", cms.StoryFilter{CreatedBy: f.admin.ID}, nil},
			{"Page2", cms.StoryFilter{Page: cms.Page{Page: 2, PerPage: 2}}, []int64{a.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, total, err := db.FindStories(context.Background(), tc.filter)
				if err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for _, s := range got {
					ids = append(ids, s.ID)
				}
				if !slices.Equal(ids, tc.want) {
					t.Errorf("ids = %v, want %v", ids, tc.want)
				}
				if tc.filter.Page.Page == 0 && total != len(tc.want) {
					t.Errorf("total = %d, want %d", total, len(tc.want))
				}
			})
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
