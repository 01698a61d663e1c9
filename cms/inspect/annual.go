package inspect

import (
	"context"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

// Visits reports the page views of a date range; optional.
type Visits interface {
	Report(ctx context.Context, q cms.StatsQuery) (*cms.StatsReport, error)
}

// YearMessages reports the public messages of a period (issue 17); optional.
type YearMessages interface {
	InteractReport(ctx context.Context, from, to time.Time, projectID int64) (*cms.InteractReport, error)
}

// AnnualReport is the draft of the 政府网站工作年度报表 standing page.
type AnnualReport struct {
	Year    int    `json:"year"`
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Body    string `json:"body"` // HTML for the standing page
	Stories int    `json:"stories"`
	Columns int    `json:"columns"` // 专题: projects and tags used as 栏目 with a story in the year
	// Received and Answered are -1 when messages are not counted.
	Received int   `json:"received"`
	Answered int   `json:"answered"`
	Views    int64 `json:"views"` // -1 when visits are not counted
	Visitors int64 `json:"visitors"`
}

// Annual makes the yearly figures every government site publishes on its
// home page by 31 January, from the data, as a standing page draft for an
// admin to read and save.
func (in *Inspector) Annual(ctx context.Context, year int, visits Visits, msgs YearMessages) (*AnnualReport, error) {
	settings, err := in.Settings.FindSettings(ctx)
	if err != nil {
		return nil, err
	}
	set, err := in.Store.FindInspectionSettings(ctx)
	if err != nil {
		return nil, err
	}
	a := &AnnualReport{Year: year, Slug: fmt.Sprintf("nianbao-%d", year), Received: -1, Answered: -1, Views: -1, Visitors: -1,
		Title: fmt.Sprintf("%s政府网站工作年度报表（%d年度）", settings.SiteName, year)}
	cols := map[string]bool{}
	err = in.Content.EachLiveStory(ctx, func(s *cms.LiveStory) error {
		if s.PublishedAt.In(cst).Year() != year {
			return nil
		}
		a.Stories++
		if s.Project.Slug != "" {
			cols["project:"+s.Project.Slug] = true
		}
		for _, t := range s.Tags {
			if slices.Contains(set.ColumnTags, t) {
				cols["tag:"+t] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.Columns = len(cols)
	if msgs != nil {
		from := time.Date(year, time.January, 1, 0, 0, 0, 0, cst)
		rep, err := msgs.InteractReport(ctx, from, from.AddDate(1, 0, -1), 0) // to is inclusive
		if err != nil {
			return nil, err
		}
		a.Received, a.Answered = rep.Received, rep.Closed
	}
	if visits != nil {
		last := fmt.Sprintf("%d-12-31", year)
		if today := cms.StatsDayOf(in.now()); today < last {
			last = today
		}
		if rep, err := visits.Report(ctx, cms.StatsQuery{From: fmt.Sprintf("%d-01-01", year), To: last}); err == nil {
			a.Views, a.Visitors = rep.Views, rep.Visitors
		}
	}
	row := func(b *strings.Builder, k, v string) {
		fmt.Fprintf(b, "<tr><th scope=\"row\">%s</th><td>%s</td></tr>", html.EscapeString(k), html.EscapeString(v))
	}
	notCounted := "未统计"
	var b strings.Builder
	fmt.Fprintf(&b, "<p>填报单位：%s</p>", html.EscapeString(orDash(settings.Organizer)))
	b.WriteString("<table><caption>政府网站工作年度报表</caption><tbody>")
	row(&b, "网站名称", settings.SiteName)
	row(&b, "首页网址", orDash(settings.BaseURL))
	row(&b, "主办单位", orDash(settings.Organizer))
	row(&b, "政府网站标识码", orDash(settings.GovSiteCode))
	row(&b, "ICP备案号", orDash(settings.ICP))
	row(&b, "公安机关备案号", orDash(settings.PoliceRecord))
	row(&b, "独立用户访问总量（单位：个）", countOr(a.Visitors, notCounted))
	row(&b, "网站总访问量（单位：次）", countOr(a.Views, notCounted))
	row(&b, "信息发布总数（单位：条）", fmt.Sprint(a.Stories))
	row(&b, "专栏专题数量（单位：个）", fmt.Sprint(a.Columns))
	if a.Received >= 0 {
		row(&b, "留言办理：收到留言数量（单位：条）", fmt.Sprint(a.Received))
		row(&b, "留言办理：办结留言数量（单位：条）", fmt.Sprint(a.Answered))
	} else {
		row(&b, "留言办理", notCounted)
	}
	b.WriteString("</tbody></table>")
	fmt.Fprintf(&b, "<p>本报表由惠民根据 %d 年度发布数据生成于 %s，请核对后发布。</p>", year, in.now().In(cst).Format("2006年1月2日"))
	a.Body = b.String()
	return a, nil
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func countOr(n int64, none string) string {
	if n < 0 {
		return none
	}
	return fmt.Sprint(n)
}

// DueSoon reports whether the annual report of the year before now is due
// (January, before the 31st): the dashboard reminds then.
func DueSoon(now time.Time) bool {
	t := now.In(cst)
	return t.Month() == time.January
}
