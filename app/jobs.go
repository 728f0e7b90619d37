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

// runJobs starts each job in its own goroutine until ctx is done: a job with an interval runs
// every job.every, and whenever woken; a job with a gap waits its gap before each run. Nothing
// runs at start: on a large shop a sweeper's pass reads a whole collection (100,000 sessions
// take seconds on the embedded database), and the first pages must not wait for it nor share
// the CPU with it; what expired meanwhile is refused when read anyway. Every run is logged
// alike: a failure as a warning (tried again at the next tick), work done at Info, nothing when
// there was nothing to do. Like miniflux's scheduler.
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
