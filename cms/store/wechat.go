package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/huimin/huimin/cms"
)

// The 公众号 state (issue 19) lives in the database so that every process
// and replica shares one access token — WeChat's stable_token hands the same
// token to every caller while it lasts, and the cache keeps them from asking
// at all — and so that a picture uploaded once is never uploaded again.
// The token is a credential: it is sealed like the app secret.

var _ cms.WechatStore = (*DB)(nil)

type wechatTokenRow struct {
	AppID     string `gorm:"primaryKey"`
	Token     string
	ExpiresAt time.Time
	UpdatedAt time.Time
}

func (wechatTokenRow) TableName() string { return "wechat_tokens" }

type wechatAssetRow struct {
	ID            int64
	AppID         string
	Kind          string
	MediaID       int64
	Src           string
	URL           string `gorm:"column:url"`
	WechatMediaID string
	CreatedAt     time.Time
}

func (wechatAssetRow) TableName() string { return "wechat_assets" }

type wechatDraftRow struct {
	SiteID        int64 // the site the row belongs to (sitescope.go)
	StoryID       int64 `gorm:"primaryKey;autoIncrement:false"`
	AppID         string
	Status        string
	MediaID       string
	SyncedVersion int
	SyncedAt      *time.Time
	SyncedByID    int64
	SyncedByName  string
	Error         string
	FailedAt      *time.Time
	UpdatedAt     time.Time
}

func (wechatDraftRow) TableName() string { return "wechat_drafts" }

func placeOfWechatToken(appID string) place {
	return place{"wechat_tokens.token:" + appID, "微信接口调用凭据（wechat_tokens." + appID + "）"}
}

// FindWechatToken returns the cached token of appID that lasts beyond now.
// A token sealed with a key this process lacks counts as absent: a new one
// is cheap, and it is sealed with the current key.
func (db *DB) FindWechatToken(ctx context.Context, appID string, now time.Time) (token string, err error) {
	defer cms.Wrap(&err, "FindWechatToken")
	var row wechatTokenRow
	err = db.read(ctx).Where("app_id = ? AND expires_at > ?", appID, now.UTC()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", cms.Errorf(cms.ENOTFOUND, "没有缓存的微信接口凭据")
	}
	if err != nil {
		return "", err
	}
	token, err = db.keys.open(placeOfWechatToken(appID), row.Token)
	if err != nil || token == "" {
		return "", cms.Errorf(cms.ENOTFOUND, "没有可用的微信接口凭据")
	}
	return token, nil
}

// SaveWechatToken caches token for appID until expires.
func (db *DB) SaveWechatToken(ctx context.Context, appID, token string, expires time.Time) (err error) {
	defer cms.Wrap(&err, "SaveWechatToken")
	row := wechatTokenRow{AppID: appID, Token: db.keys.seal(placeOfWechatToken(appID), token),
		ExpiresAt: expires.UTC(), UpdatedAt: db.now()}
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error
	})
}

// DropWechatToken forgets token if it is still the cached one, so a
// replica that already stored a fresh token keeps it.
func (db *DB) DropWechatToken(ctx context.Context, appID, token string) (err error) {
	defer cms.Wrap(&err, "DropWechatToken")
	return db.tx(ctx, func(tx *gorm.DB) error {
		var row wechatTokenRow
		err := tx.Take(&row, "app_id = ?", appID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur, err := db.keys.open(placeOfWechatToken(appID), row.Token); err == nil && cur != token {
			return nil
		}
		return tx.Where("app_id = ? AND token = ?", appID, row.Token).Delete(&wechatTokenRow{}).Error
	})
}

// FindWechatAsset returns ENOTFOUND when the picture was not uploaded.
func (db *DB) FindWechatAsset(ctx context.Context, appID, kind string, mediaID int64, src string) (a *cms.WechatAsset, err error) {
	defer cms.Wrap(&err, "FindWechatAsset")
	var row wechatAssetRow
	err = db.read(ctx).Where("app_id = ? AND kind = ? AND media_id = ? AND src = ?", appID, kind, mediaID, src).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, cms.Errorf(cms.ENOTFOUND, "图片尚未上传到微信")
	}
	if err != nil {
		return nil, err
	}
	return &cms.WechatAsset{AppID: row.AppID, Kind: row.Kind, MediaID: row.MediaID, Src: row.Src,
		URL: row.URL, WechatMediaID: row.WechatMediaID}, nil
}

// SaveWechatAsset records an upload; a second record of the same picture
// (two sends at once) replaces the first.
func (db *DB) SaveWechatAsset(ctx context.Context, a *cms.WechatAsset) (err error) {
	defer cms.Wrap(&err, "SaveWechatAsset")
	row := wechatAssetRow{AppID: a.AppID, Kind: a.Kind, MediaID: a.MediaID, Src: a.Src, URL: a.URL,
		WechatMediaID: a.WechatMediaID, CreatedAt: db.now()}
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "app_id"}, {Name: "kind"}, {Name: "media_id"}, {Name: "src"}},
			DoUpdates: clause.AssignmentColumns([]string{"url", "wechat_media_id", "created_at"}),
		}).Create(&row).Error
	})
}

// DropWechatAsset forgets an upload WeChat no longer has.
func (db *DB) DropWechatAsset(ctx context.Context, appID, kind string, mediaID int64, src string) (err error) {
	defer cms.Wrap(&err, "DropWechatAsset")
	return db.tx(ctx, func(tx *gorm.DB) error {
		return tx.Where("app_id = ? AND kind = ? AND media_id = ? AND src = ?", appID, kind, mediaID, src).Delete(&wechatAssetRow{}).Error
	})
}

// FindWechatDraft returns the draft state of a story (WechatDraftNone when
// it was never sent).
func (db *DB) FindWechatDraft(ctx context.Context, storyID int64) (d *cms.WechatDraft, err error) {
	defer cms.Wrap(&err, "FindWechatDraft(%d)", storyID)
	var row wechatDraftRow
	err = db.read(ctx).Take(&row, "story_id = ?", storyID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &cms.WechatDraft{StoryID: storyID, Status: cms.WechatDraftNone}, nil
	}
	if err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

func (r *wechatDraftRow) toCMS() *cms.WechatDraft {
	return &cms.WechatDraft{StoryID: r.StoryID, Status: r.Status, MediaID: r.MediaID, SyncedVersion: r.SyncedVersion,
		SyncedAt: r.SyncedAt, SyncedBy: r.SyncedByName, Error: r.Error, FailedAt: r.FailedAt, AppID: r.AppID}
}

// RecordWechatDraft stores d and appends its audit event in one transaction.
// A failure keeps the last good draft's media_id, time and author, so the
// panel can say both what exists in WeChat and why the last attempt failed.
func (db *DB) RecordWechatDraft(ctx context.Context, d *cms.WechatDraft) (err error) {
	defer cms.Wrap(&err, "RecordWechatDraft(%d)", d.StoryID)
	a := actorOf(ctx)
	now := db.now()
	return db.tx(ctx, func(tx *gorm.DB) error {
		var row wechatDraftRow
		err := tx.Take(&row, "story_id = ?", d.StoryID).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		row.StoryID, row.AppID, row.UpdatedAt = d.StoryID, d.AppID, now
		ev := event{object: fmt.Sprintf("story:%d", d.StoryID)}
		if d.Status == cms.WechatDraftFailed {
			row.Status, row.Error, row.FailedAt = cms.WechatDraftFailed, d.Error, &now
			if d.MediaID != "" {
				row.MediaID = d.MediaID
			}
			ev.action, ev.detail = "wechat.draft_failed", d.Error
		} else {
			row.Status, row.MediaID, row.SyncedVersion = cms.WechatDraftCreated, d.MediaID, d.SyncedVersion
			row.SyncedAt, row.SyncedByID, row.SyncedByName = &now, a.id, a.name
			row.Error, row.FailedAt = "", nil
			ev.action = "wechat.draft"
			ev.detail = fmt.Sprintf("公众号草稿 %s（第%d版）", d.MediaID, d.SyncedVersion)
		}
		ev.after = row
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		*d = *row.toCMS()
		return db.audit(tx, a, ev)
	})
}
