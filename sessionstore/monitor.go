package sessionstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
)

// CommandMonitor records, for a traced request (see Trace), every command the driver sends to
// the sessions collection, as the driver's command monitor sees it. Other requests carry no
// trace in their context: for them it is one context lookup per command, nothing else.
func CommandMonitor(collection string) *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(ctx context.Context, e *event.CommandStartedEvent) {
		t := TraceFrom(ctx)
		if t == nil {
			return
		}
		if coll, _ := e.Command.Lookup(e.CommandName).StringValueOK(); coll == collection {
			t.Record(Command{Store: "mongodb", Name: e.CommandName, Collection: coll, Detail: describeCommand(e.CommandName, e.Command)})
		}
	}}
}

// describeCommand is the part of a command a student needs: the filter, the update's operators
// and field names, the inserted document's fields, with values shortened.
func describeCommand(name string, cmd bson.Raw) string {
	switch name {
	case "find":
		return "filter " + short(cmd.Lookup("filter"), 0)
	case "insert":
		docs, _ := cmd.Lookup("documents").ArrayOK()
		vals, _ := docs.Values()
		parts := make([]string, 0, len(vals))
		for _, v := range vals {
			parts = append(parts, short(v, 0))
		}
		return "document " + strings.Join(parts, ", ")
	case "update", "delete":
		key := map[string]string{"update": "updates", "delete": "deletes"}[name]
		ops, _ := cmd.Lookup(key).ArrayOK()
		vals, _ := ops.Values()
		parts := make([]string, 0, len(vals))
		for _, v := range vals {
			op, _ := v.DocumentOK()
			s := "filter " + short(op.Lookup("q"), 0)
			if u, err := op.LookupErr("u"); err == nil {
				s += ", update " + short(u, 0)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// short prints a BSON value the way mongosh would, but shortened: strings after six characters
// (a session id or signature is never shown whole), dates as their time, and documents below
// the second level as {…}.
func short(v bson.RawValue, depth int) string {
	switch v.Type {
	case bson.TypeString:
		return fmt.Sprintf("%q", Shorten(v.StringValue()))
	case bson.TypeDateTime:
		return "Date(" + time.UnixMilli(v.DateTime()).UTC().Format("15:04:05") + ")"
	case bson.TypeObjectID:
		return "ObjectId(" + Shorten(v.ObjectID().Hex()) + ")"
	case bson.TypeEmbeddedDocument:
		if depth >= 2 {
			return "{…}"
		}
		elems, _ := v.Document().Elements()
		parts := make([]string, 0, len(elems))
		for _, e := range elems {
			parts = append(parts, e.Key()+": "+short(e.Value(), depth+1))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		parts := make([]string, 0, len(vals))
		for _, e := range vals {
			parts = append(parts, short(e, depth+1))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return v.String()
}
