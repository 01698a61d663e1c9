package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/admin"
	"github.com/huimin/huimin/cms/demo"
	"github.com/huimin/huimin/cms/media"
	"github.com/huimin/huimin/cms/schedule"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/web"
	"github.com/huimin/huimin/cms/wechat"
)

// runServe starts the whole product: migrates, creates the first admin and
// the demo campaign on a new data directory, builds the site and serves the
// APIs, the admin UI and the public site until ctx is cancelled.
func (c *command) runServe(ctx context.Context, args []string) error {
	fs := c.flags("serve")
	addr := fs.String("addr", c.envOr("HUIMIN_ADDR", "127.0.0.1:8080"), "监听地址")
	withDemo := fs.Bool("demo", true, "在新的数据目录中创建演示内容")
	corsOrigins := fs.String("cors-origins", c.envOr("HUIMIN_CORS_ORIGINS", "*"),
		"允许网页跨域读取内容接口的来源，逗号分隔；* 表示任意来源，留空表示不允许")
	contentRate := fs.Float64("content-rate", 50, "未使用接口密钥时，内容接口对每个客户端地址每秒允许的请求数（可短时突发4倍）；0 表示不限")
	trustedProxies := fs.String("trusted-proxies", c.getenv("HUIMIN_TRUSTED_PROXIES"),
		"前置反向代理的地址或网段，逗号分隔；按其 X-Forwarded-For 中的读者地址限流，按其 X-Forwarded-Host 确定站点")
	fetchHosts := fs.String("fetch-image-hosts", c.envOr("HUIMIN_FETCH_IMAGE_HOSTS", strings.Join(web.DefaultRemoteImageHosts, ",")),
		"粘贴进正文的图片来自这些网站时，保存时自动存入媒体库（逗号分隔；默认为微信图片服务器）")
	bodyTimeout := fs.Duration("body-timeout", time.Minute, "读取一个请求正文的最长时间（上传除外）")
	uploadTimeout := fs.Duration("upload-timeout", 10*time.Minute, "读取一次文件上传的最长时间")
	wechatAPI := fs.String("wechat-api", c.envOr("HUIMIN_WECHAT_API", wechat.DefaultBaseURL),
		"微信公众号接口的地址（同步草稿用；测试时指向本地的契约服务器）")
	fs.StringVar(&c.replica, "replica", c.getenv("HUIMIN_REPLICA"),
		"本副本的名称（各副本不同）：多个 serve 共用一个 MySQL 数据库和对象存储时，由数据库选出一个副本构建网站，其余副本从对象存储取用")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.openApp(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.db.Dialect() == "sqlite" {
		unlock, err := lockServe(c.data)
		if err != nil {
			return err
		}
		defer unlock()
	}
	// Page views (issue 18) have a store of their own; closing it, after
	// the HTTP server stopped, writes the views still queued.
	stats, err := store.OpenStats(ctx, c.db, c.data, a.log, store.StatsOptions{})
	if err != nil {
		return fmt.Errorf("open statistics: %w", err)
	}
	defer stats.Close()

	if err := firstStart(ctx, a, *withDemo, c.stdout); err != nil {
		return err
	}
	if err := moveSharedMedia(ctx, a, c.data); err != nil {
		return err
	}

	previewKey, err := a.db.Secret(ctx, "preview")
	if err != nil {
		return fmt.Errorf("preview key: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	// Gin's debug mode only prints the route table; the server always runs
	// in release mode (a process-wide setting, so it is made here, by the
	// command, and not by web.New).
	gin.SetMode(gin.ReleaseMode)
	proxies := splitList(*trustedProxies)
	for _, p := range proxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("--trusted-proxies：%q 不是地址或网段（如 10.0.0.5 或 10.0.0.0/8）", p)
		}
	}
	ingest := media.NewIngest(media.NewProcessor(media.Options{}), a.files, a.db)
	// 公众号 drafts (issue 19) read the variants through the pipeline.
	drafts := wechat.New(wechat.Config{BaseURL: *wechatAPI, Store: a.db, Stories: a.db, Media: a.db,
		Files: ingest, Settings: a.db, Log: a.log})
	srv := web.New(web.Config{
		Stories: a.db, Projects: a.db, Users: a.db, Logins: a.db, Settings: a.db, Pages: a.db, Builds: a.db,
		Audit: a.db, Media: a.db, Content: a.db, Publisher: a.site,
		ContentVersion: a.db, APIKeys: a.db, ContentRate: *contentRate,
		CORSOrigins: strings.Split(*corsOrigins, ","), TrustedProxies: proxies,
		RemoteImageHosts: splitList(*fetchHosts),
		Ingest:           ingest,
		Site:             a.site.Handler(), Admin: admin.Handler(),
		Stats: stats, SitePages: a.db, Wechat: drafts, Interact: a.db, Sites: a.db, Overview: a.db,
		Revisions: a.db, Review: a.db, Dictionary: a.db, Checks: a.db, Previewer: a.site, PreviewKey: previewKey,
		Inspection: &web.Inspection{Inspector: a.inspector(), Restore: a.site.RestoreTampered, Visits: stats},
		Ready: func(ctx context.Context) error {
			if !a.site.Ready() {
				return cms.Errorf(cms.EUNAVAILABLE, "网站正在生成")
			}
			return a.db.Ping(ctx)
		},
		Replica:  a.site.Status,
		Building: a.site.Building,
		Logger:   a.log,
	})
	httpSrv := &http.Server{
		Handler:           bodyDeadline(srv, *bodyTimeout, *uploadTimeout),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}

	// The builder outlives the HTTP server on shutdown so an in-flight build
	// finishes and is recorded.
	siteCtx, stopSite := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSite()
	var wg sync.WaitGroup
	// Scheduled publication: first catch up on what came due while no
	// server ran, so the start-up build includes it, then every few seconds.
	// Each site publishes its own and queues its own build.
	sched := schedule.New(a.db, a.site, 0, a.log)
	for _, s := range a.site.Sites() {
		if _, err := sched.CatchUp(cms.NewContextWithSite(ctx, s.ID())); err != nil {
			a.log.Error("catching up on scheduled publication", "site", s.ID(), "err", err)
		}
	}
	a.site.OnEachSite(func(ctx context.Context) {
		// 网站体检 (issue 20): external links every 6 hours, the published
		// files against the last build's manifest every 10 minutes.
		go a.inspector().Background(ctx, a.log, 6*time.Hour, 10*time.Minute)
		_ = sched.Run(ctx)
	})
	wg.Go(func() {
		if err := a.site.Run(siteCtx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("site builder stopped", "err", err)
		}
	})
	wg.Go(func() { purgePersonalData(siteCtx, a.db, a.log) })
	// Build before listening: content may have changed while the server was
	// down (imports, another process). A failed build is recorded and the
	// server still starts so staff can fix the cause.
	// Replicas leave this to the elected builder, which starts its term
	// with a full build; the others serve the bucket's site once copied.
	// The default site builds now, as a single-site installation always
	// did; the platform's other sites are queued and go live in turn.
	if c.replica == "" {
		if b, err := a.site.BuildOnStart(ctx, "startup"); err != nil {
			a.log.Error("startup build failed; serving the last good site if there is one", "err", err, "build", buildID(b))
		}
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	fmt.Fprintf(c.stdout, "Huimin 已启动：http://%s/  管理后台：http://%s/admin/\n", ln.Addr(), ln.Addr())
	a.log.Info("serving", "addr", ln.Addr().String(), "data", c.data)

	select {
	case err := <-serveErr:
		stopSite()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: finishing in-flight requests and builds")
	srv.SetClosing()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = httpSrv.Shutdown(shutdownCtx)
	stopSite()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.log.Info("stopped")
	return nil
}

// firstStart prepares a new data directory: the first admin account, whose
// random password is printed once, and the demo campaign.
func firstStart(ctx context.Context, a *app, withDemo bool, stdout io.Writer) error {
	n, err := a.db.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := rand.Text()[:16]
	// The first account runs the platform: an admin of every site.
	u := &cms.User{Username: "admin", Name: "管理员", Role: cms.RoleAdmin, PlatformAdmin: true}
	if err := a.db.CreateUser(ctx, u, password); err != nil {
		return fmt.Errorf("create admin: %w", err)
	}
	fmt.Fprintf(stdout, "\n已创建管理员账号（密码只显示这一次，请妥善保存）：\n  用户名：admin\n  密码：%s\n\n", password)
	if !withDemo {
		return nil
	}
	if err := demo.Seed(ctx, demo.Services{
		Settings: a.db, Projects: a.db, Pages: a.db, Import: a.db, Stories: a.db, Admin: u,
	}); err != nil {
		return fmt.Errorf("seed demo campaign: %w", err)
	}
	fmt.Fprintln(stdout, "已创建演示内容：青溪区民政局服务品牌宣传示例。")
	return nil
}

// bodyDeadline bounds how long reading a request's body may take, so a
// client trickling a byte every few seconds cannot hold a connection open
// for good. http.Server.ReadTimeout would apply one bound to every request;
// uploads of phone photos over a slow mobile link need a longer one than a
// JSON edit, so the deadline is set per request from its content type.
func bodyDeadline(h http.Handler, body, upload time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 { // -1 (chunked) or a declared length
			d := body
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				d = upload
			}
			if d > 0 {
				_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
			}
		}
		h.ServeHTTP(w, r)
	})
}

// splitList splits a flag's list of addresses or hosts at commas and spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func buildID(b *cms.Build) int64 {
	if b == nil {
		return 0
	}
	return b.ID
}
