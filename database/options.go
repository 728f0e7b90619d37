package database

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ginshop/ginshop/database/embedded"
)

// How Open can be told to connect differently (how to start the embedded database, tests, the
// benchmark, the lesson pages' command monitor), and the mark on background work's context.

// settings are what Options change.
type settings struct {
	client      []func(*options.ClientOptions)
	leaseTTL    time.Duration
	shareWriter bool
	ownServer   bool // the server was just started by this process: any lease in it is stale
	start       embedded.Starter
}

// Option changes how Open connects; the shop itself passes only EmbeddedServer.
type Option func(*settings)

// EmbeddedServer is how Open starts the embedded database when MONGODB_URI is empty: main.go
// passes inprocess.Start. Without it such an Open fails with embedded.ErrNotBuiltIn.
func EmbeddedServer(start embedded.Starter) Option {
	return func(s *settings) { s.start = start }
}

// WithMonitor lets m see every command both clients send, besides any monitor set before it
// (the lesson pages' and a test's).
func WithMonitor(m *event.CommandMonitor) Option {
	return func(s *settings) {
		s.client = append(s.client, func(o *options.ClientOptions) { o.SetMonitor(bothMonitors(o.Monitor, m)) })
	}
}

// bothMonitors is a monitor that calls first's functions, then then's.
func bothMonitors(first, then *event.CommandMonitor) *event.CommandMonitor {
	if first == nil {
		return then
	}
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			for _, f := range []func(context.Context, *event.CommandStartedEvent){first.Started, then.Started} {
				if f != nil {
					f(ctx, e)
				}
			}
		},
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			for _, f := range []func(context.Context, *event.CommandSucceededEvent){first.Succeeded, then.Succeeded} {
				if f != nil {
					f(ctx, e)
				}
			}
		},
		Failed: func(ctx context.Context, e *event.CommandFailedEvent) {
			for _, f := range []func(context.Context, *event.CommandFailedEvent){first.Failed, then.Failed} {
				if f != nil {
					f(ctx, e)
				}
			}
		},
	}
}

// WithHeartbeat makes the driver check the server every d instead of every 10 s, so a database
// that comes back is seen sooner (tests use 500 ms, the driver's minimum).
func WithHeartbeat(d time.Duration) Option {
	return func(s *settings) {
		s.client = append(s.client, func(o *options.ClientOptions) { o.SetHeartbeatInterval(d) })
	}
}

// WithWriterLease sets how long the writer lease lasts without renewal (DefaultLeaseTTL):
// how long a killed instance keeps others from starting. Tests shorten it.
func WithWriterLease(ttl time.Duration) Option {
	return func(s *settings) { s.leaseTTL = ttl }
}

// SharedWriterForTests lets this instance write to a database whose updates are not atomic
// across connections although another instance holds the writer lease. Concurrent updates of
// one document can then be lost: only the two-instance tests use it (apptest.StartBeside), to
// test what instances share, one step at a time.
func SharedWriterForTests() Option {
	return func(s *settings) { s.shareWriter = true }
}

// backgroundKey marks the context of work no request asked for (the periodic jobs).
type backgroundKey struct{}

// Background marks ctx as background work: the periodic jobs' queries. A test that counts the
// commands a page costs leaves them out (apptest.Commands).
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground tells whether ctx belongs to background work (Background).
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}
