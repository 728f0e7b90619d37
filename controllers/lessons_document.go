package controllers

import "go.mongodb.org/mongo-driver/v2/bson"

// How the session lab prints a stored session document: as the database holds it, minus what a
// page must never show.

// labDocumentJSON renders a stored session as pretty Extended JSON, with what a page must never
// print masked: the session id and CSRF secret shortened, and the password hash and reset token
// that a session written by the Node app (req.session.user = user) carries dropped.
func labDocumentJSON(raw bson.Raw) (string, error) {
	var doc bson.D
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return "", err
	}
	maskField(doc, shortenAny, "_id")
	maskField(doc, shortenAny, "session", "csrfSecret")
	maskField(doc, hidden, "session", "user", "password")
	maskField(doc, hidden, "session", "user", "resetToken")
	b, err := bson.MarshalExtJSONIndent(doc, false, false, "", "  ")
	return string(b), err
}

// maskField replaces the value at path, if it is there, with mask(value).
func maskField(doc bson.D, mask func(any) any, path ...string) {
	for i := range doc {
		if doc[i].Key != path[0] {
			continue
		}
		if len(path) == 1 {
			doc[i].Value = mask(doc[i].Value)
		} else if sub, ok := doc[i].Value.(bson.D); ok {
			maskField(sub, mask, path[1:]...)
		}
		return
	}
}

func shortenAny(v any) any {
	if s, ok := v.(string); ok {
		return shorten(s)
	}
	return v
}

func hidden(any) any { return "(hidden: never shown, and never stored by Gin Shop)" }
