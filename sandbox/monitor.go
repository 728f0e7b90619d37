package sandbox

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
)

// Monitor is the command monitor for the sandbox's own MongoDB client: every command it sees
// is added, with the server's answer, to the simulated request whose context sent it. Commands
// sent without a request (the page reading the document afterwards) are not recorded.
func Monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(ctx context.Context, e *event.CommandStartedEvent) {
			rec := recorderFrom(ctx)
			if rec == nil {
				return
			}
			name, detail := describe(e.CommandName, e.Command)
			rec.add(Command{Name: e.CommandName, Collection: name, Detail: detail, requestID: e.RequestID})
		},
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			recorderFrom(ctx).answered(e.RequestID, answer(e.CommandName, e.Reply))
		},
		Failed: func(ctx context.Context, e *event.CommandFailedEvent) {
			recorderFrom(ctx).answered(e.RequestID, "failed: "+e.Failure.Error())
		},
	}
}

// describe names a command's collection and the parts a student reads: the filter, the update
// with its operators and field names, upsert; values shortened.
func describe(command string, cmd bson.Raw) (collection, detail string) {
	collection, _ = cmd.Lookup(command).StringValueOK()
	var parts []string
	add := func(label string, v bson.RawValue) {
		if doc, ok := v.DocumentOK(); ok {
			if s, err := extJSON(doc, ""); err == nil {
				parts = append(parts, label+" "+s)
			}
		}
	}
	switch command {
	case "find":
		add("filter", cmd.Lookup("filter"))
	case "update", "delete":
		list := "updates"
		if command == "delete" {
			list = "deletes"
		}
		stmts, _ := cmd.Lookup(list).Array().Values()
		for _, st := range stmts {
			add("filter", st.Document().Lookup("q"))
			add("update", st.Document().Lookup("u"))
			if up, ok := st.Document().Lookup("upsert").BooleanOK(); ok && up {
				parts = append(parts, "upsert: true")
			}
		}
	}
	return collection, strings.Join(parts, ", ")
}

// answer says in short what the server replied.
func answer(command string, reply bson.Raw) string {
	n, _ := reply.Lookup("n").AsInt64OK()
	switch command {
	case "find":
		docs, _ := reply.Lookup("cursor", "firstBatch").Array().Values()
		if len(docs) == 0 {
			return "no document"
		}
		return fmt.Sprintf("%d document", len(docs))
	case "update":
		modified, _ := reply.Lookup("nModified").AsInt64OK()
		if _, ok := reply.Lookup("upserted").ArrayOK(); ok {
			return "inserted (upsert)"
		}
		return fmt.Sprintf("matched %d, modified %d", n, modified)
	case "delete":
		return fmt.Sprintf("deleted %d", n)
	}
	return "ok"
}

// extJSON renders a document as relaxed Extended JSON (as mongosh shows it) with long strings
// (session ids) shortened; indent "" gives one line.
func extJSON(raw bson.Raw, indent string) (string, error) {
	var doc bson.D
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return "", err
	}
	shortenStrings(doc)
	var b []byte
	var err error
	if indent == "" {
		b, err = bson.MarshalExtJSON(doc, false, false)
	} else {
		b, err = bson.MarshalExtJSONIndent(doc, false, false, "", indent)
	}
	return string(b), err
}

func shortenStrings(doc bson.D) {
	for i := range doc {
		switch v := doc[i].Value.(type) {
		case string:
			doc[i].Value = shortenLong(v)
		case bson.D:
			shortenStrings(v)
		case bson.A:
			for j := range v {
				if s, ok := v[j].(string); ok {
					v[j] = shortenLong(s)
				} else if d, ok := v[j].(bson.D); ok {
					shortenStrings(d)
				}
			}
		}
	}
}

// longString is where shortening starts: session ids (32 characters) are cut, the sandbox's
// values (a time of day) and cookie paths are not.
const longString = 24

func shortenLong(s string) string {
	if utf8.RuneCountInString(s) <= longString {
		return s
	}
	return shorten(s)
}

// shorten keeps the first 6 characters and marks the cut: the page names an id without
// printing it whole.
func shorten(s string) string {
	if len(s) <= 6 {
		return s
	}
	return s[:6] + "…"
}

// shortenText shortens the session ids inside a text (the memory store's JSON holds none, but
// its values may be long).
func shortenText(s string) string {
	if utf8.RuneCountInString(s) <= 400 {
		return s
	}
	return string([]rune(s)[:400]) + "…"
}
