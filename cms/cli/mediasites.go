package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/huimin/huimin/cms"
)

// sharedMediaMoved names the file in the data directory that says every
// site's media files are in the site's own place: the release before
// per-site media kept all sites' files at the shared root. Only that
// release could leave files there for a site other than the default one,
// so once a start-up has moved them all the check is not made again (it
// asks storage about every item of every site).
const sharedMediaMoved = "media-per-site.done"

// moveSharedMedia gives each site its own copy of the media files an
// earlier release kept for it at the shared root (media.SiteStorage.
// MoveSharedFiles), once per data directory. A failure is returned: the
// server would otherwise serve sites whose pictures are missing.
func moveSharedMedia(ctx context.Context, a *app, data string) error {
	done := filepath.Join(data, sharedMediaMoved)
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	sites, err := a.db.FindSites(cms.NewContextAllSites(ctx))
	if err != nil {
		return fmt.Errorf("media per site: %w", err)
	}
	start := time.Now()
	n, err := a.files.MoveSharedFiles(ctx, sites, a.db)
	if err != nil {
		return fmt.Errorf("media per site: %w", err)
	}
	if n > 0 {
		a.log.Info("media per site: copied shared files to their sites", "items", n, "duration", time.Since(start))
	}
	msg := "Every site's media files are in the site's own place (sites/<slug>/media); see README, Many sites.\n"
	return os.WriteFile(done, []byte(msg), 0o600)
}
