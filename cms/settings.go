package cms

import (
	"context"
	"net/url"
	"time"
)

// Settings are the site-wide settings: the identity Chinese government sites
// must show, the WeChat keys and the number of review stages.
type Settings struct {
	SiteName     string `json:"site_name"`
	Organizer    string `json:"organizer"` // 主办单位
	Contact      string `json:"contact"`
	ICP          string `json:"icp"`           // ICP 备案号
	PoliceRecord string `json:"police_record"` // 公安备案号
	GovSiteCode  string `json:"gov_site_code"` // 政府网站标识码
	BaseURL      string `json:"base_url"`
	WechatAppID  string `json:"wechat_app_id"`
	// WechatSecret is write-only: never serialised.
	WechatSecret    string    `json:"-"`
	WechatSecretSet bool      `json:"wechat_secret_set"`
	ReviewStages    int       `json:"review_stages"`
	Version         int       `json:"version"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Validate reports the fields of s that are wrong.
func (s *Settings) Validate() error {
	f := map[string]string{}
	if blank(s.SiteName) {
		f["site_name"] = "网站名称不能为空"
	}
	if s.ReviewStages < 1 || s.ReviewStages > 3 {
		f["review_stages"] = "审核级数必须是1、2或3"
	}
	if s.BaseURL != "" {
		if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f["base_url"] = "网站地址必须是以 http:// 或 https:// 开头的完整地址"
		}
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// SettingsUpdate is a partial update; nil fields are left alone.
type SettingsUpdate struct {
	Version      int     `json:"version"`
	SiteName     *string `json:"site_name"`
	Organizer    *string `json:"organizer"`
	Contact      *string `json:"contact"`
	ICP          *string `json:"icp"`
	PoliceRecord *string `json:"police_record"`
	GovSiteCode  *string `json:"gov_site_code"`
	BaseURL      *string `json:"base_url"`
	WechatAppID  *string `json:"wechat_app_id"`
	WechatSecret *string `json:"wechat_secret"`
	ReviewStages *int    `json:"review_stages"`
}

// Apply copies the set fields of u onto s.
func (u *SettingsUpdate) Apply(s *Settings) {
	for _, p := range []struct {
		dst *string
		v   *string
	}{
		{&s.SiteName, u.SiteName}, {&s.Organizer, u.Organizer}, {&s.Contact, u.Contact},
		{&s.ICP, u.ICP}, {&s.PoliceRecord, u.PoliceRecord}, {&s.GovSiteCode, u.GovSiteCode},
		{&s.BaseURL, u.BaseURL}, {&s.WechatAppID, u.WechatAppID}, {&s.WechatSecret, u.WechatSecret},
	} {
		if p.v != nil {
			*p.dst = *p.v
		}
	}
	if u.ReviewStages != nil {
		s.ReviewStages = *u.ReviewStages
	}
	s.WechatSecretSet = s.WechatSecret != ""
}

// SettingsService reads and changes the site settings (a single row).
type SettingsService interface {
	// FindSettings returns the settings, with defaults on a new database.
	FindSettings(ctx context.Context) (*Settings, error)
	// UpdateSettings returns EINVALID, or ECONFLICT for a stale version.
	UpdateSettings(ctx context.Context, u SettingsUpdate) (*Settings, error)
}

// StandingPage is a page outside the story flow: about, 服务承诺, contact.
type StandingPage struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Title     string    `json:"title"`
	Body      string    `json:"body"` // sanitised HTML
	Position  int       `json:"position"`
	Version   int       `json:"version"`
	URL       string    `json:"url"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PageURL is the site path of a standing page.
func PageURL(slug string) string { return "/" + slug + "/" }

// Validate reports the fields of p that are wrong.
func (p *StandingPage) Validate() error {
	f := map[string]string{}
	if blank(p.Title) {
		f["title"] = "标题不能为空"
	}
	if !SlugPattern.MatchString(p.Slug) {
		f["slug"] = "链接名只能包含小写字母、数字和连字符"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// PageService manages standing pages; they are published as soon as saved.
type PageService interface {
	FindPages(ctx context.Context) ([]*StandingPage, error)
	// SavePage creates or (when p.ID is set) updates a page; EINVALID, ECONFLICT.
	SavePage(ctx context.Context, p *StandingPage) error
	// DeletePage returns ENOTFOUND.
	DeletePage(ctx context.Context, id int64) error
}
