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
			if err := sessionstore.Destroy(c); err != nil {
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
	if loggedIn, _ := s.Get(sessionstore.KeyIsLoggedIn).(bool); !loggedIn {
		return bson.NilObjectID, false
	}
	u, _ := s.Get(sessionstore.KeyUser).(map[string]any)
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
