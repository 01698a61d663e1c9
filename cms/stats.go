package cms

import (
	"context"
	"net/url"
	"time"
)

// Reach statistics (阅读量, 访问量, 排行; issue 18). Readers' pages post a
// beacon; each accepted beacon becomes a PageView. Hits carry no IP address and
// no cookie: a visitor is a hash of a daily random salt, the address, the
// user agent and the site, and the salt is discarded after its day, so a
// visitor cannot be followed from one day to the next.

// StatsSourceParam is the query parameter that marks a link into the site
// from a WeChat article's 阅读原文 (issue 19 generates such links):
// /stories/<slug>/?hm_src=wx_article. Hits arriving through it are counted
// under SourceWechatArticle.
const StatsSourceParam = "hm_src"

// StatsSourceArticle is the value of StatsSourceParam for 阅读原文 links.
const StatsSourceArticle = "wx_article"

// ArticleSourceURL marks a page URL as the 阅读原文 link of a WeChat
// article: it adds StatsSourceParam=StatsSourceArticle to its query,
// keeping the rest. A URL that does not parse is returned as is.
func ArticleSourceURL(page string) string {
	u, err := url.Parse(page)
	if err != nil {
		return page
	}
	q := u.Query()
	q.Set(StatsSourceParam, StatsSourceArticle)
	u.RawQuery = q.Encode()
	return u.String()
}

// Sources a hit is counted under.
const (
	SourceWechatTimeline = "wx_timeline" // 微信/朋友圈 (from=timeline)
	SourceWechatGroup    = "wx_group"    // 微信/群聊 (from=groupmessage)
	SourceWechatSingle   = "wx_single"   // 微信/好友 (from=singlemessage)
	SourceWechatArticle  = "wx_article"  // 微信/阅读原文 (hm_src=wx_article)
	SourceWechatOther    = "wx_other"    // 微信内的其他打开方式
	SourceSearch         = "search"      // 搜索引擎
	SourceReferral       = "referral"    // 其他网站
	SourceInternal       = "internal"    // 站内浏览
	SourceDirect         = "direct"      // 直接访问
)

var sourceLabels = map[string]string{
	SourceWechatTimeline: "微信/朋友圈",
	SourceWechatGroup:    "微信/群聊",
	SourceWechatSingle:   "微信/好友",
	SourceWechatArticle:  "微信/阅读原文",
	SourceWechatOther:    "微信/其他",
	SourceSearch:         "搜索引擎",
	SourceReferral:       "其他网站",
	SourceInternal:       "站内",
	SourceDirect:         "直接访问",
}

// SourceLabel is the Chinese name of a source, as reports show it.
func SourceLabel(src string) string { return label(sourceLabels, src) }

// PageView is one counted page view.
type PageView struct {
	// SiteID is the site the page belongs to (the request's Host's site);
	// every figure is counted and reported per site.
	SiteID    int64
	At        time.Time
	Path      string // site path, e.g. /stories/<slug>/
	StoryID   int64  // 0 unless a story page
	ProjectID int64  // the story's or project page's project; 0 otherwise
	Visitor   string // hex hash of (daily salt, IP, user agent, site id); never the IP
	Source    string // one of the Source constants
	Referrer  string // referring host name of another site, else ""
	Device    string // phone, tablet or desktop
	Mode      string // "", large, contrast or both (大字/高对比)
}

// StatsSettings switch the public numbers on and off and bound how long
// raw hits are kept. Counting itself is always on: it stores nothing
// personal.
type StatsSettings struct {
	ShowStoryViews bool `json:"show_story_views"` // "阅读 N" on story pages
	ShowSiteVisits bool `json:"show_site_visits"` // footer 访问量
	ShowRanking    bool `json:"show_ranking"`     // the 排行 page
	// RetentionDays is how long raw hits are kept before only their
	// rollups remain (2–400).
	RetentionDays int       `json:"retention_days"`
	Version       int       `json:"version"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Validate reports the fields of s that are wrong.
func (s *StatsSettings) Validate() error {
	if s.RetentionDays < 2 || s.RetentionDays > 400 {
		return Invalid(map[string]string{"retention_days": "原始访问记录保留天数必须在2到400之间"})
	}
	return nil
}

// StatsSettingsUpdate is a partial update; nil fields are left alone.
type StatsSettingsUpdate struct {
	Version        int   `json:"version"`
	ShowStoryViews *bool `json:"show_story_views"`
	ShowSiteVisits *bool `json:"show_site_visits"`
	ShowRanking    *bool `json:"show_ranking"`
	RetentionDays  *int  `json:"retention_days"`
}

// Apply copies the set fields of u onto s.
func (u *StatsSettingsUpdate) Apply(s *StatsSettings) {
	set(&s.ShowStoryViews, u.ShowStoryViews)
	set(&s.ShowSiteVisits, u.ShowSiteVisits)
	set(&s.ShowRanking, u.ShowRanking)
	set(&s.RetentionDays, u.RetentionDays)
}

// StatsQuery selects the days (inclusive, YYYY-MM-DD in the site's time
// zone) and optionally one project of a report.
type StatsQuery struct {
	From      string
	To        string
	ProjectID int64
}

// StatsRow is one line of a breakdown.
type StatsRow struct {
	Key      string `json:"key"`   // path, project id, source, device, mode or host
	Label    string `json:"label"` // what the screen shows
	Views    int64  `json:"views"`
	Visitors int64  `json:"visitors"`
}

// StatsDay is one day of the time series.
type StatsDay struct {
	Day      string `json:"day"`
	Views    int64  `json:"views"`
	Visitors int64  `json:"visitors"`
}

// StatsReport is what the 数据统计 screen and its exports show.
type StatsReport struct {
	From      string      `json:"from"`
	To        string      `json:"to"`
	ProjectID int64       `json:"project_id,omitempty"`
	Views     int64       `json:"views"`
	Visitors  int64       `json:"visitors"` // sum of daily unique visitors
	Days      []StatsDay  `json:"days"`
	Pages     []StatsRow  `json:"pages"` // top pages, most viewed first
	Projects  []StatsRow  `json:"projects"`
	Sources   []StatsRow  `json:"sources"`
	Referrers []StatsRow  `json:"referrers"`
	Devices   []StatsRow  `json:"devices"`
	Modes     []StatsRow  `json:"modes"`
	Hours     []StatsHour `json:"hours"` // views by hour of day over the range
}

// StatsHour is views in one hour of the day (0–23) over a report's range.
type StatsHour struct {
	Hour  int   `json:"hour"`
	Views int64 `json:"views"`
}

// StatsRank is a page of the public 排行.
type StatsRank struct {
	Path  string `json:"path"`
	Views int64  `json:"views"`
}

// StatsService records hits and answers from their rollups. Every figure
// belongs to one site: Record files a hit under its PageView.SiteID, and
// every other method reads or changes the figures and settings of the site
// its context acts in (SiteIDFromContext) only.
type StatsService interface {
	// Record queues h for writing; it never blocks and never fails: a full
	// queue drops the hit and counts it as dropped.
	Record(h PageView)
	// Flush writes the queued hits and brings the rollups up to date, for
	// every site.
	Flush(ctx context.Context) error
	// Salt returns the random salt of day (YYYY-MM-DD), made on first use;
	// salts of earlier days are deleted. One salt serves every site of the
	// platform: visitor hashes include the site, so they differ per site.
	Salt(ctx context.Context, day string) ([]byte, error)
	// PathViews returns the all-time views of each path asked for.
	PathViews(ctx context.Context, paths []string) (map[string]int64, error)
	// SiteTotals returns the site's all-time views and summed daily visitors.
	SiteTotals(ctx context.Context) (views, visitors int64, err error)
	// Ranking returns the most viewed paths since since (zero: all time),
	// story pages only when prefix is "/stories/".
	Ranking(ctx context.Context, since string, prefix string, limit int) ([]StatsRank, error)
	// Report returns EINVALID for a bad range.
	Report(ctx context.Context, q StatsQuery) (*StatsReport, error)
	// FindStatsSettings returns the site's settings; a site that never had
	// any starts with every public number shown and 90 days of raw hits.
	FindStatsSettings(ctx context.Context) (*StatsSettings, error)
	// UpdateStatsSettings returns EINVALID, or ECONFLICT for a stale version.
	UpdateStatsSettings(ctx context.Context, u StatsSettingsUpdate) (*StatsSettings, error)
}

// SitePage is a page of the published site that the beacon may count.
type SitePage struct {
	Path      string
	Title     string
	StoryID   int64
	ProjectID int64
}

// SitePageService lists the pages of the site: home, section lists, live
// stories, projects, tags and standing pages.
type SitePageService interface {
	FindSitePages(ctx context.Context) ([]SitePage, error)
}

// StatsZone is the time zone whose days reports count in: China's, which
// has no daylight saving.
var StatsZone = time.FixedZone("CST", 8*3600)

// StatsDayOf returns t's day in StatsZone as YYYY-MM-DD.
func StatsDayOf(t time.Time) string { return t.In(StatsZone).Format(time.DateOnly) }
