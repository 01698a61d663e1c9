package cms

import (
	"context"
	"time"
)

// 网站体检 (issue 20): the checks of the 政府网站与政务新媒体检查指标 that
// Huimin can run on itself before the quarterly inspection does.

// InspectionSettings are the thresholds of the freshness check.
type InspectionSettings struct {
	// NewsDays is how long a news-type list (动态、要闻) may go without a
	// new story: the indicator's two weeks.
	NewsDays int `json:"news_days"`
	// OtherDays is the limit for the other lists: six months.
	OtherDays int `json:"other_days"`
	// NewsLists are the lists of news type, by key: "home", "project:<slug>",
	// "tag:<name>". The home page and every project are news-type by default.
	NewsLists []string `json:"news_lists"`
	// OtherLists are lists taken out of the news type ("project:<slug>").
	OtherLists []string `json:"other_lists"`
	// ColumnTags are the tags used as 栏目 (专题): checked like projects.
	ColumnTags []string `json:"column_tags"`
	// WarnDays is how long before a threshold the dashboard warns.
	WarnDays  int       `json:"warn_days"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DefaultInspectionSettings are the indicators' thresholds.
func DefaultInspectionSettings() InspectionSettings {
	return InspectionSettings{NewsDays: 14, OtherDays: 182, WarnDays: 7, NewsLists: []string{}, OtherLists: []string{}, ColumnTags: []string{}}
}

// Validate reports the fields of s that are wrong.
func (s *InspectionSettings) Validate() error {
	f := map[string]string{}
	if s.NewsDays < 1 || s.NewsDays > 366 {
		f["news_days"] = "动态类栏目更新期限必须在1到366天之间"
	}
	if s.OtherDays < 1 || s.OtherDays > 731 {
		f["other_days"] = "其他栏目更新期限必须在1到731天之间"
	}
	if s.WarnDays < 0 || s.WarnDays > 60 {
		f["warn_days"] = "提前提醒天数必须在0到60天之间"
	}
	for field, l := range map[string][]string{"news_lists": s.NewsLists, "other_lists": s.OtherLists, "column_tags": s.ColumnTags} {
		if len(l) > 500 {
			f[field] = "栏目不能超过500个"
		}
	}
	return invalidIf(f)
}

// LinkCheckResult is the last check of one external link.
type LinkCheckResult struct {
	URL       string    `json:"url"`
	OK        bool      `json:"ok"`
	Status    int       `json:"status"` // HTTP status; 0 when no answer came
	Error     string    `json:"error,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// InspectionStore keeps what the 网站体检 needs beyond the content.
type InspectionStore interface {
	// FindInspectionSettings returns the settings, defaults when never saved.
	FindInspectionSettings(ctx context.Context) (*InspectionSettings, error)
	// SaveInspectionSettings returns EINVALID, or ECONFLICT for a stale version.
	SaveInspectionSettings(ctx context.Context, s *InspectionSettings) error
	// SaveLinkChecks records the results of external link checks.
	SaveLinkChecks(ctx context.Context, results []LinkCheckResult) error
	// FindLinkChecks returns the last result of every link checked.
	FindLinkChecks(ctx context.Context) (map[string]LinkCheckResult, error)
	// LastPublisher returns who last published the story (the sign-off of
	// its last publication), "" when nobody did in Huimin.
	LastPublisher(ctx context.Context, storyID int64) (string, error)
}
