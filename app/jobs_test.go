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

// TestPeriodicJobsRunSoonAfterStartThenEveryIntervalAndAreLoggedAlike: no job has run when
// runJobs returns (the shop serves first); every job runs once after the first wait, even one
// whose interval is far longer than the test; a short one runs again; work done is logged at
// Info and a failure as a warning, both with the job's name.
func TestPeriodicJobsRunSoonAfterStartThenEveryIntervalAndAreLoggedAlike(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var slow, fast atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	runJobs(ctx, logger, 500*time.Millisecond, []job{
		{name: "slow sweep", every: time.Hour, run: func(context.Context) (int64, error) { slow.Add(1); return 3, nil }},
		{name: "fast check", every: 10 * time.Millisecond, run: func(context.Context) (int64, error) {
			fast.Add(1)
			return 0, errors.New("database gone")
		}},
	})
	if slow.Load() != 0 || fast.Load() != 0 {
		t.Fatalf("jobs ran before runJobs returned: slow %d, fast %d", slow.Load(), fast.Load())
	}
	deadline := time.Now().Add(5 * time.Second)
	for fast.Load() < 3 || slow.Load() < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: slow ran %d times, fast %d", slow.Load(), fast.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if slow.Load() != 1 {
		t.Errorf("the hourly job ran %d times, want once after the first wait", slow.Load())
	}
	out := logs.String()
	for _, want := range []string{`level=INFO msg="periodic job done" job="slow sweep" count=3`, `level=WARN msg="periodic job failed" job="fast check" err="database gone"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}
