package sessionstore

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/gin-contrib/sessions"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// What the session lab (/lessons/session) asks of the store: the visitor's cookie taken apart,
// their stored document as it is right now, and a save that happens outside any request.

// CookieParts is a session cookie value taken apart the way express-session reads it.
type CookieParts struct {
	Signed    bool   // starts with "s:" (express-session signs every cookie it sends)
	ID        string // between "s:" and the last "."
	Signature string // after the last ".": base64(HMAC-SHA256(id, secret)) without "="
	Verified  bool   // the signature matches one of the secrets
	OldSecret bool   // it matches, but not the first (signing) secret: signed before a rotation
}

// InspectCookie takes a raw cookie value (URL-encoded, as the browser sends it) apart and checks
// its signature, like express-session's unsigncookie(val, secrets).
func (s *Store) InspectCookie(raw string) CookieParts {
	v, err := url.PathUnescape(raw)
	if err != nil || !strings.HasPrefix(v, signedPrefix) {
		return CookieParts{}
	}
	p := CookieParts{Signed: true, ID: v[len(signedPrefix):]}
	if dot := strings.LastIndexByte(p.ID, '.'); dot >= 0 {
		p.ID, p.Signature = p.ID[:dot], p.ID[dot+1:]
	}
	if id, ok := decodeCookieValue(raw, s.cfg.Secrets); ok && id == p.ID {
		p.Verified = true
		_, current := unsign(v[len(signedPrefix):], s.cfg.Secrets[:1])
		p.OldSecret = !current
	}
	return p
}

// Document reads the stored document of session id as it is now (a fresh read, whatever this
// request loaded), or reports that there is none. Expired documents are returned as they are.
func (s *Store) Document(ctx context.Context, id string) (bson.Raw, bool, error) {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	raw, err := s.docs.find(ctx, id)
	switch {
	case errors.Is(err, errNoDocument):
		return nil, false, nil
	case err != nil:
		return nil, false, unavailable("read session", err)
	}
	return raw, true, nil
}

// Change edits the live session id outside any request (ctx is the caller's own, not a
// request's): it loads the session with the usual expiry rules, lets change edit it through the
// same interface handlers use, and saves what changed. No cookie is sent: there is no response
// any more. It reports false when the session no longer exists (destroyed, expired or
// regenerated meanwhile), and then stores nothing: a late save never brings a session back.
// The session lab's "slow store" uses it.
func (s *Store) Change(ctx context.Context, id string, change func(sessions.Session) error) (bool, error) {
	sess := s.newSession(ctx, nil)
	if err := s.loadDocument(sess, id); err != nil {
		return false, err
	}
	if sess.id == "" {
		return false, nil
	}
	if err := change(sess); err != nil {
		return false, err
	}
	if err := s.save(sess); err != nil {
		return false, err
	}
	return sess.id == id, nil // save empties a session whose document vanished since the load
}
