package inspect

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
	"github.com/huimin/huimin/cms/wording"
)

// Categories of report items.
const (
	CatLinks     = "links"     // 可用性：不可用链接
	CatFreshness = "freshness" // 信息更新：栏目更新、空白栏目
	CatWording   = "wording"   // 内容正确性：错别字、规范汉字
	CatTamper    = "tamper"    // 安全：篡改
	CatInteract  = "interact"  // 互动回应
)

// Levels of report items.
const (
	LevelVeto    = "veto"    // 单项否决: fails the inspection alone
	LevelDeduct  = "deduct"  // 扣分
	LevelWarning = "warning" // not yet an inspection finding: a threshold is near
)

// Item is one finding of the 网站体检.
type Item struct {
	Category  string `json:"category"`
	Level     string `json:"level"`
	Indicator string `json:"indicator"` // the inspection indicator, as the 检查指标 names it
	Found     string `json:"found"`
	Where     string `json:"where"` // the page, story or file, as a site path or name
	Fix       string `json:"fix"`
	StoryID   int64  `json:"story_id,omitempty"`
}

// Section is the freshness of one list of the site.
type Section struct {
	Key           string     `json:"key"` // "home", "project:<slug>", "tag:<name>", "page:<slug>"
	Name          string     `json:"name"`
	URL           string     `json:"url"`
	News          bool       `json:"news"` // news-type (two weeks) or other (six months)
	LimitDays     int        `json:"limit_days"`
	Stories       int        `json:"stories"`
	LastPublished *time.Time `json:"last_published,omitempty"`
	LastStory     string     `json:"last_story,omitempty"`
	LastBy        string     `json:"last_by,omitempty"` // who published the last story
	AgeDays       int        `json:"age_days"`
	DueAt         *time.Time `json:"due_at,omitempty"` // when it crosses its threshold
	State         string     `json:"state"`            // ok, soon, stale, blank
}

// Report is the whole 网站体检.
type Report struct {
	CheckedAt time.Time `json:"checked_at"`
	Items     []Item    `json:"items"`
	Veto      int       `json:"veto"`   // 单项否决 items
	Deduct    int       `json:"deduct"` // 扣分 items
	Warnings  int       `json:"warnings"`
	// The counts the inspection uses.
	HomeBrokenLinks  int       `json:"home_broken_links"`  // 首页不可用链接
	OtherBrokenLinks int       `json:"other_broken_links"` // 其他页面不可用链接
	BlankColumns     int       `json:"blank_columns"`      // 空白栏目
	StaleColumns     int       `json:"stale_columns"`
	Sections         []Section `json:"sections"`
	// Notes say what was not checked and why.
	Notes []string `json:"notes"`
	// Checked are the parts that ran: links, external, freshness, wording, tamper, interact.
	Checked []string `json:"checked"`
}

// BrokenLink is an internal link of a built page that resolves to nothing.
type BrokenLink struct {
	Page, Target, Kind, Story string
}

// Tampered is one published file changed outside a build.
type Tampered struct {
	Path, Change, Where string
}

// Site is what the report needs of the public site.
type Site interface {
	// BrokenLinks checks the internal links of the live build now.
	BrokenLinks(ctx context.Context) ([]BrokenLink, error)
	// Tampered compares the live site with what the last build published.
	Tampered(ctx context.Context) ([]Tampered, error)
}

// Messages counts the public messages not answered (issue 17); optional.
type Messages interface {
	CountUnanswered(ctx context.Context) (open, overdue, pastHard int, err error)
}

// Inspector runs the 网站体检.
type Inspector struct {
	Content    cms.ContentService
	Projects   cms.ProjectService
	Pages      cms.PageService
	Settings   cms.SettingsService
	Dictionary cms.DictionaryService
	Store      cms.InspectionStore
	Site       Site     // nil: no link or tamper check
	Messages   Messages // nil: 互动回应 not counted
	Checker    *Checker // for external links
	Now        func() time.Time
}

// Options choose what Run does beyond reading.
type Options struct {
	// External checks the external links now and stores the results;
	// otherwise the stored results of the background check are used.
	External bool
}

func (in *Inspector) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}

// Run runs every check and returns the report.
func (in *Inspector) Run(ctx context.Context, o Options) (*Report, error) {
	r := &Report{CheckedAt: in.now().UTC(), Items: []Item{}, Notes: []string{}, Sections: []Section{}}
	stories, pages, settings, err := in.live(ctx)
	if err != nil {
		return nil, err
	}
	bySlug := map[string]*cms.LiveStory{}
	for _, s := range stories {
		bySlug[s.Slug] = s
	}

	if in.Site != nil {
		if err := in.links(ctx, r, bySlug); err != nil {
			return nil, fmt.Errorf("link check: %w", err)
		}
		if err := in.tamper(ctx, r); err != nil {
			return nil, fmt.Errorf("tamper check: %w", err)
		}
	} else {
		r.Notes = append(r.Notes, "未检查站内链接和篡改：没有可用的网站构建")
	}
	if err := in.external(ctx, r, o, stories, pages, settings); err != nil {
		return nil, fmt.Errorf("external links: %w", err)
	}
	if err := in.freshness(ctx, r, stories, pages); err != nil {
		return nil, fmt.Errorf("freshness: %w", err)
	}
	if err := in.wording(ctx, r, stories, pages); err != nil {
		return nil, fmt.Errorf("wording: %w", err)
	}
	if err := in.interact(ctx, r); err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	rank := map[string]int{LevelVeto: 0, LevelDeduct: 1, LevelWarning: 2}
	cat := map[string]int{CatTamper: 0, CatFreshness: 1, CatLinks: 2, CatWording: 3, CatInteract: 4}
	sort.SliceStable(r.Items, func(i, j int) bool {
		a, b := r.Items[i], r.Items[j]
		if rank[a.Level] != rank[b.Level] {
			return rank[a.Level] < rank[b.Level]
		}
		return cat[a.Category] < cat[b.Category]
	})
	for _, it := range r.Items {
		switch it.Level {
		case LevelVeto:
			r.Veto++
		case LevelDeduct:
			r.Deduct++
		default:
			r.Warnings++
		}
	}
	return r, nil
}

// live reads what the checks look at: the live stories, the standing
// pages and the settings.
func (in *Inspector) live(ctx context.Context) ([]*cms.LiveStory, []*cms.StandingPage, *cms.Settings, error) {
	var stories []*cms.LiveStory
	if err := in.Content.EachLiveStory(ctx, func(s *cms.LiveStory) error {
		c := *s
		stories = append(stories, &c)
		return nil
	}); err != nil {
		return nil, nil, nil, err
	}
	pages, err := in.Pages.FindPages(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	settings, err := in.Settings.FindSettings(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return stories, pages, settings, nil
}

func (in *Inspector) links(ctx context.Context, r *Report, bySlug map[string]*cms.LiveStory) error {
	broken, err := in.Site.BrokenLinks(ctx)
	if err != nil {
		r.Notes = append(r.Notes, "未能检查站内链接："+err.Error())
		return nil
	}
	r.Checked = append(r.Checked, "links")
	for _, b := range broken {
		it := Item{Category: CatLinks, Level: LevelDeduct, Where: b.Page}
		if b.Page == "/" {
			it.Indicator = "首页不可用链接"
			r.HomeBrokenLinks++
		} else {
			it.Indicator = "其他页面不可用链接"
			r.OtherBrokenLinks++
		}
		what := "链接"
		if b.Kind == "image" {
			what = "图片"
		}
		it.Found = fmt.Sprintf("页面中的%s %s 指向不存在的页面或文件", what, b.Target)
		if s := bySlug[b.Story]; s != nil {
			it.StoryID = s.ID
			it.Where = fmt.Sprintf("%s（稿件《%s》）", b.Page, s.Title)
			if b.Kind == "image" {
				it.Fix = fmt.Sprintf("在稿件《%s》正文中重新插入媒体库中的图片，或删去这张图片，再发布", s.Title)
			} else {
				it.Fix = fmt.Sprintf("在稿件《%s》正文中改正或删去链接 %s，再发布；若链接的稿件被误撤下，重新发布它", s.Title, b.Target)
			}
		} else if b.Kind == "image" {
			it.Fix = "重新上传图片，或修改引用它的内容后重新生成网站"
		} else {
			it.Fix = fmt.Sprintf("修改引用 %s 的内容或恢复被删除的页面，然后重新生成网站", b.Target)
		}
		r.Items = append(r.Items, it)
	}
	return nil
}

func (in *Inspector) tamper(ctx context.Context, r *Report) error {
	found, err := in.Site.Tampered(ctx)
	if err != nil {
		r.Notes = append(r.Notes, "未能检查篡改："+err.Error())
		return nil
	}
	r.Checked = append(r.Checked, "tamper")
	words := map[string]string{"added": "被添加", "changed": "被修改", "removed": "被删除"}
	for _, f := range found {
		where := "网站目录"
		if f.Where == "bucket" {
			where = "对象存储"
		}
		r.Items = append(r.Items, Item{Category: CatTamper, Level: LevelVeto, Indicator: "网站被篡改（挂马、篡改未及时处置）",
			Found: fmt.Sprintf("发布的文件在构建之外%s", words[f.Change]), Where: where + "：" + f.Path,
			Fix: "查明来源并修补服务器漏洞；在网站体检中点“恢复发布版本”（或运行 huimin check --restore），恢复为最近一次构建发布的内容"})
	}
	return nil
}

// externalLinks returns the external links of the live stories and standing
// pages, each with the places that have it.
func externalLinks(stories []*cms.LiveStory, pages []*cms.StandingPage, host string) (urls []string, where map[string][]string, story map[string]int64) {
	where, story = map[string][]string{}, map[string]int64{}
	add := func(body, place string, id int64) {
		for _, href := range markup.Links(body) {
			u, err := url.Parse(strings.TrimSpace(href))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.EqualFold(u.Host, host) {
				continue
			}
			s := u.String()
			if _, ok := where[s]; !ok {
				urls = append(urls, s)
			}
			if !slices.Contains(where[s], place) {
				where[s] = append(where[s], place)
			}
			if id != 0 && story[s] == 0 {
				story[s] = id
			}
		}
	}
	for _, s := range stories {
		add(s.Body, fmt.Sprintf("/stories/%s/（稿件《%s》）", s.Slug, s.Title), s.ID)
	}
	for _, p := range pages {
		add(p.Body, fmt.Sprintf("/%s/（常设页面《%s》）", p.Slug, p.Title), 0)
	}
	return urls, where, story
}

func siteHost(s *cms.Settings) string {
	if u, err := url.Parse(s.BaseURL); err == nil {
		return u.Host
	}
	return ""
}

func (in *Inspector) external(ctx context.Context, r *Report, o Options, stories []*cms.LiveStory, pages []*cms.StandingPage, settings *cms.Settings) error {
	urls, where, story := externalLinks(stories, pages, siteHost(settings))
	if o.External && len(urls) > 0 {
		if err := in.Store.SaveLinkChecks(ctx, in.Checker.Check(ctx, urls)); err != nil {
			return err
		}
	}
	results, err := in.Store.FindLinkChecks(ctx)
	if err != nil {
		return err
	}
	r.Checked = append(r.Checked, "external")
	unchecked := 0
	for _, u := range urls {
		res, ok := results[u]
		if !ok {
			unchecked++
			continue
		}
		if res.OK {
			continue
		}
		for _, place := range where[u] {
			it := Item{Category: CatLinks, Level: LevelDeduct, Indicator: "其他页面不可用链接（外部链接）",
				Found:   fmt.Sprintf("外部链接 %s 不可用：%s（%s 检查）", u, res.Error, res.CheckedAt.In(cst).Format("2006-01-02 15:04")),
				Where:   place,
				StoryID: story[u],
				Fix:     "核实对方网站地址，改为可用的链接或删去该链接后重新发布"}
			r.OtherBrokenLinks++
			r.Items = append(r.Items, it)
		}
	}
	if unchecked > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d 个外部链接尚未检查（后台定时检查，或运行 huimin check 时检查）", unchecked))
	}
	return nil
}

// cst is the time zone inspections and bureaus count days in.
var cst = time.FixedZone("CST", 8*3600)

func (in *Inspector) wording(ctx context.Context, r *Report, stories []*cms.LiveStory, pages []*cms.StandingPage) error {
	terms, err := in.Dictionary.FindTerms(ctx)
	if err != nil {
		return err
	}
	m := wording.NewMatcher(terms)
	r.Checked = append(r.Checked, "wording")
	report := func(hits []cms.Hit, where string, storyID int64, fix string) {
		for _, h := range hits {
			it := Item{Category: CatWording, Where: fmt.Sprintf("%s，%s", where, fieldName(h.Field)), StoryID: storyID, Found: h.Message}
			if h.Context != "" {
				it.Found += "：“…" + h.Context + "…”"
			}
			switch h.Check {
			case cms.CheckDictionary:
				if h.Severity == cms.SeveritySerious {
					it.Level, it.Indicator = LevelVeto, "严重表述错误"
				} else {
					it.Level, it.Indicator = LevelDeduct, "错别字"
				}
				it.Fix = "改正后重新发布"
				if h.Suggestion != "" {
					it.Fix = fmt.Sprintf("改为“%s”后重新发布", h.Suggestion)
				}
			case cms.CheckHanzi, cms.CheckPinyin, cms.CheckPunctuation:
				it.Level, it.Indicator = LevelDeduct, "使用不规范汉字"
				if h.Check == cms.CheckPunctuation {
					it.Indicator = "标点符号使用不规范"
				}
				it.Fix = fix
			default:
				continue
			}
			r.Items = append(r.Items, it)
		}
	}
	for _, s := range stories {
		hits := wording.Check(wording.Story{Title: s.Title, ShareTitle: s.ShareTitle, Summary: s.Summary, Body: s.Body}, m, nil)
		report(hits, fmt.Sprintf("/stories/%s/（稿件《%s》）", s.Slug, s.Title), s.ID,
			fmt.Sprintf("在稿件《%s》的编辑页点“一键转为规范汉字”（专名可在词库中设为“保留”），再发布", s.Title))
	}
	for _, p := range pages {
		var hits []cms.Hit
		hits = append(hits, m.Find("title", p.Title)...)
		hits = append(hits, m.Find("body", markup.Text(p.Body))...)
		hits = append(hits, wording.HanziHits("title", p.Title, wording.KeepTerms(terms))...)
		hits = append(hits, wording.HanziHits("body", markup.Text(p.Body), wording.KeepTerms(terms))...)
		report(hits, fmt.Sprintf("/%s/（常设页面《%s》）", p.Slug, p.Title), 0,
			fmt.Sprintf("在常设页面《%s》中改为规范汉字后保存", p.Title))
	}
	return nil
}

func fieldName(f string) string {
	switch {
	case f == "title":
		return "标题"
	case f == "share_title":
		return "分享标题"
	case f == "summary":
		return "摘要"
	case f == "body":
		return "正文"
	}
	return f
}

func (in *Inspector) interact(ctx context.Context, r *Report) error {
	if in.Messages == nil {
		r.Notes = append(r.Notes, "互动回应未统计：本站尚无公众留言功能")
		return nil
	}
	open, overdue, pastHard, err := in.Messages.CountUnanswered(ctx)
	if err != nil {
		return err
	}
	r.Checked = append(r.Checked, "interact")
	if pastHard > 0 {
		r.Items = append(r.Items, Item{Category: CatInteract, Level: LevelVeto, Indicator: "互动回应：留言超过3个月未回复",
			Found: fmt.Sprintf("%d 条留言超过3个月未回复", pastHard), Where: "公众留言",
			Fix: "在管理后台“公众留言”中逐条答复或办结"})
	}
	if n := overdue - pastHard; n > 0 {
		r.Items = append(r.Items, Item{Category: CatInteract, Level: LevelDeduct, Indicator: "互动回应：留言超期未回复",
			Found: fmt.Sprintf("%d 条留言已超过答复期限", n), Where: "公众留言",
			Fix: "在管理后台“公众留言”中尽快答复"})
	}
	if open > 0 && overdue == 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d 条留言待答复，均未超期", open))
	}
	return nil
}
