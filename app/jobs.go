package app

import (
	"context"
	"log/slog"
	"time"
)

// job is periodic work: run reports how many things it did (documents deleted, ...).
type job struct {
	name  string
	every time.Duration
	run   func(context.Context) (int64, error)
}

// runJobs runs each job once at once and then every job.every, each in its own goroutine, until
// ctx is done. Every job is logged alike: a failure as a warning (and tried again at the next
// tick), work done at Info, nothing when there was nothing to do. Like miniflux's scheduler.
func runJobs(ctx context.Context, logger *slog.Logger, jobs []job) {
	for _, j := range jobs {
		go func() {
			t := time.NewTicker(j.every)
			defer t.Stop()
			for {
				n, err := j.run(ctx)
				switch {
				case err != nil && ctx.Err() == nil:
					logger.Warn("periodic job failed", "job", j.name, "err", err)
				case n > 0:
					logger.Info("periodic job done", "job", j.name, "count", n)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
}
