package inspect

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The Excel 自查台账 reads back with every item and every list.
func TestWriteExcel(t *testing.T) {
	last := time.Date(2026, 11, 20, 10, 0, 0, 0, cst)
	r := &Report{CheckedAt: time.Date(2026, 12, 6, 9, 0, 0, 0, cst), Veto: 1, Deduct: 1, BlankColumns: 1,
		Items: []Item{
			{Category: CatFreshness, Level: LevelVeto, Indicator: "动态类栏目超过14天未更新", Found: "已 16 天未更新", Where: "项目「银龄互助」 /projects/yinling/", Fix: "发布新稿件"},
			{Category: CatLinks, Level: LevelDeduct, Indicator: "其他页面不可用链接", Found: "链接 /stories/gone/ 指向不存在的页面", Where: "/stories/a/", Fix: "改正链接"},
		},
		Sections: []Section{
			{Key: "project:yinling", Name: "项目「银龄互助」", URL: "/projects/yinling/", News: true, LimitDays: 14, Stories: 3, LastPublished: &last, LastStory: "上门理发", LastBy: "刘局长", AgeDays: 16, State: "stale"},
			{Key: "page:about", Name: "常设页面「关于」", URL: "/about/", State: "blank"},
		}}
	var buf bytes.Buffer
	if err := WriteExcel(&buf, r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("自查台账")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !strings.Contains(rows[0][0], "单项否决 1 项") || rows[1][2] != "检查指标" ||
		rows[2][1] != "单项否决" || rows[2][4] != "项目「银龄互助」 /projects/yinling/" || rows[3][3] != "链接 /stories/gone/ 指向不存在的页面" {
		t.Errorf("items sheet: %q", rows)
	}
	secs, err := f.GetRows("栏目更新")
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 3 || secs[1][5] != "2026-11-20" || secs[1][7] != "刘局长" || secs[1][9] != "超期未更新" || secs[2][9] != "空白栏目" {
		t.Errorf("sections sheet: %q", secs)
	}
	var text bytes.Buffer
	WriteText(&text, r)
	for _, want := range []string{"单项否决 1 项", "1. [单项否决] 动态类栏目超过14天未更新", "位置：/stories/a/", "整改：改正链接"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}
