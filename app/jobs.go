package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/ginshop/ginshop/database"
)

// job is periodic work: run reports how many things it did (documents deleted, ...).
type job struct {
	name  string
	every time.Duration
	run   func(context.Context) (int64, error)
	// gap, when set, replaces every with a wait the job computes after each run, and the job
	// does not run at start (the index passes: their cost grows with the data).
	gap func() time.Duration
	// wake, when set, runs the job at once whenever something arrives on it, besides every
	// (the cart cleanup after a product is deleted).
	wake <-chan struct{}
}

// runJobs runs each job once now, one after the other, before the shop serves (so start-up work
// does not mix with the first requests), then every job.every, each in its own goroutine, until
// ctx is done. Every run is logged alike: a failure as a warning (tried again at the next tick),
// work done at Info, nothing when there was nothing to do. Like miniflux's scheduler.
func runJobs(ctx context.Context, logger *slog.Logger, jobs []job) {
	run := func(j job) {
		n, err := j.run(database.Background(ctx))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("periodic job failed", "job", j.name, "err", err)
		case n > 0:
			logger.Info("periodic job done", "job", j.name, "count", n)
		}
	}
	for _, j := range jobs {
		if j.gap == nil {
			run(j)
		}
	}
	for _, j := range jobs {
		go func() {
			if j.gap != nil {
				for {
					select {
					case <-ctx.Done():
						return
					case <-time.After(j.gap()):
						run(j)
					}
				}
			}
			t := time.NewTicker(j.every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					run(j)
				case <-j.wake: // nil for most jobs: never ready
					run(j)
				}
			}
		}()
	}
}
