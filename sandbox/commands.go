package sandbox

import (
	"context"
	"sync"
)

// Command is one command a store sent for a request: for MongoDB as the driver's command
// monitor saw it, for the memory store its own operation.
type Command struct {
	Name       string // find, update, delete; MemoryStore.get, ...
	Collection string // lessonSandboxSessions, or "" for the memory store
	Detail     string // the filter and update as Extended JSON, values shortened
	Result     string // what the server answered, in short
	requestID  int64
}

// recorder collects the commands of one simulated request; it travels in the context, so the
// command monitor (which gets each command's context) knows whose command it sees.
type recorder struct {
	mu   sync.Mutex
	cmds []Command
}

type recorderKey struct{}

func withRecorder(ctx context.Context, r *recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
}

// unrecorded is ctx without its recorder: the sandbox's own housekeeping (evicting expired
// sessions) is not something express-session did, so it is not shown as the request's.
func unrecorded(ctx context.Context) context.Context {
	return context.WithValue(ctx, recorderKey{}, (*recorder)(nil))
}

func recorderFrom(ctx context.Context) *recorder {
	r, _ := ctx.Value(recorderKey{}).(*recorder)
	return r
}

func (r *recorder) add(c Command) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, c)
}

// answered fills in the result of the command with requestID.
func (r *recorder) answered(requestID int64, result string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.cmds {
		if r.cmds[i].requestID == requestID {
			r.cmds[i].Result = result
		}
	}
}

func (r *recorder) commands() []Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Command(nil), r.cmds...)
}
