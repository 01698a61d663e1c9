package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"runtime/debug"
)

const usage = `huimin — 民政服务品牌宣传平台

用法：
  huimin serve  [--addr 127.0.0.1:8080] [--data ./data] [--db DSN] [--demo=true] [--site DIR]
                [--cors-origins '*'] [--content-rate 50] [--trusted-proxies ADDRS]
                [--storage s3://BUCKET/PREFIX?endpoint=URL]
  huimin build  [--data DIR] [--db DSN] [--site DIR] [--storage URL] [--in-site SITE]
  huimin user create --name N --role admin|editor|reviewer [--level 1..3] [--in-site SITE] [--platform-admin]
                     --password-stdin [--data DIR] [--db DSN]
  huimin site create --name N --host HOST[,HOST…] [--slug S] [--overview] [--data DIR] [--db DSN]
  huimin site list   [--data DIR] [--db DSN]
  huimin import [--data DIR] [--db DSN] [--build=true] [--in-site SITE] FILE.jsonl
  huimin secret rotate [--data DIR] [--db DSN]
  huimin check  [--data DIR] [--db DSN] [--format text|json] [--external=true] [--excel FILE] [--restore] [--in-site SITE]
  huimin version

环境变量 HUIMIN_ADDR、HUIMIN_DATA、HUIMIN_DB、HUIMIN_SITE_DIR、HUIMIN_STORAGE、HUIMIN_CORS_ORIGINS、HUIMIN_TRUSTED_PROXIES 可覆盖默认值；命令行参数优先。
DSN：留空使用数据目录中的 SQLite 文件；"mysql://user:pass@tcp(host:port)/db" 使用 MySQL。
数据库中的机密用 HUIMIN_SECRET_KEY（32 字节密钥的 base64）加密，未设置时用数据目录中的 secret.key；轮换密钥见 huimin secret rotate --help。
存储：留空时媒体文件和网站在数据目录中；"s3://BUCKET/PREFIX?endpoint=http://host:port&region=…" 存入 S3 兼容的对象存储，
密钥只从环境变量 AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY 读取（均未设置时匿名访问）。
`

// errUsage marks errors caused by a wrong command line.
var errUsage = errors.New("usage")

// Run is the whole program; main only wires it to the process. Tests call it
// directly with their own arguments, environment and streams. project is the
// public site's Hugo project (config.toml and themes/), which main embeds.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, project fs.FS) (err error) {
	defer func() {
		if errors.Is(err, flag.ErrHelp) {
			err = nil // "huimin build -h": the usage it asked for is printed; not a failure
		}
	}()
	c := &command{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, project: project}
	if len(args) == 0 {
		return c.badUsage(usage, "missing command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return c.runServe(ctx, rest)
	case "build":
		return c.runBuild(ctx, rest)
	case "user":
		if len(rest) == 0 || rest[0] != "create" {
			return c.badUsage(usage, "expected 'user create'")
		}
		return c.runUserCreate(ctx, rest[1:])
	case "site":
		return c.runSite(ctx, rest)
	case "import":
		return c.runImport(ctx, rest)
	case "secret":
		return c.runSecret(ctx, rest)
	case "check":
		return c.runCheck(ctx, rest)
	case "version":
		fmt.Fprintln(stdout, "huimin", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return c.badUsage(usage, fmt.Sprintf("unknown command %q", cmd))
}

// badUsage prints text, a usage, and returns an errUsage saying what was wrong.
func (c *command) badUsage(text, what string) error {
	fmt.Fprint(c.stderr, text)
	return fmt.Errorf("%w: %s", errUsage, what)
}

// command is one run of a subcommand: what Run was given and the settings
// every command shares.
type command struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	project        fs.FS // the Hugo project

	data    string
	db      string
	siteDir string
	storage string // "" = the data directory; s3://... = a bucket for media and the published site
	verbose bool
	// replica names this server among several on one MySQL database and
	// bucket (serve --replica); "" runs alone.
	replica string
}

// flags returns the named command's flag set with the shared flags
// added, their defaults taken from the environment.
func (c *command) flags(name string) *flag.FlagSet {
	f := flag.NewFlagSet(name, flag.ContinueOnError)
	f.SetOutput(c.stderr)
	f.StringVar(&c.data, "data", c.envOr("HUIMIN_DATA", "./data"), "数据目录（数据库、媒体文件、网站构建）")
	f.StringVar(&c.db, "db", c.getenv("HUIMIN_DB"), "数据库 DSN；留空使用 SQLite")
	f.StringVar(&c.siteDir, "site", c.getenv("HUIMIN_SITE_DIR"), "使用此目录中的 Hugo 项目（config.toml、themes/）代替内置主题，便于主题开发")
	f.StringVar(&c.storage, "storage", c.getenv("HUIMIN_STORAGE"),
		"媒体文件和发布的网站存放处：留空为数据目录；s3://BUCKET/PREFIX?endpoint=http://host:port 为对象存储（密钥取自 AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY）")
	f.BoolVar(&c.verbose, "verbose", false, "输出调试日志")
	return f
}

func (c *command) logger() *slog.Logger {
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

func (c *command) envOr(key, def string) string {
	if v := c.getenv(key); v != "" {
		return v
	}
	return def
}

// parse parses args, printing flag errors in Chinese-friendly form.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// version reports the module version the binary was built from.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
