package sessionstore

import (
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Saving a session (req.session.save), and the two ways its document goes away: destroy and
// regenerate.

// save stores what the request changed and sets the cookie (req.session.save()):
//   - a new session without values is not stored (saveUninitialized: false);
//   - a stored session is written only when a key changed (resave: false), and then only the
//     changed keys: $set session.<key> for a new value, $unset session.<key> for a deleted one.
func (s *Store) save(sess *Session) error {
	ctx, cancel := s.opContext(sess.ctx)
	defer cancel()
	now := s.now()

	if sess.id == "" {
		if !sess.hasValues() {
			if len(sess.dirty) > 0 || sess.trace != nil {
				sess.trace.decided("not stored: the session is new and holds nothing (saveUninitialized: false)")
			}
			return nil
		}
		values, err := encodeFields(sess.values)
		if err != nil {
			return err
		}
		// A new id every time a session is first stored: a presented (maybe stale or forged)
		// id is never reused. InsertOne cannot overwrite another session.
		id := newID()
		sess.createdAt = now
		expires := s.expiry(sess, now)
		if err := s.docs.insert(ctx, id, s.document(id, now, expires, values)); err != nil {
			return unavailable("insert session", err)
		}
		sess.trace.decided("inserted: something was put in a new session, so it is stored (and the cookie sent)")
		sess.id, sess.expires = id, expires
		if err := s.remember(sess, values); err != nil {
			return err
		}
		s.writeCookie(sess)
		return nil
	}

	set, unset, changed, err := s.changes(sess)
	if err != nil {
		return err
	}
	if len(set) == 0 && len(unset) == 0 {
		if sess.refresh {
			s.writeCookie(sess) // touched on load and not yet re-sent
		}
		return nil
	}
	expires := s.expiry(sess, now)
	if expires.Before(sess.expires) {
		expires = sess.expires // never shorten a session another app gave longer
	}
	set = append(set, bson.E{Key: "expires", Value: expires})
	if !sess.browserSession { // a browser-session cookie's description keeps expires: null
		set = append(set, bson.E{Key: "session.cookie.expires", Value: expires})
	}
	// No upsert: if the document was deleted meanwhile (logout in another tab, password
	// reset ending all sessions), the session must stay dead.
	matched, err := s.docs.update(ctx, sess.id, set, unset)
	if err != nil {
		return unavailable("save session", err)
	}
	if !matched {
		sess.trace.decided("not written: the document is gone (destroyed elsewhere); the cookie is expired")
		s.expireCookie(sess.w)
		sess.reset()
		return nil
	}
	sess.trace.decided("updated: the request changed " + joinKeys(changed) + ", so only that is written")
	sess.expires = expires
	clear(sess.dirty)
	s.writeCookie(sess)
	return nil
}

// changes is the $set and $unset a save needs: the dirty keys whose value differs from the
// loaded one.
func (s *Store) changes(sess *Session) (set bson.D, unset []string, changed []string, err error) {
	for k := range sess.dirty {
		v, present := sess.values[k]
		if !present {
			if _, stored := sess.loaded[k]; stored {
				unset = append(unset, "session."+k)
				changed = append(changed, k)
				delete(sess.loaded, k)
			}
			continue
		}
		ev, err := encodeField(k, v)
		if err != nil {
			return nil, nil, nil, err
		}
		b, err := fieldBytes(k, ev)
		if err != nil {
			return nil, nil, nil, err
		}
		if string(b) == string(sess.loaded[k]) {
			continue
		}
		if subSet, subUnset, ok := subChanges(k, sess.loaded[k], ev); ok {
			// Both the stored and the new value are documents (session.lesson, flash): write
			// only the sub-keys that changed, so parallel requests that each add a lesson
			// value or a flash of another type keep both.
			set, unset = append(set, subSet...), append(unset, subUnset...)
		} else {
			set = append(set, bson.E{Key: "session." + k, Value: ev})
		}
		changed = append(changed, k)
		sess.loaded[k] = b
	}
	slices.Sort(changed)
	slices.Sort(unset)
	slices.SortFunc(set, func(a, b bson.E) int { return strings.Compare(a.Key, b.Key) })
	return set, unset, changed, nil
}

// subChanges compares a document value with the one loaded (loaded holds {k: value} as BSON,
// nil when k was not stored), sub-key by sub-key: $set for new or changed sub-keys, $unset for
// removed ones. Parallel requests that each add a lesson value or a flash of another type keep
// both, even when the document did not exist yet (MongoDB creates the parent). ok is false when
// a whole-value $set is needed: the value is not a document, the stored one was not a
// document, or the value is an empty document where none was stored.
func subChanges(k string, loaded []byte, ev any) (set bson.D, unset []string, ok bool) {
	newDoc, isDoc := ev.(bson.D)
	if !isDoc {
		return nil, nil, false
	}
	oldBytes := map[string][]byte{}
	if loaded != nil {
		old, isOld := bson.Raw(loaded).Lookup(k).DocumentOK()
		if !isOld {
			return nil, nil, false
		}
		elems, err := old.Elements()
		if err != nil {
			return nil, nil, false
		}
		for _, e := range elems {
			b, err := fieldBytes(e.Key(), e.Value())
			if err != nil {
				return nil, nil, false
			}
			oldBytes[e.Key()] = b
		}
	}
	if len(newDoc) == 0 && len(oldBytes) == 0 {
		return nil, nil, false
	}
	prefix := "session." + k + "."
	for _, e := range newDoc {
		b, err := fieldBytes(e.Key, e.Value)
		if err != nil {
			return nil, nil, false
		}
		if string(b) != string(oldBytes[e.Key]) {
			set = append(set, bson.E{Key: prefix + e.Key, Value: e.Value})
		}
		delete(oldBytes, e.Key)
	}
	for sub := range oldBytes {
		unset = append(unset, prefix+sub)
	}
	return set, unset, true
}

// remember records the stored values as loaded, after an insert.
func (s *Store) remember(sess *Session, values bson.D) error {
	clear(sess.dirty)
	clear(sess.loaded)
	for _, e := range values {
		b, err := fieldBytes(e.Key, e.Value)
		if err != nil {
			return err
		}
		sess.loaded[e.Key] = b
	}
	return nil
}

// destroy deletes the session's document and expires its cookie: req.session.destroy() and
// res.clearCookie().
func (s *Store) destroy(sess *Session) error {
	var err error
	if sess.id != "" {
		ctx, cancel := s.opContext(sess.ctx)
		defer cancel()
		if derr := s.docs.delete(ctx, sess.id); derr != nil {
			err = unavailable("delete session", derr)
		} else {
			sess.trace.decided("deleted by destroy: the document is gone and the cookie expired")
		}
	}
	// Expire the cookie even if the delete failed: the browser forgets the id either way.
	s.expireCookie(sess.w)
	sess.reset()
	return err
}

// regenerate deletes the session's document and empties it; the next save stores it under a
// new id (req.session.regenerate()).
func (s *Store) regenerate(sess *Session) error {
	if sess.id != "" {
		ctx, cancel := s.opContext(sess.ctx)
		defer cancel()
		if err := s.docs.delete(ctx, sess.id); err != nil {
			return unavailable("delete old session", err)
		}
		sess.trace.decided("regenerated: the old document is deleted; the values go under a new id")
	}
	sess.reset()
	return nil
}
