package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestWechatStore: the access token is cached sealed and dropped only while
// it is the cached one; uploads are remembered per picture and variant; a
// failed send keeps the draft's media_id and both outcomes are audited.
func TestWechatStore(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, dataDir string) {
		db := openStore(t, dsn, dataDir)
		ctx := context.Background()
		now := time.Now()
		if _, err := db.FindWechatToken(ctx, "wxapp", now); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Fatalf("token on a new database: %v", err)
		}
		if err := db.SaveWechatToken(ctx, "wxapp", "TOKEN-1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if tok, err := db.FindWechatToken(ctx, "wxapp", now); err != nil || tok != "TOKEN-1" {
			t.Fatalf("FindWechatToken = %q, %v", tok, err)
		}
		if _, err := db.FindWechatToken(ctx, "wxapp", now.Add(2*time.Hour)); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Fatalf("expired token still found: %v", err)
		}
		var raw string
		if err := rawDB(t, dsn, dataDir).Raw("SELECT token FROM wechat_tokens WHERE app_id = ?", "wxapp").Scan(&raw).Error; err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "TOKEN-1") || !strings.HasPrefix(raw, "sealed:v1:") {
			t.Fatalf("token stored as %q, want sealed", raw)
		}
		// Another replica already stored a fresh token: dropping the old one keeps it.
		if err := db.SaveWechatToken(ctx, "wxapp", "TOKEN-2", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.DropWechatToken(ctx, "wxapp", "TOKEN-1"); err != nil {
			t.Fatal(err)
		}
		if tok, _ := db.FindWechatToken(ctx, "wxapp", now); tok != "TOKEN-2" {
			t.Fatalf("after dropping a stale token: %q, want TOKEN-2", tok)
		}
		if err := db.DropWechatToken(ctx, "wxapp", "TOKEN-2"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindWechatToken(ctx, "wxapp", now); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Fatalf("dropped token still found: %v", err)
		}

		a := &cms.WechatAsset{AppID: "wxapp", Kind: cms.WechatAssetBodyImage, MediaID: 3, Src: "/media/abc/w960.jpg", URL: "http://mmbiz/1"}
		if err := db.SaveWechatAsset(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveWechatAsset(ctx, a); err != nil {
			t.Fatalf("saving the same upload twice: %v", err)
		}
		if got, err := db.FindWechatAsset(ctx, "wxapp", cms.WechatAssetBodyImage, 3, "/media/abc/w960.jpg"); err != nil || got.URL != "http://mmbiz/1" {
			t.Fatalf("FindWechatAsset = %+v, %v", got, err)
		}
		if _, err := db.FindWechatAsset(ctx, "wxapp", cms.WechatAssetThumb, 3, "/media/abc/w960.jpg"); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Fatalf("thumb of a body image found: %v", err)
		}

		if err := db.DropWechatAsset(ctx, "wxapp", cms.WechatAssetBodyImage, 3, "/media/abc/w960.jpg"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindWechatAsset(ctx, "wxapp", cms.WechatAssetBodyImage, 3, "/media/abc/w960.jpg"); cms.ErrorCode(err) != cms.ENOTFOUND {
			t.Fatalf("dropped upload still found: %v", err)
		}

		// need_open_comment of the drafts is a setting.
		set, _ := db.FindSettings(ctx)
		on := true
		if got, err := db.UpdateSettings(ctx, cms.SettingsUpdate{Version: set.Version, WechatOpenComment: &on}); err != nil || !got.WechatOpenComment {
			t.Fatalf("UpdateSettings(wechat_open_comment) = %+v, %v", got, err)
		}
		if got, _ := db.FindSettings(ctx); !got.WechatOpenComment {
			t.Fatalf("wechat_open_comment not kept")
		}

		f := newFixture(t, db)
		st := f.newStory("公众号草稿")
		if d, err := db.FindWechatDraft(ctx, st.ID); err != nil || d.Status != cms.WechatDraftNone {
			t.Fatalf("never sent: %+v, %v", d, err)
		}
		uctx := f.as(f.admin)
		d := &cms.WechatDraft{StoryID: st.ID, AppID: "wxapp", MediaID: "DRAFT-1", SyncedVersion: st.Version}
		if err := db.RecordWechatDraft(uctx, d); err != nil {
			t.Fatal(err)
		}
		if d.Status != cms.WechatDraftCreated || d.SyncedAt == nil || d.SyncedBy == "" {
			t.Fatalf("recorded draft %+v", d)
		}
		if err := db.RecordWechatDraft(uctx, &cms.WechatDraft{StoryID: st.ID, AppID: "wxapp", Status: cms.WechatDraftFailed, Error: "频率超限"}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.FindWechatDraft(ctx, st.ID)
		if got.Status != cms.WechatDraftFailed || got.MediaID != "DRAFT-1" || got.Error != "频率超限" || got.SyncedAt == nil {
			t.Fatalf("after a failure: %+v; want failed, keeping DRAFT-1", got)
		}
		evs, _, err := db.FindAuditEvents(ctx, cms.AuditFilter{Object: "story:" + itoa(st.ID)})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range evs {
			if strings.HasPrefix(e.Action, "wechat.") {
				actions = append(actions, e.Action+":"+e.Detail)
			}
		}
		if len(actions) != 2 || !strings.Contains(actions[0], "DRAFT-1") || !strings.Contains(actions[1], "频率超限") {
			t.Fatalf("audit %v", actions)
		}
	})
}
