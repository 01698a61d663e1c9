package cms

import (
	"context"
	"time"
)

// 公众号 drafts (issue 19): a published or approved story is sent to the
// bureau's WeChat Official Account as a draft whose 阅读原文 is the story's
// page. cms/wechat talks to WeChat; the store keeps what must be shared by
// every process: the access token, what was uploaded, and each story's draft.

// Draft states shown on the publish panel.
const (
	WechatDraftNone    = "none"    // 未同步
	WechatDraftCreated = "created" // 草稿已创建
	WechatDraftFailed  = "failed"  // 失败
)

// WechatDraft is the 公众号 draft of one story.
type WechatDraft struct {
	StoryID int64  `json:"story_id"`
	Status  string `json:"status"` // WechatDraftNone, WechatDraftCreated or WechatDraftFailed
	// MediaID is the draft's media_id in WeChat; kept after a failed resend
	// so the next one updates the same draft.
	MediaID string `json:"media_id"`
	// SyncedVersion is the story version the draft holds.
	SyncedVersion int        `json:"synced_version"`
	SyncedAt      *time.Time `json:"synced_at"`
	SyncedBy      string     `json:"synced_by"`
	// Error is the reason the last attempt failed (Chinese), "" otherwise.
	Error    string     `json:"error"`
	FailedAt *time.Time `json:"failed_at"`
	// AppID is the account the draft lives in; another account starts afresh.
	AppID string `json:"-"`
}

// WechatAsset is a picture already uploaded to WeChat: a body image re-hosted
// through uploadimg (URL) or a thumb added as permanent material (MediaID).
type WechatAsset struct {
	AppID         string
	Kind          string // WechatAssetBodyImage or WechatAssetThumb
	MediaID       int64  // the media library item
	Src           string // the variant's URL, which changes when the variant is re-rendered
	URL           string // WeChat-hosted URL
	WechatMediaID string
}

// Kinds of WechatAsset.
const (
	WechatAssetBodyImage = "uploadimg"
	WechatAssetThumb     = "thumb"
)

// WechatStore keeps WeChat state in the database, shared by every process
// and replica.
type WechatStore interface {
	// FindWechatToken returns the cached access token of appID, or
	// ENOTFOUND when there is none that lasts beyond now.
	FindWechatToken(ctx context.Context, appID string, now time.Time) (token string, err error)
	// SaveWechatToken caches token until expires.
	SaveWechatToken(ctx context.Context, appID, token string, expires time.Time) error
	// DropWechatToken forgets token if it is still the cached one (WeChat
	// refused it).
	DropWechatToken(ctx context.Context, appID, token string) error
	// FindWechatAsset returns ENOTFOUND when the picture was not uploaded.
	FindWechatAsset(ctx context.Context, appID, kind string, mediaID int64, src string) (*WechatAsset, error)
	// SaveWechatAsset records an upload.
	SaveWechatAsset(ctx context.Context, a *WechatAsset) error
	// DropWechatAsset forgets an upload WeChat no longer has (40007).
	DropWechatAsset(ctx context.Context, appID, kind string, mediaID int64, src string) error
	// FindWechatDraft returns the draft state of a story; Status
	// WechatDraftNone when it was never sent.
	FindWechatDraft(ctx context.Context, storyID int64) (*WechatDraft, error)
	// RecordWechatDraft stores the outcome of a send and appends the audit
	// event (wechat.draft or wechat.draft_failed) attributed to the user in ctx.
	RecordWechatDraft(ctx context.Context, d *WechatDraft) error
}

// WechatArticle is a story converted to what the 公众号 editor accepts.
type WechatArticle struct {
	Title            string `json:"title"`
	Author           string `json:"author"`
	Digest           string `json:"digest"`
	Content          string `json:"content"`            // HTML with inline styles
	ContentSourceURL string `json:"content_source_url"` // 阅读原文
	// Problems are the limits the article breaks (field → Chinese message);
	// a send is refused while there are any.
	Problems map[string]string `json:"problems"`
}

// WechatDrafts sends stories to the 公众号 as drafts.
type WechatDrafts interface {
	// WechatDraftState returns the draft state of a story; ENOTFOUND.
	WechatDraftState(ctx context.Context, storyID int64) (*WechatDraft, error)
	// PreviewWechatDraft converts the story without calling WeChat; images
	// keep their site URLs.
	PreviewWechatDraft(ctx context.Context, storyID int64) (*WechatArticle, error)
	// SendWechatDraft creates or updates the story's draft. EFORBIDDEN
	// unless the user may publish; ECONFLICT for a story that is neither
	// published nor approved, or when WeChat is not configured; EINVALID
	// naming the field for an article over WeChat's limits (checked before
	// any call); ERATELIMIT or EUNAVAILABLE with WeChat's reason in Chinese.
	SendWechatDraft(ctx context.Context, storyID int64) (*WechatDraft, error)
}
