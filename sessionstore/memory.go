package sessionstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// NewMemory returns a Store that keeps its documents in this process instead of a collection:
// the course's first step, express-session's default MemoryStore
//
//	app.use(session({secret: 'my secret', resave: false, saveUninitialized: false}))
//
// Same cookie, same expiry rules, same documents; but nothing reaches the database, every
// instance has its own sessions, and a restart logs everyone out. For development only.
func NewMemory(cfg Config) (*Store, error) {
	return newStore(&memory{docs: map[string]bson.Raw{}}, cfg)
}

// InMemory reports whether the store keeps sessions in this process (NewMemory).
func (s *Store) InMemory() bool {
	_, ok := s.docs.(*memory)
	return ok
}

// memory holds each document as BSON bytes, so a caller can never change a stored session
// behind the store's back, just as with a database.
type memory struct {
	mu   sync.Mutex
	docs map[string]bson.Raw
}

func (m *memory) find(_ context.Context, id string) (bson.Raw, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	raw, ok := m.docs[id]
	if !ok {
		return nil, errNoDocument
	}
	return raw, nil
}

func (m *memory) findInStep(ctx context.Context, id string) (bson.Raw, error) { return m.find(ctx, id) }

func (m *memory) insert(_ context.Context, id string, doc bson.D) error {
	raw, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.docs[id]; taken {
		return errors.New("sessionstore: duplicate session id") // like the collection's unique _id
	}
	m.docs[id] = raw
	return nil
}

func (m *memory) set(_ context.Context, id string, fields bson.D) (bool, error) {
	return m.edit(id, func(doc bson.D) bson.D {
		for _, f := range fields {
			doc = setTop(doc, f.Key, f.Value)
		}
		return doc
	})
}

func (m *memory) recordStart(_ context.Context, id string, createdAt time.Time) error {
	_, err := m.edit(id, func(doc bson.D) bson.D {
		for _, e := range doc {
			if e.Key == "createdAt" {
				return doc
			}
		}
		return append(doc, bson.E{Key: "createdAt", Value: createdAt})
	})
	return err
}

func (m *memory) touch(_ context.Context, id string, expires time.Time) (bool, error) {
	return m.edit(id, func(doc bson.D) bson.D {
		setPath(doc, expires, "expires")
		setPath(doc, expires, "session", "cookie", "expires")
		return doc
	})
}

// edit rewrites the stored document id with change, under the lock (one update at a time, as
// the single writer connection does on FerretDB); false when there is no such document.
func (m *memory) edit(id string, change func(bson.D) bson.D) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	raw, ok := m.docs[id]
	if !ok {
		return false, nil
	}
	var doc bson.D
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return false, err
	}
	raw, err := bson.Marshal(change(doc))
	if err != nil {
		return false, err
	}
	m.docs[id] = raw
	return true, nil
}

// setTop sets a top-level field, adding it when missing, like $set on a plain name.
func setTop(doc bson.D, key string, value any) bson.D {
	for i := range doc {
		if doc[i].Key == key {
			doc[i].Value = value
			return doc
		}
	}
	return append(doc, bson.E{Key: key, Value: value})
}

func (m *memory) delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.docs, id)
	return nil
}

func (m *memory) deleteUser(_ context.Context, userID bson.ObjectID, exceptID string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for id, raw := range m.docs {
		v, err := raw.LookupErr("session", "user", "_id")
		if oid, ok := v.ObjectIDOK(); err == nil && ok && oid == userID && id != exceptID {
			delete(m.docs, id)
			n++
		}
	}
	return n, nil
}

func (m *memory) sweep(_ context.Context, now, createdBefore time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for id, raw := range m.docs {
		if dateAtMost(raw, "expires", now) || dateAtMost(raw, "createdAt", createdBefore) {
			delete(m.docs, id)
			n++
		}
	}
	return n, nil
}

// ensureExpiryIndex: a map has no TTL index, so the app runs the sweeper, as on FerretDB.
func (m *memory) ensureExpiryIndex(context.Context) (bool, error) { return false, nil }

// dateAtMost matches a document the way the filter {key: {$lte: t}} would: only when the
// field is a date.
func dateAtMost(raw bson.Raw, key string, t time.Time) bool {
	dt, ok := raw.Lookup(key).DateTimeOK()
	return ok && dt <= t.UnixMilli()
}

// setPath sets an existing field of doc, following sub-documents, like $set on "a.b.c"; the
// documents the store writes always have these fields.
func setPath(doc bson.D, value any, path ...string) {
	for i := range doc {
		if doc[i].Key != path[0] {
			continue
		}
		if len(path) == 1 {
			doc[i].Value = value
		} else if sub, ok := doc[i].Value.(bson.D); ok {
			setPath(sub, value, path[1:]...)
		}
		return
	}
}
