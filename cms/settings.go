package cms

import (
	"context"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
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
	WechatSecret    string `json:"-"`
	WechatSecretSet bool   `json:"wechat_secret_set"`
	// WechatVerifyFile is the file WeChat asks a site to serve from its root
	// to prove it owns the domain ("MP_verify_<code>.txt", holding <code>),
	// before its pages may use the JS-SDK; empty when not set.
	WechatVerifyFile string `json:"wechat_verify_file"`
	// WechatOpenComment opens comments (留言) on the 公众号 drafts Huimin
	// creates (draft/add's need_open_comment).
	WechatOpenComment bool      `json:"wechat_open_comment"`
	ReviewStages      int       `json:"review_stages"`
	Version           int       `json:"version"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Validate reports the fields of s that are wrong.
func (s *Settings) Validate() error {
	f := map[string]string{}
	if blank(s.SiteName) {
		f["site_name"] = "网站名称不能为空"
	} else if runes(s.SiteName) > 60 {
		f["site_name"] = "网站名称不超过60个字符"
	}
	if s.ReviewStages < 1 || s.ReviewStages > 3 {
		f["review_stages"] = "审核级数必须是1、2或3"
	}
	if s.BaseURL != "" {
		if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f["base_url"] = "网站地址必须是以 http:// 或 https:// 开头的完整地址"
		}
	}
	if s.WechatVerifyFile != "" && WechatVerifyCode(s.WechatVerifyFile) == "" {
		f["wechat_verify_file"] = "微信验证文件名应形如 MP_verify_AbCd1234.txt（在公众号后台“JS接口安全域名”处下载的文件名）"
	}
	return invalidIf(f)
}

var wechatVerifyName = regexp.MustCompile(`^MP_verify_([A-Za-z0-9]{1,64})\.txt$`)

// WechatVerifyCode is the code in a WeChat verification file name, which is
// also the file's content; "" if name is not such a name.
func WechatVerifyCode(name string) string {
	if m := wechatVerifyName.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return ""
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
	// WechatVerifyFile may be given as the file name or a path ending in it.
	WechatVerifyFile  *string `json:"wechat_verify_file"`
	WechatOpenComment *bool   `json:"wechat_open_comment"`
	ReviewStages      *int    `json:"review_stages"`
}

// TouchesSite reports whether u sets a field the public site shows; the
// WeChat secret, the verification file and the review stages it does not.
func (u *SettingsUpdate) TouchesSite() bool {
	shown := []*string{u.SiteName, u.Organizer, u.Contact, u.ICP, u.PoliceRecord, u.GovSiteCode, u.BaseURL, u.WechatAppID}
	return slices.ContainsFunc(shown, func(p *string) bool { return p != nil })
}

// Apply copies the set fields of u onto s.
func (u *SettingsUpdate) Apply(s *Settings) {
	set(&s.SiteName, u.SiteName)
	set(&s.Organizer, u.Organizer)
	set(&s.Contact, u.Contact)
	set(&s.ICP, u.ICP)
	set(&s.PoliceRecord, u.PoliceRecord)
	set(&s.GovSiteCode, u.GovSiteCode)
	set(&s.BaseURL, u.BaseURL)
	set(&s.WechatAppID, u.WechatAppID)
	set(&s.WechatSecret, u.WechatSecret)
	set(&s.WechatVerifyFile, u.WechatVerifyFile)
	set(&s.ReviewStages, u.ReviewStages)
	set(&s.WechatOpenComment, u.WechatOpenComment)
	s.WechatSecretSet = s.WechatSecret != ""
	// Staff may paste a downloaded file's path: keep its name.
	s.WechatVerifyFile = path.Base(strings.ReplaceAll(strings.TrimSpace(s.WechatVerifyFile), `\`, "/"))
	if s.WechatVerifyFile == "." {
		s.WechatVerifyFile = ""
	}
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
		f["slug"] = badSlug
	} else if ReservedPageSlug(p.Slug) {
		f["slug"] = "“" + p.Slug + "”是网站保留的地址，请换一个链接名"
	}
	return invalidIf(f)
}

// reservedPageSlugs are the first path segments the site, the server and
// the theme use; a standing page at /<slug>/ would collide with them.
var reservedPageSlugs = map[string]bool{
	// Site sections and their lists (site/model.go, config.toml taxonomies).
	"stories": true, "projects": true, "tags": true, "archive": true, "page": true,
	"s":          true, // short links /s/<id>/
	"highlights": true, // the overview site's 全市服务品牌 (cms.HighlightsURL)
	// Home page outputs: /index.html, /index.xml (RSS), /search/ and its
	// index /search/i/, the sitemap, robots.txt, the 404 page.
	// /ranking/ (排行) is another home output.
	"index": true, "search": true, "ranking": true, "sitemap": true, "robots": true, "404": true,
	"feed": true, "feeds": true, "rss": true,
	// Theme assets (themes/huimin/assets) and exported static files.
	"css": true, "js": true, "images": true, "assets": true, "static": true,
	// Routes the server answers itself (cms/web/routes.go).
	"api": true, "admin": true, "media": true, "preview": true, "healthz": true, "readyz": true, "qr": true,
	"interact": true,
}

// ReservedPageSlug reports whether a standing page may not take slug,
// because the site or the server already uses that path.
func ReservedPageSlug(slug string) bool { return reservedPageSlugs[slug] }

// PageService manages standing pages; they are published as soon as saved.
type PageService interface {
	FindPages(ctx context.Context) ([]*StandingPage, error)
	// SavePage creates or (when p.ID is set) updates a page; EINVALID, ECONFLICT.
	SavePage(ctx context.Context, p *StandingPage) error
	// DeletePage returns ENOTFOUND.
	DeletePage(ctx context.Context, id int64) error
}
