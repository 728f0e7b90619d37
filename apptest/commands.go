package apptest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/ginshop/ginshop/database"
)

// Commands records the database commands a shop sends (the driver's command monitor), so a test
// or the benchmark can say how many commands a page costs.
type Commands struct {
	mu   sync.Mutex
	seen []string // "find products", "update sessions", ...
}

// Option is the database option that makes Commands see every command of both clients.
func (c *Commands) Option() database.Option {
	return database.WithMonitor(&event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			if target(e.Command) == database.Leases || database.IsBackground(ctx) {
				return // the periodic jobs (the writer lease, the index passes) run whatever the pages do
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			c.seen = append(c.seen, e.CommandName+" "+target(e.Command))
		},
	})
}

// target is the collection a command names (its first field's value), if any.
func target(cmd bson.Raw) string {
	elems, err := cmd.Elements()
	if err != nil || len(elems) == 0 {
		return ""
	}
	s, _ := elems[0].Value().StringValueOK()
	return s
}

// Reset forgets what was seen so far.
func (c *Commands) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = nil
}

// Seen returns the commands since the last Reset, in order.
func (c *Commands) Seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

// Writes returns the commands since the last Reset that change data.
func (c *Commands) Writes() []string {
	var w []string
	for _, s := range c.Seen() {
		switch strings.Fields(s + " ")[0] {
		case "insert", "update", "delete", "findAndModify":
			w = append(w, s)
		}
	}
	return w
}

// Summary counts the commands since the last Reset by name and collection ("find sessions: 2").
func (c *Commands) Summary() string {
	n := map[string]int{}
	for _, s := range c.Seen() {
		n[s]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, n[k])
	}
	return strings.Join(parts, ", ")
}
