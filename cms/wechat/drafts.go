package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/huimin/huimin/cms"
)

// Files opens media variants by key ("<hash>/<name>.jpg"); the media
// pipeline (cms.MediaIngester) is one.
type Files interface {
	OpenMediaFile(ctx context.Context, key string) (io.ReadCloser, error)
}

// Config wires Drafts to the rest of Huimin.
type Config struct {
	BaseURL  string // WeChat's API; DefaultBaseURL when empty
	HTTP     *http.Client
	Store    cms.WechatStore
	Stories  cms.StoryService
	Media    cms.MediaService
	Files    Files
	Settings cms.SettingsService
	Log      *slog.Logger
	// Backoff is the first wait after a 45011 rate limit (default 2s).
	Backoff time.Duration
}

// Drafts implements cms.WechatDrafts.
type Drafts struct {
	cfg Config
	// mu serialises sends in this process, so a double click makes one
	// draft; a second replica's concurrent send at worst makes two.
	mu sync.Mutex
}

var _ cms.WechatDrafts = (*Drafts)(nil)

// New returns the 公众号 draft service.
func New(cfg Config) *Drafts {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Drafts{cfg: cfg}
}

// WechatDraftState returns the story's draft state.
func (d *Drafts) WechatDraftState(ctx context.Context, storyID int64) (*cms.WechatDraft, error) {
	if _, err := d.cfg.Stories.FindStoryByID(ctx, storyID); err != nil {
		return nil, err
	}
	return d.cfg.Store.FindWechatDraft(ctx, storyID)
}

// PreviewWechatDraft converts the story with its pictures at their site
// URLs, calling nothing.
func (d *Drafts) PreviewWechatDraft(ctx context.Context, storyID int64) (*cms.WechatArticle, error) {
	st, err := d.cfg.Stories.FindStoryByID(ctx, storyID)
	if err != nil {
		return nil, err
	}
	settings, err := d.cfg.Settings.FindSettings(ctx)
	if err != nil {
		return nil, err
	}
	return d.article(ctx, st, settings, d.localImage(ctx))
}

// article converts st with resolve deciding picture URLs, and lists the
// limits it breaks.
func (d *Drafts) article(ctx context.Context, st *cms.Story, settings *cms.Settings, resolve func(Image) (string, error)) (*cms.WechatArticle, error) {
	content, err := Convert(st.Body, settings.BaseURL, resolve)
	if err != nil {
		return nil, err
	}
	a := &cms.WechatArticle{Title: strings.TrimSpace(st.Title), Author: strings.TrimSpace(st.Author),
		Digest: strings.TrimSpace(st.Summary), Content: content}
	a.Problems = Check(a.Title, a.Author, a.Digest, a.Content)
	if a.Problems == nil {
		a.Problems = map[string]string{}
	}
	// The 阅读原文 marker lets the reach statistics count these readers
	// under 微信/阅读原文 (cms.ArticleSourceURL).
	if settings.BaseURL == "" {
		a.ContentSourceURL = cms.ArticleSourceURL(st.URL)
		a.Problems["base_url"] = "尚未设置网站地址：阅读原文需要稿件页面的完整地址，请管理员在“设置”中填写网站地址"
	} else {
		a.ContentSourceURL = cms.ArticleSourceURL(strings.TrimRight(settings.BaseURL, "/") + st.URL)
	}
	if st.CoverMediaID == nil {
		a.Problems["cover_media_id"] = "公众号文章需要封面：请先为稿件设置封面图片（将使用其 2.35:1 裁切）"
	}
	return a, nil
}

// localImage resolves pictures to their site URLs (previews).
func (d *Drafts) localImage(ctx context.Context) func(Image) (string, error) {
	return func(img Image) (string, error) {
		if _, v := d.bodyVariant(ctx, img); v != nil {
			return v.URL, nil
		}
		return img.Src, nil
	}
}

// bodyVariants are tried in order for a body picture; uploadimg takes
// files under 1 MB, which a 960-pixel JPEG nearly always is.
var bodyVariants = []string{"w960", "w480"}

// bodyVariant finds the media item of a body picture and the variant to
// send; nil when the picture is not in the media library.
func (d *Drafts) bodyVariant(ctx context.Context, img Image) (*cms.Media, *cms.MediaVariant) {
	var m *cms.Media
	var err error
	if img.MediaID > 0 {
		m, err = d.cfg.Media.FindMediaByID(ctx, img.MediaID)
	} else if hash := mediaHash(img.Src); hash != "" {
		m, err = d.cfg.Media.FindMediaByHash(ctx, hash)
	} else {
		return nil, nil
	}
	if err != nil {
		return nil, nil
	}
	for _, name := range bodyVariants {
		if v := m.Variant(name); v != nil {
			return m, v
		}
	}
	return nil, nil
}

// mediaHash is the hash in a media library URL "/media/<hash>/<file>".
func mediaHash(src string) string {
	rest, ok := strings.CutPrefix(src, "/media/")
	if !ok {
		return ""
	}
	hash, _, ok := strings.Cut(rest, "/")
	if !ok || len(hash) != 64 {
		return ""
	}
	return hash
}

// variantKey is the storage key of a variant URL "/media/<hash>/<name>.jpg?v=N".
func variantKey(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return strings.TrimPrefix(u, "/media/")
}

func (d *Drafts) readVariant(ctx context.Context, v *cms.MediaVariant) ([]byte, error) {
	rc, err := d.cfg.Files.OpenMediaFile(ctx, variantKey(v.URL))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 16<<20))
}

// SendWechatDraft converts the story, uploads what WeChat does not have
// yet, and creates or updates the story's draft. Every outcome after the
// checks of who and what is recorded: the draft, or why it failed.
func (d *Drafts) SendWechatDraft(ctx context.Context, storyID int64) (*cms.WechatDraft, error) {
	settings, err := d.cfg.Settings.FindSettings(ctx)
	if err != nil {
		return nil, err
	}
	if !cms.CanPublish(cms.UserFromContext(ctx), settings.ReviewStages) {
		return nil, cms.Errorf(cms.EFORBIDDEN, "只有可以发布稿件的人（管理员或终审）才能同步到公众号")
	}
	st, err := d.cfg.Stories.FindStoryByID(ctx, storyID)
	if err != nil {
		return nil, err
	}
	switch st.Status {
	case cms.StatusPublished, cms.StatusApproved, cms.StatusScheduled:
	default:
		return nil, cms.Errorf(cms.ECONFLICT, "只有已发布或已通过审核的稿件可以同步到公众号（当前状态：%s）", st.Status.Label())
	}
	if settings.WechatAppID == "" || settings.WechatSecret == "" {
		return nil, cms.Errorf(cms.ECONFLICT, "尚未设置公众号的 AppID 和 AppSecret：请管理员在“设置”中填写后再同步")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	prev, err := d.cfg.Store.FindWechatDraft(ctx, storyID)
	if err != nil {
		return nil, err
	}
	mediaID, err := d.send(ctx, st, settings, prev)
	if err != nil {
		d.cfg.Log.Warn("wechat draft not sent", "story", storyID, "err", err)
		err = Explain(err)
		failed := &cms.WechatDraft{StoryID: storyID, AppID: settings.WechatAppID, Status: cms.WechatDraftFailed,
			Error: cms.ErrorMessage(err), MediaID: mediaID}
		if ce, ok := err.(*cms.Error); ok && len(ce.Fields) > 0 {
			failed.Error = ce.Message + "：" + joinFields(ce.Fields)
		}
		if rerr := d.cfg.Store.RecordWechatDraft(ctx, failed); rerr != nil {
			d.cfg.Log.Error("recording a failed wechat draft", "story", storyID, "err", rerr)
		}
		return nil, err
	}
	out := &cms.WechatDraft{StoryID: storyID, AppID: settings.WechatAppID, Status: cms.WechatDraftCreated,
		MediaID: mediaID, SyncedVersion: st.Version}
	if err := d.cfg.Store.RecordWechatDraft(ctx, out); err != nil {
		return nil, err
	}
	d.cfg.Log.Info("wechat draft sent", "story", storyID, "draft", mediaID, "version", st.Version)
	return out, nil
}

func joinFields(f map[string]string) string {
	var parts []string
	for _, k := range []string{"title", "author", "summary", "body", "cover_media_id", "base_url"} {
		if m, ok := f[k]; ok {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, "；")
}

// send does the work of SendWechatDraft and returns the draft's media_id
// (also on failure, when one exists, so it is kept).
func (d *Drafts) send(ctx context.Context, st *cms.Story, settings *cms.Settings, prev *cms.WechatDraft) (string, error) {
	existing := ""
	if prev.MediaID != "" && prev.AppID == settings.WechatAppID {
		existing = prev.MediaID
	}
	// Every limit is checked before any call, with the pictures at their
	// site URLs; WeChat's are of similar length.
	local, err := d.article(ctx, st, settings, d.localImage(ctx))
	if err != nil {
		return existing, err
	}
	if len(local.Problems) > 0 {
		return existing, unfit(local.Problems)
	}
	var missing []string
	Convert(st.Body, settings.BaseURL, func(img Image) (string, error) {
		if _, v := d.bodyVariant(ctx, img); v == nil {
			missing = append(missing, fmt.Sprintf("第%d张", img.Index))
		}
		return "", nil
	})
	if len(missing) > 0 {
		return existing, unfit(map[string]string{"body": "正文" + strings.Join(missing, "、") + "图片不在媒体库中，无法上传到公众号，请先上传到媒体库"})
	}
	cover, err := d.cfg.Media.FindMediaByID(ctx, *st.CoverMediaID)
	if err != nil {
		return existing, err
	}
	thumbVariant := cover.Variant("cover235")
	if thumbVariant == nil {
		return existing, unfit(map[string]string{"cover_media_id": "封面图片没有 2.35:1 裁切，请在媒体库中重新生成"})
	}

	c := NewClient(d.cfg.BaseURL, settings.WechatAppID, settings.WechatSecret, d.cfg.Store, d.cfg.HTTP, d.cfg.Log)
	if d.cfg.Backoff > 0 {
		c.Backoff = d.cfg.Backoff
	}
	content, err := Convert(st.Body, settings.BaseURL, func(img Image) (string, error) {
		m, v := d.bodyVariant(ctx, img)
		return d.uploadBodyImage(ctx, c, m, v)
	})
	if err != nil {
		return existing, err
	}
	if p := Check(local.Title, local.Author, local.Digest, content); p != nil {
		return existing, unfit(p)
	}
	thumb, err := d.uploadThumb(ctx, c, cover, thumbVariant)
	if err != nil {
		return existing, err
	}
	art := Article{Title: local.Title, Author: local.Author, Digest: local.Digest, Content: content,
		ContentSourceURL: local.ContentSourceURL, ThumbMediaID: thumb}
	if settings.WechatOpenComment {
		art.NeedOpenComment = 1
	}
	if existing != "" {
		err := c.UpdateDraft(ctx, existing, art)
		if err == nil {
			return existing, nil
		}
		// 40007: the draft was mass-sent or deleted in WeChat (or the
		// thumb was); make a new one.
		if !invalidMedia(err) {
			return existing, err
		}
	}
	id, err := c.AddDraft(ctx, art)
	if !invalidMedia(err) {
		return id, err
	}
	// The cover was deleted from WeChat's material library: upload it
	// again, once.
	if err := d.cfg.Store.DropWechatAsset(ctx, c.AppID, cms.WechatAssetThumb, cover.ID, thumbVariant.URL); err != nil {
		return existing, err
	}
	if art.ThumbMediaID, err = d.uploadThumb(ctx, c, cover, thumbVariant); err != nil {
		return existing, err
	}
	return c.AddDraft(ctx, art)
}

// unfit is the error of an article that breaks WeChat's limits, fields
// saying which.
func unfit(fields map[string]string) error {
	return &cms.Error{Code: cms.EINVALID, Message: "文章不符合公众号的要求，请修改后再同步", Fields: fields}
}

// invalidMedia reports whether WeChat answered 40007 (invalid media_id).
func invalidMedia(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == 40007
}

// uploadBodyImage returns the WeChat URL of a body picture, uploading it
// only the first time.
func (d *Drafts) uploadBodyImage(ctx context.Context, c *Client, m *cms.Media, v *cms.MediaVariant) (string, error) {
	src := v.URL // the asset is found again under the variant asked for, whichever is sent
	if a, err := d.cfg.Store.FindWechatAsset(ctx, c.AppID, cms.WechatAssetBodyImage, m.ID, src); err == nil {
		return a.URL, nil
	}
	data, err := d.readVariant(ctx, v)
	if err != nil {
		return "", err
	}
	if len(data) >= MaxBodyImage && v.Name != "w480" {
		if small := m.Variant("w480"); small != nil {
			v = small
			if data, err = d.readVariant(ctx, v); err != nil {
				return "", err
			}
		}
	}
	u, err := c.UploadImage(ctx, v.Name+".jpg", data)
	if err != nil {
		return "", err
	}
	err = d.cfg.Store.SaveWechatAsset(ctx, &cms.WechatAsset{AppID: c.AppID, Kind: cms.WechatAssetBodyImage, MediaID: m.ID, Src: src, URL: u})
	return u, err
}

// uploadThumb returns the media_id of the cover's 2.35:1 crop as permanent
// material, uploading it only the first time.
func (d *Drafts) uploadThumb(ctx context.Context, c *Client, m *cms.Media, v *cms.MediaVariant) (string, error) {
	if a, err := d.cfg.Store.FindWechatAsset(ctx, c.AppID, cms.WechatAssetThumb, m.ID, v.URL); err == nil {
		return a.WechatMediaID, nil
	}
	data, err := d.readVariant(ctx, v)
	if err != nil {
		return "", err
	}
	id, err := c.AddImageMaterial(ctx, "cover235.jpg", data)
	if err != nil {
		return "", err
	}
	err = d.cfg.Store.SaveWechatAsset(ctx, &cms.WechatAsset{AppID: c.AppID, Kind: cms.WechatAssetThumb, MediaID: m.ID, Src: v.URL, WechatMediaID: id})
	return id, err
}
