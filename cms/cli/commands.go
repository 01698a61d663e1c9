package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/site"
)

// runBuild makes a full build of the public site; a failure exits non-zero
// and names the file and line Hugo complained about.
func (c *command) runBuild(ctx context.Context, args []string) error {
	fs := c.flags("build")
	only := fs.String("in-site", "", "只生成这个站点（代号或编号），默认生成平台上的全部站点")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	sites := a.site.Sites() // the default site first
	if *only != "" {
		sctx, err := inSite(ctx, a.db, *only)
		if err != nil {
			return err
		}
		s, err := a.site.For(sctx)
		if err != nil {
			return err
		}
		sites = []*site.Site{s}
	}
	for _, s := range sites {
		where := ""
		if s.ID() != cms.DefaultSiteID {
			where = fmt.Sprintf("站点 %d：", s.ID())
		}
		b, err := s.BuildNow(ctx, "huimin build")
		if err != nil {
			if b != nil && b.ErrorFile != "" {
				return fmt.Errorf("%sbuild %d failed at %s:%d: %s", where, b.ID, b.ErrorFile, b.ErrorLine, b.Error)
			}
			return fmt.Errorf("%sbuild failed: %w", where, err)
		}
		fmt.Fprintf(c.stdout, "%s网站生成完成：构建 #%d，%d 个页面，用时 %d 毫秒\n", where, b.ID, b.Pages, b.DurationMS)
	}
	return nil
}

// runUserCreate adds a staff account; the password comes from standard input
// so it never shows in the process list or shell history.
func (c *command) runUserCreate(ctx context.Context, args []string) error {
	fs := c.flags("user create")
	name := fs.String("name", "", "用户名")
	display := fs.String("display-name", "", "显示姓名（用于签发记录），默认同用户名")
	role := fs.String("role", "", "角色：admin、editor 或 reviewer")
	level := fs.Int("level", 0, "审核级别：1 初审、2 复审、3 终审（仅 reviewer）")
	pwStdin := fs.Bool("password-stdin", false, "从标准输入读取密码")
	site := fs.String("in-site", "", "用户所属站点（代号或编号），默认为主站点")
	platform := fs.Bool("platform-admin", false, "平台管理员：管理所有站点和用户")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*pwStdin {
		return fmt.Errorf("%w: --password-stdin is required (the password is read from standard input)", errUsage)
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if err := cms.ValidatePassword(password); err != nil {
		return describe(err)
	}
	a, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	u := &cms.User{Username: *name, Name: cmp.Or(*display, *name), Role: cms.Role(*role), Level: *level, PlatformAdmin: *platform}
	if ctx, err = inSite(ctx, a.db, *site); err != nil {
		return err
	}
	if err := a.db.CreateUser(ctx, u, password); err != nil {
		return describe(err)
	}
	fmt.Fprintf(c.stdout, "已创建用户 %s（%s）\n", u.Username, u.Role)
	return nil
}

// describe turns a validation error into one readable line per field.
func describe(err error) error {
	var e *cms.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		fmt.Fprintf(&b, "\n  %s: %s", k, e.Fields[k])
	}
	return errors.New(b.String())
}

// importBatch is how many lines go into one transaction.
const importBatch = 500

// runImport loads stories from a JSON Lines file, one transaction per batch.
// A bad line is reported with its number and field and does not stop the rest.
func (c *command) runImport(ctx context.Context, args []string) error {
	fs := c.flags("import")
	build := fs.Bool("build", true, "导入后重新生成网站")
	site := fs.String("in-site", "", "导入到哪个站点（代号或编号），默认为主站点")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: import takes exactly one FILE.jsonl", errUsage)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}

	a, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if ctx, err = inSite(ctx, a.db, *site); err != nil {
		return err
	}

	bar := progressbar.NewOptions64(st.Size(),
		progressbar.OptionSetWriter(c.stderr),
		progressbar.OptionSetDescription("导入"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(c.stderr) }),
	)
	start := time.Now()
	var (
		ok, failed int
		batch      []*cms.ImportStory
		lines      []int
	)
	// fail reports a line left out; the lines after it are still imported.
	fail := func(line int, err error) {
		failed++
		_ = bar.Clear()
		fmt.Fprintf(c.stderr, "第 %d 行：%v\n", line, err)
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		errs, err := a.db.ImportStories(ctx, batch)
		if err != nil {
			return fmt.Errorf("import lines %d-%d: %w", lines[0], lines[len(lines)-1], err)
		}
		for i, e := range errs {
			if e != nil {
				fail(lines[i], describe(e))
			} else {
				ok++
			}
		}
		batch, lines = batch[:0], lines[:0]
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 32<<20)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		_ = bar.Add(len(raw) + 1)
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		item, err := decodeImportLine(raw)
		if err != nil {
			fail(n, err)
			continue
		}
		batch, lines = append(batch, item), append(lines, n)
		if len(batch) >= importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read line %d: %w", n+1, err)
	}
	if err := flush(); err != nil {
		return err
	}
	_ = bar.Finish()
	elapsed := time.Since(start)
	fmt.Fprintf(c.stdout, "导入完成：成功 %d 条，失败 %d 条，用时 %.1f 秒（%.0f 条/秒）\n",
		ok, failed, elapsed.Seconds(), float64(ok+failed)/elapsed.Seconds())
	if *build && ok > 0 {
		b, err := a.site.BuildNow(ctx, "huimin import")
		if err != nil {
			return fmt.Errorf("stories imported, but the site build failed: %w", err)
		}
		fmt.Fprintf(c.stdout, "网站已重新生成：%d 个页面，用时 %d 毫秒\n", b.Pages, b.DurationMS)
	}
	return nil
}

// decodeImportLine parses one line strictly (see cms.DecodeJSON), naming
// the field at fault.
func decodeImportLine(raw []byte) (*cms.ImportStory, error) {
	var item cms.ImportStory
	if err := cms.DecodeJSON(bytes.NewReader(raw), &item); err != nil {
		var (
			ce   *cms.Error
			perr *time.ParseError
		)
		switch {
		case errors.As(err, &ce) && len(ce.Fields) == 0:
			return nil, errors.New(ce.Message)
		case errors.As(err, &ce):
			return nil, describe(ce)
		case errors.As(err, &perr):
			return nil, fmt.Errorf("字段 published_at 不是 RFC 3339 时间（例如 2026-05-01T09:00:00+08:00）")
		}
		return nil, fmt.Errorf("无法解析：%v", err)
	}
	return &item, nil
}
