package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	xrate "golang.org/x/time/rate"

	"github.com/huimin/huimin/cms"
)

// Public reach numbers (阅读 N, 访问量, 排行) and the 数据统计 screen's
// report and exports. Public answers are small JSON kept in memory for a
// few seconds, so pages fetch fresh counts without any rebuild and a flood
// of readers costs one rollup query per answer per publicTTL.
//
// Everything here is per site (issue 15): the figures come from the
// request's site (the store reads it from the context), and the answers
// and settings kept in memory are keyed by it, so one site's numbers are
// never served on another's pages.

const (
	publicStatsTTL   = 10 * time.Second
	rankingTTL       = time.Minute
	statsSettingsTTL = 5 * time.Second
	rankingSize      = 20
)

// errStatsOff answers what needs cfg.Stats on a server without it.
var errStatsOff = cms.Errorf(cms.ENOTFOUND, "未开启访问统计")

// statsState is what the statistics keep in memory, per site.
type statsState struct {
	beaconLimit *ipLimiter
	// duringBuild paces all beacons while a build runs (beacon.go).
	duringBuild *xrate.Limiter

	mu       sync.Mutex
	answers  map[statsKey]statsAnswer
	settings map[int64]siteStatsSettings
}

// statsKey names a public answer of one site.
type statsKey struct {
	site int64
	key  string
}

// siteStatsSettings are a site's settings and when they were read.
type siteStatsSettings struct {
	set *cms.StatsSettings
	at  time.Time
}

type statsAnswer struct {
	body    []byte
	status  int
	expires time.Time
}

func newStatsState(cfg Config) statsState {
	rate, burst := cfg.BeaconRate, cfg.BeaconBurst
	if rate == 0 {
		rate, burst = defaultBeaconRate, defaultBeaconBurst
	}
	during := cfg.BeaconsWhileBuilding
	if during <= 0 {
		during = defaultBeaconsWhileBuilding
	}
	return statsState{beaconLimit: newIPLimiter(rate, burst),
		duringBuild: xrate.NewLimiter(xrate.Limit(during), max(1, int(during/10))),
		answers:     map[statsKey]statsAnswer{}, settings: map[int64]siteStatsSettings{}}
}

// statsSettings returns the statistics settings of the context's site,
// re-read at most every statsSettingsTTL (at once after a change through
// this process).
func (s *Server) statsSettings(ctx context.Context) (*cms.StatsSettings, error) {
	site := cms.SiteIDFromContext(ctx)
	s.statsState.mu.Lock()
	cur := s.statsState.settings[site]
	s.statsState.mu.Unlock()
	if cur.set != nil && time.Since(cur.at) < statsSettingsTTL {
		return cur.set, nil
	}
	set, err := s.cfg.Stats.FindStatsSettings(ctx)
	if err != nil {
		return nil, err
	}
	s.statsState.mu.Lock()
	s.statsState.settings[site] = siteStatsSettings{set: set, at: time.Now()}
	s.statsState.mu.Unlock()
	return set, nil
}

// cachedStats answers from memory when a fresh answer for key of the
// request's site is there, else from make, kept for ttl.
func (s *Server) cachedStats(c *gin.Context, key string, ttl time.Duration, make func(ctx context.Context) (any, error)) error {
	now := time.Now()
	st := &s.statsState
	k := statsKey{site: siteID(c), key: key}
	st.mu.Lock()
	a, ok := st.answers[k]
	st.mu.Unlock()
	if !ok || now.After(a.expires) {
		v, err := make(c.Request.Context())
		status := http.StatusOK
		if err != nil {
			if cms.ErrorCode(err) != cms.ENOTFOUND {
				return err
			}
			status, v = http.StatusNotFound, errorBody{Error: errorDetail{Code: cms.ENOTFOUND, Message: cms.ErrorMessage(err)}}
		}
		body, err := json.Marshal(v)
		if err != nil {
			return err
		}
		a = statsAnswer{body: body, status: status, expires: now.Add(ttl)}
		st.mu.Lock()
		if len(st.answers) > 20000 {
			clear(st.answers) // unknown paths are refused before this; a bound all the same
		}
		st.answers[k] = a
		st.mu.Unlock()
	}
	c.Header("Cache-Control", "public, max-age="+strconv.Itoa(int(ttl.Seconds())))
	c.Data(a.status, "application/json; charset=utf-8", a.body)
	return nil
}

// publicStats is GET /api/v1/content/stats: what the settings allow the
// page to show. Fields switched off are absent.
type publicStats struct {
	Path      string `json:"path,omitempty"`
	Views     *int64 `json:"views,omitempty"`      // this page's 阅读 (story pages)
	SiteViews *int64 `json:"site_views,omitempty"` // footer 访问量
	Ranking   bool   `json:"ranking"`              // whether the 排行 page shows a ranking
}

func (s *Server) handleContentStats(c *gin.Context) error {
	ctx := c.Request.Context()
	path := c.Query("path")
	var page cms.SitePage
	if path != "" {
		if len(path) > maxBeaconPath {
			return cms.Invalid(map[string]string{"path": "页面地址过长"})
		}
		p, ok, err := s.contentOf(ctx).pages.lookup(ctx, s, path)
		if err != nil {
			return err
		}
		if !ok {
			return cms.Invalid(map[string]string{"path": "不是本站的页面"})
		}
		page = p
	}
	set, err := s.statsSettings(ctx)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("stats %t%t%t %s", set.ShowStoryViews, set.ShowSiteVisits, set.ShowRanking, page.Path)
	return s.cachedStats(c, key, publicStatsTTL, func(ctx context.Context) (any, error) {
		out := publicStats{Path: page.Path, Ranking: set.ShowRanking}
		if set.ShowStoryViews && page.StoryID != 0 {
			views, err := s.cfg.Stats.PathViews(ctx, []string{page.Path})
			if err != nil {
				return nil, err
			}
			n := views[page.Path]
			out.Views = &n
		}
		if set.ShowSiteVisits {
			n, _, err := s.cfg.Stats.SiteTotals(ctx)
			if err != nil {
				return nil, err
			}
			out.SiteViews = &n
		}
		return out, nil
	})
}

// rankingItem is one line of the public 排行.
type rankingItem struct {
	Path  string `json:"path"`
	Title string `json:"title"`
	Views int64  `json:"views"`
}

type rankingResponse struct {
	Period string        `json:"period"`
	Items  []rankingItem `json:"items"`
}

// handleContentRanking is GET /api/v1/content/ranking?period=week|month|all:
// the most read stories of the last 7 days, 30 days or all time.
func (s *Server) handleContentRanking(c *gin.Context) error {
	period := c.DefaultQuery("period", "week")
	var since string
	now := time.Now()
	switch period {
	case "week":
		since = cms.StatsDayOf(now.AddDate(0, 0, -6))
	case "month":
		since = cms.StatsDayOf(now.AddDate(0, 0, -29))
	case "all":
	default:
		return cms.Invalid(map[string]string{"period": "period 应为 week、month 或 all"})
	}
	ctx := c.Request.Context()
	set, err := s.statsSettings(ctx)
	if err != nil {
		return err
	}
	if !set.ShowRanking {
		return cms.Errorf(cms.ENOTFOUND, "排行统计未开启")
	}
	// The site's pages are loaded so that titles are known (and a story
	// taken down drops out of the ranking).
	if _, _, err := s.contentOf(ctx).pages.lookup(ctx, s, "/"); err != nil {
		return err
	}
	return s.cachedStats(c, "ranking "+period+" "+since, rankingTTL, func(ctx context.Context) (any, error) {
		rank, err := s.cfg.Stats.Ranking(ctx, since, "/stories/", rankingSize*2)
		if err != nil {
			return nil, err
		}
		out := rankingResponse{Period: period, Items: []rankingItem{}}
		for _, r := range rank {
			title := s.contentOf(ctx).pages.title(r.Path)
			if title == "" || len(out.Items) == rankingSize {
				continue
			}
			out.Items = append(out.Items, rankingItem{Path: r.Path, Title: title, Views: r.Views})
		}
		return out, nil
	})
}

// statsQuery reads from, to (YYYY-MM-DD, default the last 30 days) and
// project of a report request.
func statsQuery(c *gin.Context) (cms.StatsQuery, error) {
	now := time.Now()
	q := cms.StatsQuery{From: c.Query("from"), To: c.Query("to")}
	if q.To == "" {
		q.To = cms.StatsDayOf(now)
	}
	if q.From == "" {
		q.From = cms.StatsDayOf(now.AddDate(0, 0, -29))
	}
	var err error
	q.ProjectID, err = projectParam(c)
	return q, err
}

// report builds the report for the request, with page titles and project
// names filled in.
func (s *Server) report(c *gin.Context) (*cms.StatsReport, error) {
	if s.cfg.Stats == nil { // checked here, not by the route: the export checks its format first
		return nil, errStatsOff
	}
	q, err := statsQuery(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	rep, err := s.cfg.Stats.Report(ctx, q)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.contentOf(ctx).pages.lookup(ctx, s, "/"); err != nil {
		return nil, err
	}
	for i := range rep.Pages {
		rep.Pages[i].Label = s.contentOf(ctx).pages.title(rep.Pages[i].Key)
	}
	if s.cfg.Projects != nil && len(rep.Projects) > 0 {
		projects, _, err := s.cfg.Projects.FindProjects(ctx, cms.ProjectFilter{Page: cms.Page{Page: 1, PerPage: cms.MaxPerPage}})
		if err != nil {
			return nil, err
		}
		names := map[string]string{}
		for _, p := range projects {
			names[strconv.FormatInt(p.ID, 10)] = p.Name
		}
		for i := range rep.Projects {
			rep.Projects[i].Label = names[rep.Projects[i].Key]
		}
	}
	for _, rows := range [][]cms.StatsRow{rep.Devices, rep.Modes} {
		for i := range rows {
			rows[i].Label = dimLabel(rows[i].Key)
		}
	}
	for i := range rep.Referrers {
		rep.Referrers[i].Label = rep.Referrers[i].Key
	}
	return rep, nil
}

// dimLabel names a device or reading mode in Chinese.
func dimLabel(key string) string {
	switch key {
	case "phone":
		return "手机"
	case "tablet":
		return "平板"
	case "desktop":
		return "电脑"
	case "":
		return "标准模式"
	case "large":
		return "大字模式"
	case "contrast":
		return "高对比模式"
	case "both":
		return "大字＋高对比"
	}
	return key
}

// handleStatsReport is GET /api/v1/stats/report?from&to&project.
func (s *Server) handleStatsReport(c *gin.Context) error {
	rep, err := s.report(c)
	return reply(c, rep, err)
}

// handleStatsFlush is POST /api/v1/stats/flush: write the queued views and
// roll them up now, for an up-to-the-second screen. It writes every site's
// queued views (one queue serves them all) and answers nothing about any.
func (s *Server) handleStatsFlush(c *gin.Context) error {
	return noContent(c, s.cfg.Stats.Flush(c.Request.Context()))
}

func (s *Server) handleStatsSettingsGet(c *gin.Context) error {
	set, err := s.cfg.Stats.FindStatsSettings(c.Request.Context())
	return reply(c, set, err)
}

type statsSettingsRequest struct{ cms.StatsSettingsUpdate }

// Valid names a retention out of bounds before the store is asked.
func (r *statsSettingsRequest) Valid() map[string]string {
	if d := r.RetentionDays; d != nil && (*d < 2 || *d > 400) {
		return map[string]string{"retention_days": "原始访问记录保留天数必须在2到400之间"}
	}
	return nil
}

func (s *Server) handleStatsSettingsUpdate(c *gin.Context) error {
	var req statsSettingsRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	set, err := s.cfg.Stats.UpdateStatsSettings(c.Request.Context(), req.StatsSettingsUpdate)
	if err != nil {
		return err
	}
	site := siteID(c)
	s.statsState.mu.Lock()
	s.statsState.settings[site] = siteStatsSettings{set: set, at: time.Now()}
	for k := range s.statsState.answers {
		if k.site == site {
			delete(s.statsState.answers, k)
		}
	}
	s.statsState.mu.Unlock()
	c.JSON(http.StatusOK, set)
	return nil
}
