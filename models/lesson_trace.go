package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// LessonTraceTTL is how long a lesson page can show what a request did: long enough to read
// it after the redirect and a reload, short enough that the collection stays small.
const LessonTraceTTL = 10 * time.Minute

// LessonRequest is what one request did to its session, as the lesson pages show it ("what
// just happened"): the cookies that crossed, how the session was loaded, the store's commands
// and decisions, and the Node line that does the same. Ids and signatures are shortened
// before they get here.
type LessonRequest struct {
	Request    string          `bson:"request"` // "POST /lessons/session/value"
	Cookie     string          `bson:"cookie"`  // the Cookie header the browser sent
	SetCookies []string        `bson:"setCookies"`
	Load       string          `bson:"load"` // new, found, refused
	LoadWhy    string          `bson:"loadWhy"`
	Commands   []LessonCommand `bson:"commands"`
	Decisions  []string        `bson:"decisions"`
	Node       string          `bson:"node"` // the Node course's line for the action
	At         time.Time       `bson:"at"`
}

// LessonCommand is one command the session store sent.
type LessonCommand struct {
	Store      string `bson:"store"` // mongodb or memory
	Name       string `bson:"name"`
	Collection string `bson:"collection"`
	Detail     string `bson:"detail"`
}

// LessonTraceModel keeps a lesson action's request for the page the browser is redirected to,
// which may be served by another instance: in the database, by a random _id that only the
// redirect's URL carries.
type LessonTraceModel struct {
	coll, reads *mongo.Collection
}

// LessonTrace is what a lesson action leaves for the page after its redirect.
type LessonTrace struct {
	ID       string          `bson:"_id"`
	Expires  time.Time       `bson:"expires"`
	Requests []LessonRequest `bson:"requests"`
	// SessionID is the whole id of the session the action ended (forget-cookie, destroy, login),
	// so the next page can look its document up as evidence. Never shown whole.
	SessionID string `bson:"sessionId,omitempty"`
}

// Keep stores t under a new random id and returns the id.
func (m *LessonTraceModel) Keep(ctx context.Context, t LessonTrace, now time.Time) (string, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	t.ID = base64.RawURLEncoding.EncodeToString(b)
	t.Expires = now.Add(LessonTraceTTL)
	_, err := m.coll.InsertOne(ctx, t)
	return t.ID, err
}

// Find returns what is kept under id, or ErrNotFound (unknown or expired).
func (m *LessonTraceModel) Find(ctx context.Context, id string, now time.Time) (LessonTrace, error) {
	var t LessonTrace
	if err := m.reads.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&t); err != nil {
		return LessonTrace{}, notFound(err)
	}
	if !t.Expires.After(now) {
		return LessonTrace{}, ErrNotFound
	}
	return t, nil
}

// Sweep deletes the expired traces.
func (m *LessonTraceModel) Sweep(ctx context.Context, now time.Time) (int64, error) {
	res, err := m.coll.DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: now}}}})
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}
