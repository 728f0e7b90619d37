package sessionstore

import (
	"context"
	"time"
)

// Expiry is always enforced when a session is loaded; these only keep the collection
// from filling up with dead sessions. connect-mongodb-session relies on a TTL index
// alone; FerretDB v1 has none, so the app runs the sweeper when EnsureExpiryIndex
// reports false.

// EnsureExpiryIndex creates the TTL index {expires: 1} with expireAfterSeconds: 0, so
// the server deletes a session once its expires date has passed. It returns
// (false, nil) when the server refuses (FerretDB v1 answers NotImplemented, or an
// existing index conflicts), and an error wrapping ErrUnavailable only when the
// server could not be reached.
func (s *Store) EnsureExpiryIndex(ctx context.Context) (ttl bool, err error) {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	if ttl, err = s.docs.ensureExpiryIndex(ctx); err != nil {
		return false, unavailable("create expiry index", err)
	}
	return ttl, nil
}

// Sweep deletes the sessions that have expired (idle or absolute timeout) and returns
// how many it deleted.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	// A sweep reads the whole collection where the server cannot filter (FerretDB): it may take
	// longer than one page's operation, and it holds no connection a page waits for.
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SweepTimeout)
	defer cancel()
	now := s.now()
	// Same rule as loading: expires <= now, or created more than AbsoluteTimeout ago
	// (the second only matters if AbsoluteTimeout was shortened since the session was saved).
	n, err := s.docs.sweep(ctx, now, now.Add(-s.cfg.AbsoluteTimeout))
	if err != nil {
		return 0, unavailable("sweep expired sessions", err)
	}
	return n, nil
}

// expiry is when a session used at now ends: after its idle time of inactivity, but never
// later than AbsoluteTimeout after its creation.
func (s *Store) expiry(sess *Session, now time.Time) time.Time {
	idle := now.Add(sess.idle)
	if abs := sess.createdAt.Add(s.cfg.AbsoluteTimeout); abs.Before(idle) {
		return abs
	}
	return idle
}

// startOf is when a stored session began, and whether the document says so. Documents
// written by express-session + connect-mongodb-session have no createdAt: their start is
// taken as expires − cookie.originalMaxAge (the last save by express-session), or now when
// the cookie had no maxAge, so such a session is never mistaken for an expired one.
func (s *Store) startOf(doc storedSession, now time.Time) (time.Time, bool) {
	if !doc.CreatedAt.IsZero() {
		return doc.CreatedAt, true
	}
	if ms, ok := doc.Session.Lookup(cookieKey, "originalMaxAge").AsInt64OK(); ok && ms > 0 {
		if start := doc.Expires.Add(-time.Duration(ms) * time.Millisecond); !start.IsZero() && !start.After(now) {
			return start, false
		}
	}
	return now, false
}

// expired tells whether a stored session is over. A document without expires (a zero
// time) counts as expired.
func (s *Store) expired(createdAt, expires, now time.Time) bool {
	return !expires.After(now) || !createdAt.Add(s.cfg.AbsoluteTimeout).After(now)
}

// idleOf is how long a stored session lives unused: its own cookie.originalMaxAge when it
// has one (a session the Node app made keeps the Node app's maxAge: Gin Shop neither shortens
// nor lengthens it), else IdleTimeout.
func (s *Store) idleOf(doc storedSession) time.Duration {
	if ms, ok := doc.Session.Lookup(cookieKey, "originalMaxAge").AsInt64OK(); ok && ms >= 1000 {
		return time.Duration(ms) * time.Millisecond
	}
	return s.cfg.IdleTimeout
}

// now is the current time at BSON Date precision, so what is stored equals what is kept.
func (s *Store) now() time.Time {
	return s.cfg.Now().UTC().Truncate(time.Millisecond)
}
