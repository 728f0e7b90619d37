package middleware

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/sessionstore"
)

// The session values the app keeps, named as the course names them (req.session.isLoggedIn,
// req.session.user). The user is only {_id, email}: never a password hash or a cart.
const (
	sessionKeyIsLoggedIn = "isLoggedIn"
	sessionKeyUser       = "user"
)

// LoadSession loads the visitor's session before the handler runs (one read by _id, and nothing
// at all without a cookie), re-sends the cookie when the store extended its expiry, and answers
// 503 when the database does not respond, instead of silently treating the visitor as logged out.
func LoadSession(store *sessionstore.Store, name string, abort Abort) gin.HandlerFunc {
	return func(c *gin.Context) {
		s, err := store.Get(c.Request, name)
		if err != nil && errors.Is(err, sessionstore.ErrUnavailable) {
			abort(c, http.StatusServiceUnavailable, err)
			return
		}
		if s != nil {
			store.RefreshCookie(c.Writer, s)
		}
		c.Next()
	}
}

const contextKeyUser = "ginshop.user"

// UserLoader loads the logged-in user named by the session (models.UserModel.ForRequest).
type UserLoader func(ctx context.Context, id bson.ObjectID) (models.User, error)

// CurrentUser loads the user the session names into the request, like the course's app.js
// middleware that sets req.user with User.findById(req.session.user._id), and marks logged-in
// answers no-store so Back after logout shows nothing. A session whose user no longer exists
// is ended on the spot, like a logout, so it can act for nobody.
func CurrentUser(load UserLoader, abort Abort) gin.HandlerFunc {
	return func(c *gin.Context) {
		s := sessions.Default(c)
		id, ok := sessionUserID(s)
		if !ok {
			c.Next()
			return
		}
		user, err := load(c.Request.Context(), id)
		switch {
		case errors.Is(err, models.ErrNotFound):
			// The user was deleted: end the session (deletes the document, expires the cookie).
			if err := DestroySession(c); err != nil {
				abort(c, http.StatusServiceUnavailable, err)
				return
			}
		case err != nil:
			abort(c, http.StatusServiceUnavailable, err)
			return
		default:
			c.Set(contextKeyUser, user)
			c.Header("Cache-Control", "no-store")
		}
		c.Next()
	}
}

// sessionUserID reads req.session.user._id of a logged-in session. The Node course app stores
// the whole user document there and Gin Shop only {_id, email}: both have the _id.
func sessionUserID(s sessions.Session) (bson.ObjectID, bool) {
	if loggedIn, _ := s.Get(sessionKeyIsLoggedIn).(bool); !loggedIn {
		return bson.NilObjectID, false
	}
	u, _ := s.Get(sessionKeyUser).(map[string]any)
	id, _ := u["_id"].(bson.ObjectID)
	return id, !id.IsZero()
}

// UserFrom returns the logged-in user of this request (req.user), if any. It carries the cart
// but never the password hash.
func UserFrom(c *gin.Context) (models.User, bool) {
	u, ok := c.Get(contextKeyUser)
	if !ok {
		return models.User{}, false
	}
	user, ok := u.(models.User)
	return user, ok
}

// RequireLogin sends visitors who are not logged in to /login, like the course's is-auth.js.
func RequireLogin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, ok := UserFrom(c); !ok {
			c.Redirect(http.StatusSeeOther, "/login")
			c.Abort()
			return
		}
		c.Next()
	}
}

// LogIn starts a fresh session for user: a new id (the pre-login document is deleted, so a
// planted or stolen pre-login cookie is worthless), isLoggedIn and user set, and saved before
// the caller redirects, all in the store's Renew:
//
//	req.session.regenerate(); req.session.isLoggedIn = true; req.session.user = user;
//	req.session.save(() => res.redirect('/'))
func LogIn(c *gin.Context, store *sessionstore.Store, name string, id bson.ObjectID, email string) error {
	return store.Renew(c.Writer, c.Request, name, map[string]any{
		sessionKeyIsLoggedIn: true,
		sessionKeyUser:       map[string]any{"_id": id, "email": email},
		// A new CSRF token with the new id: the pre-login token stops working, and the first page
		// after login (which has the logout form) does not have to write the session again.
		sessionKeyCSRF: newCSRFToken(),
	})
}

// DestroySession deletes the session document and expires the cookie: req.session.destroy(), plus
// the res.clearCookie() that express-session leaves to the app.
func DestroySession(c *gin.Context) error {
	s := sessions.Default(c)
	s.Clear()
	s.Options(sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return s.Save()
}
