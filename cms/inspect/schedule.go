package inspect

import (
	"context"
	"log/slog"
	"time"
)

// CheckExternal checks every external link of the live stories and
// standing pages now and stores the results; it returns how many failed.
func (in *Inspector) CheckExternal(ctx context.Context) (checked, broken int, err error) {
	stories, pages, settings, err := in.live(ctx)
	if err != nil {
		return 0, 0, err
	}
	urls, _, _ := externalLinks(stories, pages, siteHost(settings))
	if len(urls) == 0 {
		return 0, 0, nil
	}
	res := in.Checker.Check(ctx, urls)
	for _, r := range res {
		if !r.OK {
			broken++
		}
	}
	return len(res), broken, in.Store.SaveLinkChecks(ctx, res)
}

// Background checks the external links every externalEvery and compares
// the published files with the last build's manifest every tamperEvery,
// logging what it finds, until ctx is done. The first checks run a minute
// after the start, when the first build is likely live.
func (in *Inspector) Background(ctx context.Context, log *slog.Logger, externalEvery, tamperEvery time.Duration) {
	nextExternal := time.Now().Add(time.Minute)
	nextTamper := nextExternal
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if in.Site != nil && !now.Before(nextTamper) {
				nextTamper = now.Add(tamperEvery)
				found, err := in.Site.Tampered(ctx)
				switch {
				case err != nil:
					log.Warn("tamper check", "err", err)
				case len(found) > 0:
					log.Error("网站体检：发布的文件在构建之外被改动", "files", len(found), "first", found[0].Where+":"+found[0].Path+" "+found[0].Change)
				}
			}
			if !now.Before(nextExternal) {
				nextExternal = now.Add(externalEvery)
				n, bad, err := in.CheckExternal(ctx)
				if err != nil {
					log.Warn("external link check", "err", err)
				} else {
					log.Info("external links checked", "links", n, "broken", bad)
				}
			}
		}
	}
}
