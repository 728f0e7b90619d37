package sessionstore

import (
	"errors"
	"net/http"
)

// Renew is the whole login step of the session in one call:
//
//	req.session.regenerate(); req.session.isLoggedIn = true; req.session.user = user;
//	req.session.save(() => res.redirect('/'))
//
// The old document is deleted (a planted or stolen pre-login cookie becomes worthless), values
// become the session's only values, and the session is stored under a new id with its cookie
// set on w before the caller redirects. It works on the request's own session, the one that
// gin-contrib's sessions.Default(c) wraps: both reach it through Get, which loads it once per
// request, so later reads in the same request see the new values.
func (s *Store) Renew(w http.ResponseWriter, r *http.Request, name string, values map[string]any) error {
	sess, err := s.Get(r, name)
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	// Any other error means the old document could not be decoded: sess is a fresh session
	// then, and logging in replaces the broken one, which simply expires.
	if err := s.Regenerate(r, sess); err != nil {
		return err
	}
	for k, v := range values {
		sess.Values[k] = v
	}
	return s.Save(r, w, sess)
}
