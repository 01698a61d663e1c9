package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/huimin/huimin/cms/inspect"
	"github.com/huimin/huimin/site"
)

// runCheck is `huimin check`: the 网站体检 of the site as the quarterly
// inspection would find it.
func (c *command) runCheck(ctx context.Context, args []string) error {
	fs := c.flags("check")
	format := fs.String("format", "text", "输出格式：text 或 json")
	external := fs.Bool("external", true, "检查外部链接（每个网站同时最多 2 个请求，每个请求最长 15 秒）")
	excel := fs.String("excel", "", "另存 Excel 自查台账到此文件")
	restore := fs.Bool("restore", false, "先把被篡改的网站文件恢复为最近一次构建发布的内容")
	siteRef := fs.String("in-site", "", "检查哪个站点（代号或编号），默认为主站点")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("%w: --format must be text or json", errUsage)
	}
	a, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if ctx, err = inSite(ctx, a.db, *siteRef); err != nil {
		return err
	}
	if *restore {
		b, err := a.site.RestoreTampered(ctx, "huimin check --restore")
		if err != nil {
			return fmt.Errorf("恢复发布版本失败：%w", err)
		}
		fmt.Fprintf(c.stderr, "已恢复发布版本：构建 #%d\n", b.ID)
	}
	rep, err := a.inspector().Run(ctx, inspect.Options{External: *external})
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = inspect.WriteText(c.stdout, rep)
	}
	if err != nil {
		return err
	}
	if *excel != "" {
		f, err := os.Create(*excel)
		if err != nil {
			return err
		}
		if err := inspect.WriteExcel(f, rep); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	// A 单项否决 item makes the command exit non-zero, for cron and monitoring.
	if rep.Veto > 0 {
		return fmt.Errorf("单项否决：发现 %d 项", rep.Veto)
	}
	return nil
}

// inspector wires the 网站体检 to the app's store and site.
func (a *app) inspector() *inspect.Inspector {
	return &inspect.Inspector{Content: a.db, Projects: a.db, Pages: a.db, Settings: a.db, Dictionary: a.db, Store: a.db,
		Checker: &inspect.Checker{}, Site: siteChecks{a.site}, Messages: a.db}
}

// siteChecks adapts the site's link and tamper checks to the report's;
// the platform checks the site the context acts in.
type siteChecks struct{ s *site.Platform }

func (c siteChecks) BrokenLinks(ctx context.Context) ([]inspect.BrokenLink, error) {
	rep, err := c.s.CheckLinks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]inspect.BrokenLink, len(rep.Broken))
	for i, b := range rep.Broken {
		out[i] = inspect.BrokenLink{Page: b.Page, Target: b.Target, Kind: b.Kind, Story: b.Story}
	}
	return out, nil
}

func (c siteChecks) Tampered(ctx context.Context) ([]inspect.Tampered, error) {
	rep, err := c.s.CheckTamper(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]inspect.Tampered, len(rep.Findings))
	for i, f := range rep.Findings {
		out[i] = inspect.Tampered{Path: f.Path, Change: f.Change, Where: f.Where}
	}
	return out, nil
}
