package inspect

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// LevelName is the Chinese name of an item level.
func LevelName(l string) string {
	switch l {
	case LevelVeto:
		return "单项否决"
	case LevelDeduct:
		return "扣分"
	}
	return "提醒"
}

// WriteText writes the report for a terminal: the counts, then one block
// per item.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "网站体检 %s\n", r.CheckedAt.In(cst).Format("2006-01-02 15:04"))
	fmt.Fprintf(&b, "单项否决 %d 项，扣分 %d 项，提醒 %d 项；首页不可用链接 %d 个，其他页面不可用链接 %d 个，空白栏目 %d 个\n",
		r.Veto, r.Deduct, r.Warnings, r.HomeBrokenLinks, r.OtherBrokenLinks, r.BlankColumns)
	for i, it := range r.Items {
		fmt.Fprintf(&b, "\n%d. [%s] %s\n   发现：%s\n   位置：%s\n   整改：%s\n", i+1, LevelName(it.Level), it.Indicator, it.Found, it.Where, it.Fix)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n注：%s", n)
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	if len(r.Items) == 0 {
		b.WriteString("\n未发现问题。\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteExcel writes the report as the bureau's 自查台账: one sheet of
// items, one of the freshness of every list.
func WriteExcel(w io.Writer, r *Report) error {
	f := excelize.NewFile()
	defer f.Close()
	const items, secs = "自查台账", "栏目更新"
	f.SetSheetName("Sheet1", items)
	if _, err := f.NewSheet(secs); err != nil {
		return err
	}
	title := fmt.Sprintf("网站体检 %s：单项否决 %d 项，扣分 %d 项，提醒 %d 项；首页不可用链接 %d 个，其他页面不可用链接 %d 个，空白栏目 %d 个",
		r.CheckedAt.In(cst).Format("2006-01-02 15:04"), r.Veto, r.Deduct, r.Warnings, r.HomeBrokenLinks, r.OtherBrokenLinks, r.BlankColumns)
	rows := [][]any{{title}, {"序号", "类别", "检查指标", "发现的问题", "位置", "整改方法", "整改情况"}}
	for i, it := range r.Items {
		rows = append(rows, []any{i + 1, LevelName(it.Level), it.Indicator, it.Found, it.Where, it.Fix, ""})
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(items, cell, &row); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 6, "B": 10, "C": 28, "D": 60, "E": 40, "F": 50, "G": 16} {
		_ = f.SetColWidth(items, col, col, width)
	}
	srows := [][]any{{"栏目", "地址", "类型", "期限（天）", "稿件数", "最近发布", "最近发布的稿件", "发布人", "距今（天）", "状态"}}
	states := map[string]string{"ok": "正常", "soon": "即将超期", "stale": "超期未更新", "blank": "空白栏目"}
	for _, s := range r.Sections {
		kind, last := "其他", ""
		if s.News {
			kind = "动态类"
		}
		if s.LastPublished != nil {
			last = s.LastPublished.In(cst).Format("2006-01-02")
		}
		limit := any(s.LimitDays)
		if s.LimitDays == 0 {
			limit, kind = "", "常设页面"
		}
		srows = append(srows, []any{s.Name, s.URL, kind, limit, s.Stories, last, s.LastStory, s.LastBy, s.AgeDays, states[s.State]})
	}
	for i, row := range srows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(secs, cell, &row); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(secs, "A", "A", 30)
	_ = f.SetColWidth(secs, "G", "G", 40)
	return f.Write(w)
}
