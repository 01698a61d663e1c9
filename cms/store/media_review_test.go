package store_test

import (
	"strings"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestMediaService_Update_PublisherDecides covers issue 12 item 4: the alt
// text, caption, credit and focal point of a picture that a live or
// approved story shows reach the public page without review, so only
// whoever may publish changes them; pictures no such story shows stay
// open to editors.
func TestMediaService_Update_PublisherDecides(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		mk := func(hash string) *cms.Media {
			t.Helper()
			m, _, err := db.CreateMedia(f.as(f.editor), &cms.Media{Hash: hash, Filename: hash + ".jpg", Format: "jpeg",
				Width: 1200, Height: 800, Alt: "图" + hash,
				Variants: []cms.MediaVariant{{Name: "w800", Width: 800, Height: 533, URL: "/media/" + hash + "/w800.jpg"}}})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		img := func(m *cms.Media) string {
			return `<p>正文</p><img src="/media/` + m.Hash + `/w800.jpg" alt="` + m.Alt + `" data-media-id="` + itoa(m.ID) + `">`
		}
		liveCover, liveBody, approvedCover, approvedBody, draftOnly, unused :=
			mk("a1"), mk("a2"), mk("a3"), mk("a4"), mk("a5"), mk("a6")

		live := f.newStory("颁证仪式", func(s *cms.Story) { s.CoverMediaID = &liveCover.ID; s.Body = img(liveBody) })
		live = f.publish(live.ID)
		approved := f.newStory("敬老院探访", func(s *cms.Story) { s.CoverMediaID = &approvedCover.ID; s.Body = img(approvedBody) })
		f.act(f.editor, approved.ID, cms.ActionSubmit, "")
		f.act(f.r1, approved.ID, cms.ActionApprove, "")
		f.act(f.r2, approved.ID, cms.ActionApprove, "")
		f.act(f.r3, approved.ID, cms.ActionApprove, "")
		f.newStory("草稿", func(s *cms.Story) { s.Body = img(draftOnly) })
		// The live story's draft drops the picture; the public page still shows it.
		f.update(f.editor, live.ID, cms.StoryUpdate{Version: live.Version, Body: ptr("<p>新正文</p>")})

		edit := func(u *cms.User, m *cms.Media, upd cms.MediaUpdate) (*cms.Media, error) {
			t.Helper()
			cur, err := db.FindMediaByID(f.as(u), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			upd.Version = cur.Version
			return db.UpdateMedia(f.as(u), m.ID, upd)
		}
		for _, tc := range []struct {
			name  string
			m     *cms.Media
			title string
		}{
			{"LiveCover", liveCover, "颁证仪式"}, {"LiveBody", liveBody, "颁证仪式"},
			{"ApprovedCover", approvedCover, "敬老院探访"}, {"ApprovedBody", approvedBody, "敬老院探访"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for field, upd := range map[string]cms.MediaUpdate{
					"alt": {Alt: ptr("改过的替代文字")}, "caption": {Caption: ptr("改过的说明")},
					"credit": {Credit: ptr("改过的署名")}, "focus": {FocusX: ptr(0.2)},
				} {
					_, err := edit(f.editor, tc.m, upd)
					ce := wantCode(t, err, cms.EFORBIDDEN)
					if !strings.Contains(ce.Message, tc.title) || !strings.Contains(ce.Message, "终审") {
						t.Errorf("%s: message %q should name the story 《%s》 and who may (终审)", field, ce.Message, tc.title)
					}
				}
				_, err := edit(f.r2, tc.m, cms.MediaUpdate{Alt: ptr("复审改的")})
				wantCode(t, err, cms.EFORBIDDEN)
				// Sending the values it already has changes nothing and passes.
				if _, err := edit(f.editor, tc.m, cms.MediaUpdate{Alt: ptr(tc.m.Alt)}); err != nil {
					t.Errorf("unchanged alt: %v", err)
				}
				for _, u := range []*cms.User{f.r3, f.admin} {
					got, err := edit(u, tc.m, cms.MediaUpdate{Alt: ptr(u.Name + "改的替代文字")})
					if err != nil || got.Alt != u.Name+"改的替代文字" {
						t.Errorf("%s: %+v, %v", u.Username, got, err)
					}
				}
			})
		}

		// Pictures no live or approved story shows stay the editor's to describe.
		for _, m := range []*cms.Media{draftOnly, unused} {
			if got, err := edit(f.editor, m, cms.MediaUpdate{Alt: ptr("新替代文字"), Credit: ptr("摄影：小王"), FocusY: ptr(0.3)}); err != nil || got.Credit != "摄影：小王" {
				t.Errorf("media %d: %+v, %v", m.ID, got, err)
			}
		}
		// Once the live story is taken down its pictures are free again.
		f.act(f.r3, live.ID, cms.ActionUnpublish, "")
		if _, err := edit(f.editor, liveBody, cms.MediaUpdate{Caption: ptr("撤下后的说明")}); err != nil {
			t.Errorf("after unpublish: %v", err)
		}
	})
}

// TestMediaService_Delete_LiveBody: a picture a live story's body shows
// cannot be deleted (its files would go, and with them the picture on the
// public page), as a live cover already could not.
func TestMediaService_Delete_LiveBody(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		m, _, err := db.CreateMedia(f.as(f.editor), &cms.Media{Hash: "b1", Filename: "b1.jpg", Format: "jpeg", Width: 800, Height: 600})
		if err != nil {
			t.Fatal(err)
		}
		s := f.newStory("集体婚礼", func(s *cms.Story) {
			s.Body = `<p>正文</p><img src="/media/b1/w800.jpg" alt="婚礼" data-media-id="` + itoa(m.ID) + `">`
		})
		f.publish(s.ID)
		ce := wantCode(t, db.DeleteMedia(f.as(f.admin), m.ID), cms.ECONFLICT)
		if !strings.Contains(ce.Message, "已发布") {
			t.Errorf("message %q should say a published story uses it", ce.Message)
		}
		f.act(f.r3, s.ID, cms.ActionUnpublish, "")
		if err := db.DeleteMedia(f.as(f.admin), m.ID); err != nil {
			t.Errorf("after unpublish: %v", err)
		}
	})
}
