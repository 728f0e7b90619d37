package interop

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
)

// TestExpressLoginKeepsItsLifetimeWhenGinShopWritesIt: the course app's login is a browser-session
// cookie (no maxAge) whose document connect-mongodb-session keeps for two weeks. When Gin Shop
// writes that session (here a lab value), it changes only that key: the document's expires is not
// moved earlier, express-session's cookie description stays as the Node app wrote it, and the
// cookie Gin Shop re-sends is still a browser-session cookie, so the login lives by the Node app's
// rules, not by Gin Shop's two-hour idle time.
func TestExpressLoginKeepsItsLifetimeWhenGinShopWritesIt(t *testing.T) {
	shop := apptest.StartDefault(t)
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	v.expressSignupAndLogin("lifetime@example.test", password)
	id := v.expressSession().ID
	before := sessionDoc(t, shop, id)
	expiresBefore := before.Lookup("expires").Time()
	if time.Until(expiresBefore) < 13*24*time.Hour {
		t.Fatalf("fixture: the Express session expires at %v, want about two weeks ahead", expiresBefore)
	}
	cookieBefore := before.Lookup("session", "cookie").Value

	res := v.Submit("/lessons/session", "/lessons/session/value", url.Values{"key": {"where"}, "value": {"gin"}, "mode": {"save"}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	for _, line := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "connect.sid=") && (strings.Contains(line, "Max-Age") || strings.Contains(line, "Expires")) {
			t.Errorf("Gin Shop made the browser-session cookie a persistent one: %q", line)
		}
	}

	after := sessionDoc(t, shop, id)
	if v, _ := after.Lookup("session", "lesson", "where").StringValueOK(); v != "gin" {
		t.Fatal("the lab value was not stored in the Express session")
	}
	if got := after.Lookup("expires").Time(); got.Before(expiresBefore) {
		t.Errorf("expires moved earlier: %v → %v (Gin Shop's idle time cut the Node app's login short)", expiresBefore, got)
	}
	if got := after.Lookup("session", "cookie").Value; !bytes.Equal(got, cookieBefore) {
		t.Errorf("session.cookie changed: %s → %s", bson.Raw(cookieBefore), bson.Raw(got))
	}
	// And the Node app still has its login.
	if s := v.expressSession(); s.ID != id || !s.Session.IsLoggedIn {
		t.Fatalf("Express session after Gin Shop's write: %+v", s)
	}
}
