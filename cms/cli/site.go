package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/huimin/huimin/cms"
)

// runSite manages the platform's sites: `huimin site create` and
// `huimin site list`. The command line acts as the system, like a
// platform admin.
func (c *command) runSite(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		return c.badUsage(usage, "expected 'site create' or 'site list'")
	}
	sub, args := args[0], args[1:]
	fs := c.flags("site " + sub)
	name := fs.String("name", "", "站点名称，如“江阴市民政局”")
	slug := fs.String("slug", "", "站点代号（小写字母、数字、连字符），用于目录和对象存储前缀，默认取自第一个域名")
	var hosts stringList
	fs.Var(&hosts, "host", "站点域名，可重复或用逗号分隔，如 mz.jiangyin.gov.cn")
	overview := fs.Bool("overview", false, "该站点首页列出平台上的所有站点（全市概览）")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if sub == "list" {
		sites, err := a.db.FindSites(ctx)
		if err != nil {
			return err
		}
		for _, s := range sites {
			fmt.Fprintf(c.stdout, "%d\t%s\t%s\t%s\n", s.ID, s.Slug, s.Name, strings.Join(s.Hosts, ","))
		}
		return nil
	}
	s := &cms.Site{Name: *name, Slug: *slug, Hosts: hosts, Overview: *overview}
	if s.Slug == "" && len(hosts) > 0 {
		s.Slug = slugFromHost(hosts[0])
	}
	if err := a.db.CreateSite(ctx, s); err != nil {
		return describe(err)
	}
	fmt.Fprintf(c.stdout, "已创建站点 #%d %s（%s），域名：%s\n", s.ID, s.Name, s.Slug, strings.Join(s.Hosts, "、"))
	return nil
}

// slugFromHost makes a site slug of a host name: mz.jiangyin.gov.cn → mz-jiangyin.
func slugFromHost(h string) string {
	h = cms.NormalizeHost(h)
	for _, suffix := range []string{".gov.cn", ".com.cn", ".org.cn", ".cn", ".com", ".org", ".net"} {
		if strings.HasSuffix(h, suffix) {
			h = strings.TrimSuffix(h, suffix)
			break
		}
	}
	var b strings.Builder
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 40 {
		s = strings.Trim(s[:40], "-")
	}
	return s
}

// stringList is a repeatable flag whose values may also be comma-separated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// inSite returns ctx acting in the site named by ref (an id or slug; "" is
// the default site).
func inSite(ctx context.Context, db cms.SiteService, ref string) (context.Context, error) {
	if ref == "" {
		return ctx, nil
	}
	sites, err := db.FindSites(ctx)
	if err != nil {
		return nil, err
	}
	s := cms.NewSiteResolver(sites).ByRef(ref)
	if s == nil {
		return nil, fmt.Errorf("站点不存在：%s（用 huimin site list 查看）", ref)
	}
	return cms.NewContextWithSite(ctx, s.ID), nil
}
