package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedBuffer is a log destination the jobs' goroutines and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPeriodicJobsRunEveryIntervalNotAtStartAndAreLoggedAlike: no job has run when runJobs
// returns, nor does an hourly one within the test (the shop serves first); short ones run
// every interval; work done is logged at Info and a failure as a warning, both with the job's
// name.
func TestPeriodicJobsRunEveryIntervalNotAtStartAndAreLoggedAlike(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var hourly, sweep, check atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	runJobs(ctx, logger, []job{
		{name: "hourly sweep", every: time.Hour, run: func(context.Context) (int64, error) { hourly.Add(1); return 1, nil }},
		{name: "quick sweep", every: 20 * time.Millisecond, run: func(context.Context) (int64, error) { sweep.Add(1); return 3, nil }},
		{name: "fast check", every: 10 * time.Millisecond, run: func(context.Context) (int64, error) {
			check.Add(1)
			return 0, errors.New("database gone")
		}},
	})
	if n := hourly.Load() + sweep.Load() + check.Load(); n != 0 {
		t.Fatalf("%d job runs before runJobs returned; want none at start", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for check.Load() < 3 || sweep.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: quick sweep ran %d times, fast check %d", sweep.Load(), check.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if hourly.Load() != 0 {
		t.Errorf("the hourly job ran %d times within the test", hourly.Load())
	}
	out := logs.String()
	for _, want := range []string{`level=INFO msg="periodic job done" job="quick sweep" count=3`, `level=WARN msg="periodic job failed" job="fast check" err="database gone"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}
