package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/huimin/huimin/cms"
)

// purgeEvery is how often serve erases the personal data of messages
// closed longer ago than the retention period (issue 17).
const purgeEvery = time.Hour

// purgePersonalData erases, now and every purgeEvery until ctx ends, the
// names and phone numbers the retention setting no longer allows keeping.
// Replicas may all run it: the erasure is one conditional update.
func purgePersonalData(ctx context.Context, svc cms.InteractService, log *slog.Logger) {
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		if n, err := svc.PurgePersonal(ctx); err != nil && ctx.Err() == nil {
			log.Error("erasing personal data past retention", "err", err)
		} else if n > 0 {
			log.Info("personal data past retention erased", "messages", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
