package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/xuri/excelize/v2"

	"github.com/huimin/huimin/cms"
)

// statsTable is one table of an export: a sheet in Excel, a section in CSV.
type statsTable struct {
	name   string
	header []string
	rows   [][]any
}

// statsTables lays a report out as the tables both export formats write;
// the numbers are the report's, so an export always matches the screen.
func statsTables(rep *cms.StatsReport, projectName string) []statsTable {
	scope := "全站"
	if projectName != "" {
		scope = projectName
	}
	summary := statsTable{name: "概览", header: []string{"项目", "数值"}, rows: [][]any{
		{"统计范围", scope}, {"开始日期", rep.From}, {"结束日期", rep.To},
		{"阅读量", rep.Views}, {"访客数（每日去重后相加）", rep.Visitors},
	}}
	days := statsTable{name: "每日", header: []string{"日期", "阅读量", "访客数"}}
	for _, d := range rep.Days {
		days.rows = append(days.rows, []any{d.Day, d.Views, d.Visitors})
	}
	rows := func(name, keyHeader string, list []cms.StatsRow, withKey bool) statsTable {
		t := statsTable{name: name, header: []string{keyHeader, "阅读量", "访客数"}}
		if withKey {
			t.header = []string{keyHeader, "地址", "阅读量", "访客数"}
		}
		for _, r := range list {
			label := r.Label
			if label == "" {
				label = r.Key
			}
			if withKey {
				t.rows = append(t.rows, []any{label, r.Key, r.Views, r.Visitors})
			} else {
				t.rows = append(t.rows, []any{label, r.Views, r.Visitors})
			}
		}
		return t
	}
	hours := statsTable{name: "时段", header: []string{"时段", "阅读量"}}
	for _, h := range rep.Hours {
		hours.rows = append(hours.rows, []any{fmt.Sprintf("%02d:00", h.Hour), h.Views})
	}
	return []statsTable{
		summary, days,
		rows("稿件排行", "页面", rep.Pages, true),
		rows("品牌项目", "项目", rep.Projects, false),
		rows("来源", "来源", rep.Sources, false),
		rows("来源网站", "网站", rep.Referrers, false),
		rows("设备", "设备", rep.Devices, false),
		rows("阅读模式", "模式", rep.Modes, false),
		hours,
	}
}

// handleStatsExport is GET /api/v1/stats/export?format=xlsx|csv&from&to&project:
// the report as an Excel workbook (a sheet per table) or a CSV file (the
// tables one after another, with a BOM so Excel reads it as UTF-8).
func (s *Server) handleStatsExport(c *gin.Context) error {
	format := c.DefaultQuery("format", "xlsx")
	if format != "xlsx" && format != "csv" {
		return cms.Invalid(map[string]string{"format": "导出格式应为 xlsx 或 csv"})
	}
	rep, err := s.report(c)
	if err != nil {
		return err
	}
	projectName := ""
	if rep.ProjectID != 0 && s.cfg.Projects != nil {
		if p, err := s.cfg.Projects.FindProjectByID(c.Request.Context(), rep.ProjectID); err == nil {
			projectName = p.Name
		}
	}
	tables := statsTables(rep, projectName)
	name := fmt.Sprintf("访问统计_%s_%s.%s", rep.From, rep.To, format)
	var body []byte
	var ctype string
	if format == "csv" {
		body, ctype = statsCSV(tables), "text/csv; charset=utf-8"
	} else {
		if body, err = statsXLSX(tables); err != nil {
			return err
		}
		ctype = xlsxType
	}
	sendDownload(c, "stats."+format, name, ctype, body)
	return nil
}

// xlsxType is the media type of the Excel exports.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// sendDownload answers with body as a file to save: asciiName for old
// clients, name (Chinese, with its dates) for the rest; never cached.
func sendDownload(c *gin.Context, asciiName, name, ctype string, body []byte) {
	c.Header("Content-Disposition", "attachment; filename=\""+asciiName+"\"; filename*=UTF-8''"+url.PathEscape(name))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, ctype, body)
}

func statsCSV(tables []statsTable) []byte {
	// Every record has the same number of fields, as CSV readers expect:
	// short ones are padded.
	width := 0
	for _, t := range tables {
		width = max(width, len(t.header))
	}
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	write := func(cells ...string) {
		rec := make([]string, width)
		copy(rec, cells)
		_ = w.Write(rec)
	}
	for i, t := range tables {
		if i > 0 {
			write()
		}
		write(t.name)
		write(t.header...)
		for _, r := range t.rows {
			rec := make([]string, len(r))
			for j, v := range r {
				rec[j] = csvCell(v)
			}
			write(rec...)
		}
	}
	w.Flush()
	return b.Bytes()
}

// csvCell formats a cell; text starting like a formula is quoted with an
// apostrophe, so a page title cannot run as a formula in a spreadsheet.
func csvCell(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		if x != "" && (x[0] == '=' || x[0] == '+' || x[0] == '-' || x[0] == '@') {
			return "'" + x
		}
		return x
	}
	return fmt.Sprint(v)
}

func statsXLSX(tables []statsTable) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	for i, t := range tables {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", t.name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(t.name); err != nil {
			return nil, err
		}
		if err := f.SetSheetRow(t.name, "A1", &t.header); err != nil {
			return nil, err
		}
		last, _ := excelize.CoordinatesToCellName(len(t.header), 1)
		_ = f.SetCellStyle(t.name, "A1", last, bold)
		for r, row := range t.rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := f.SetSheetRow(t.name, cell, &row); err != nil {
				return nil, err
			}
		}
		col, _ := excelize.ColumnNumberToName(len(t.header))
		_ = f.SetColWidth(t.name, "A", "A", 28)
		if len(t.header) > 1 {
			_ = f.SetColWidth(t.name, "B", col, 14)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
