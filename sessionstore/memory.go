package sessionstore

import (
	"context"
	"errors"
	"strings"
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
// It holds at most Config.MemoryCap sessions (10,000 by default): storing one more evicts the
// one that expires first, so a flood of new sessions cannot grow the process without bound.
func NewMemory(cfg Config) (*Store, error) {
	if cfg.MemoryCap == 0 {
		cfg.MemoryCap = 10_000
	}
	if cfg.MemoryCap < 0 {
		return nil, errors.New("sessionstore: MemoryCap must be positive")
	}
	return newStore(&memory{docs: map[string]bson.Raw{}, limit: cfg.MemoryCap}, cfg)
}

// InMemory reports whether the store keeps sessions in this process (NewMemory).
func (s *Store) InMemory() bool {
	_, ok := s.docs.(*memory)
	return ok
}

// memory holds each document as BSON bytes, so a caller can never change a stored session
// behind the store's back, just as with a database.
type memory struct {
	mu    sync.Mutex
	docs  map[string]bson.Raw
	limit int
}

func (m *memory) find(ctx context.Context, id string) (bson.Raw, error) {
	recordMemory(ctx, "get", id)
	m.mu.Lock()
	defer m.mu.Unlock()
	raw, ok := m.docs[id]
	if !ok {
		return nil, errNoDocument
	}
	return raw, nil
}

func (m *memory) insert(ctx context.Context, id string, doc bson.D) error {
	recordMemory(ctx, "set (new)", id)
	raw, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.docs[id]; taken {
		return errors.New("sessionstore: duplicate session id") // like the collection's unique _id
	}
	if len(m.docs) >= m.limit {
		m.evictFirstToExpire()
	}
	m.docs[id] = raw
	return nil
}

func (m *memory) update(ctx context.Context, id string, set bson.D, unset []string) (bool, error) {
	recordMemory(ctx, "set (changed keys)", id)
	return m.edit(id, func(doc bson.D) bson.D {
		for _, f := range set {
			doc = setDotted(doc, strings.Split(f.Key, "."), f.Value)
		}
		for _, k := range unset {
			doc = unsetDotted(doc, strings.Split(k, "."))
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

func (m *memory) touch(ctx context.Context, id string, expires time.Time, cookieToo bool) (bool, error) {
	recordMemory(ctx, "touch", id)
	return m.edit(id, func(doc bson.D) bson.D {
		doc = setDotted(doc, []string{"expires"}, expires)
		if cookieToo {
			doc = setDotted(doc, []string{"session", "cookie", "expires"}, expires)
		}
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

// setDotted sets the field at path, adding it (and the sub-documents on the way) when missing,
// like $set on "a.b.c".
func setDotted(doc bson.D, path []string, value any) bson.D {
	for i := range doc {
		if doc[i].Key != path[0] {
			continue
		}
		if len(path) == 1 {
			doc[i].Value = value
		} else {
			sub, _ := doc[i].Value.(bson.D)
			doc[i].Value = setDotted(sub, path[1:], value)
		}
		return doc
	}
	if len(path) == 1 {
		return append(doc, bson.E{Key: path[0], Value: value})
	}
	return append(doc, bson.E{Key: path[0], Value: setDotted(nil, path[1:], value)})
}

// unsetDotted removes the field at path, like $unset on "a.b.c".
func unsetDotted(doc bson.D, path []string) bson.D {
	for i := range doc {
		if doc[i].Key != path[0] {
			continue
		}
		if len(path) == 1 {
			return append(doc[:i:i], doc[i+1:]...)
		}
		if sub, ok := doc[i].Value.(bson.D); ok {
			doc[i].Value = unsetDotted(sub, path[1:])
		}
		return doc
	}
	return doc
}

func (m *memory) delete(ctx context.Context, id string) error {
	recordMemory(ctx, "destroy", id)
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

// evictFirstToExpire drops the session whose expiry comes first (an expired one, if any).
// A scan of the map: it only runs when the store is full.
func (m *memory) evictFirstToExpire() {
	first, firstAt := "", int64(0)
	for id, raw := range m.docs {
		at, _ := raw.Lookup("expires").DateTimeOK()
		if first == "" || at < firstAt {
			first, firstAt = id, at
		}
	}
	delete(m.docs, first)
}
