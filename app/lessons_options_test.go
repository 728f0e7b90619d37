package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ginshop/ginshop/apptest"
)

// The options sandbox (/lessons/options) over HTTP: its own cookie and collection, the race,
// the memory store and its restart, and every kind of bad input. The option matrix itself is
// sandbox/sandbox_test.go's table.

// sandboxForm is the options form with express-session's recommended options, changed by kv.
func sandboxForm(kv ...string) url.Values {
	f := url.Values{"resave": {"false"}, "saveUninitialized": {"false"}, "rolling": {"false"}, "maxAge": {"60000"}, "store": {"mongodb"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// sandboxAction presses a button of the sandbox: action is nothing, set, race or restart-memory.
func sandboxAction(t *testing.T, c *apptest.Client, action string, form url.Values) *apptest.Response {
	t.Helper()
	return c.Submit("/lessons/options", "/lessons/options/"+action, form)
}

// sandboxDocs are the documents of the sandbox's collection.
func sandboxDocs(t *testing.T, shop *apptest.Shop) []bson.Raw {
	t.Helper()
	cur, err := shop.DB.Database.Collection("lessonSandboxSessions").Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.Raw
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	return docs
}

// sandboxValue is session.value of the sandbox document id.
func sandboxValue(t *testing.T, shop *apptest.Shop, id string) string {
	t.Helper()
	for _, d := range sandboxDocs(t, shop) {
		if got, _ := d.Lookup("_id").StringValueOK(); got == id {
			v, _ := d.Lookup("session", "value").StringValueOK()
			return v
		}
	}
	t.Fatalf("no sandbox document %s…", id[:6])
	return ""
}

// sandboxCookie is the browser's sandbox.sid (sent only under /lessons/options), or nil.
func sandboxCookie(t *testing.T, shop *apptest.Shop, c *apptest.Client) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(shop.URL + "/lessons/options/set")
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "sandbox.sid" {
			return ck
		}
	}
	return nil
}

func TestOptionsSandboxPageOffersTheOptionsAndTheNodeLine(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	res := shop.Client(t).Get("/lessons/options")
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, `name="resave" value="true"`, `name="saveUninitialized" value="false"`, `name="rolling"`,
		`name="maxAge"`, `<option value="memory"`, `formaction="/lessons/options/race"`, `formaction="/lessons/options/restart-memory"`,
		"resave: false,", "cookie: {maxAge: 60000", `name="_csrf"`)
	if n := len(sandboxDocs(t, shop)); n != 0 {
		t.Errorf("viewing the sandbox stored %d sandbox sessions", n)
	}
}

// TestOptionsSandboxSetValueUsesItsOwnCookieAndCollection: the value lands in
// lessonSandboxSessions under the sandbox.sid cookie's id, the page shows the update command
// as the driver sent it, and the visitor's shop session document does not change (once the
// first sandbox request has stored the step 6 tick there).
func TestOptionsSandboxSetValueUsesItsOwnCookieAndCollection(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	token := c.CSRF("/lessons/options")
	apptest.ExpectStatus(t, c.PostForm("/lessons/options/nothing", sandboxForm("_csrf", token)), http.StatusOK)
	shopSession := shopSessionData(t, shop, c)
	if !strings.Contains(shopSession, "session-middleware") {
		t.Fatalf("the first sandbox request did not keep the step 6 tick: shop session %s", shopSession)
	}

	res := c.PostForm("/lessons/options/set", sandboxForm("_csrf", token))
	apptest.ExpectStatus(t, res, http.StatusOK)
	line := setCookieHeader(res, "sandbox.sid")
	for _, want := range []string{"Path=/lessons/options", "HttpOnly", "SameSite=Lax", "Expires="} {
		if !strings.Contains(line, want) {
			t.Errorf("Set-Cookie %q lacks %s", line, want)
		}
	}
	if setCookieHeader(res, "connect.sid") != "" {
		t.Error("the sandbox action re-sent the shop's cookie")
	}
	id := sessionID(t, sandboxCookie(t, shop, c))
	docs := sandboxDocs(t, shop)
	if got, _ := docs[0].Lookup("_id").StringValueOK(); len(docs) != 1 || got != id {
		t.Fatalf("sandbox documents %v, want one with _id %s", docs, id)
	}
	value, _ := docs[0].Lookup("session", "value").StringValueOK()
	mustContain(t, res.Body, "update lessonSandboxSessions", "&#34;$set&#34;", "upsert: true", "inserted (upsert)",
		"Set-Cookie: sandbox.sid=s%3A"+id[:6]+"…", value, "store.set")
	mustNotContain(t, res.Body, id, "update sessions", "find sessions")
	if expires := docs[0].Lookup("expires").Time(); time.Until(expires) > time.Minute+5*time.Second {
		t.Errorf("sandbox session expires %v, want maxAge (1 min) from now", expires)
	}

	if after := shopSessionData(t, shop, c); after != shopSession {
		t.Errorf("the shop session changed:\nbefore %s\nafter  %s", shopSession, after)
	}
}

// shopSessionData is the session field of the visitor's shop session document (connect.sid),
// or "" when there is none (an anonymous form may need no session document).
func shopSessionData(t *testing.T, shop *apptest.Shop, c *apptest.Client) string {
	t.Helper()
	ck := c.Cookie("connect.sid")
	if ck == nil {
		return ""
	}
	raw, err := shop.DB.Database.Collection("sessions").FindOne(context.Background(), bson.D{{Key: "_id", Value: sessionID(t, ck)}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return raw.Lookup("session").String()
}

// TestOptionsSandboxRaceLosesTheValueOnlyWithResaveTrue: with resave: true the reader's
// write-back overwrites what the setter stored; with resave: false the reader changed nothing
// and does not save (connect-mongodb-session has no touch, so it sends no write at all).
func TestOptionsSandboxRaceLosesTheValueOnlyWithResaveTrue(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	for _, tc := range []struct {
		resave  string
		lost    bool
		updates int // shown on the page: the setter's save, and the reader's write-back if any
		says    []string
	}{
		{"true", true, 2, []string{"Lost update", "written back"}},
		{"false", false, 1, []string{"The value survived", "has no touch()"}},
	} {
		t.Run("resave="+tc.resave, func(t *testing.T) {
			c := shop.Client(t)
			form := sandboxForm("resave", tc.resave)
			apptest.ExpectStatus(t, sandboxAction(t, c, "set", form), http.StatusOK)
			id := sessionID(t, sandboxCookie(t, shop, c))
			before := sandboxValue(t, shop, id)

			res := sandboxAction(t, c, "race", form)
			apptest.ExpectStatus(t, res, http.StatusOK)
			mustContain(t, res.Body, append(tc.says, `id="race-verdict"`, "request A", "request B")...)
			got := sandboxValue(t, shop, id)
			if tc.lost && got != before {
				t.Errorf("the store holds %q, want the stale %q written back by the reader", got, before)
			}
			if !tc.lost && (got == before || !strings.Contains(res.Body, "holds <code>'"+got+"'</code>")) {
				t.Errorf("the store holds %q (before %q), want the setter's new value, shown on the page", got, before)
			}
			if n := strings.Count(res.Body, "update lessonSandboxSessions"); n != tc.updates {
				t.Errorf("the page shows %d updates, want %d", n, tc.updates)
			}
		})
	}
}

func TestOptionsSandboxRaceWithoutAStoredSessionIsRefused(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	res := sandboxAction(t, c, "race", sandboxForm())
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	mustContain(t, res.Body, "The race needs a stored sandbox session", `id="options-form"`)
	if n := len(sandboxDocs(t, shop)); n != 0 {
		t.Errorf("the refused race stored %d sessions", n)
	}
	if sandboxCookie(t, shop, c) != nil {
		t.Error("the refused race set a sandbox cookie")
	}
}

// TestOptionsSandboxMemoryStoreTouchesAndRestartEmptiesIt: the memory store writes nothing to
// MongoDB, touches an unchanged session (resave: false), and "restart" makes the cookie name
// nothing.
func TestOptionsSandboxMemoryStoreTouchesAndRestartEmptiesIt(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	form := sandboxForm("store", "memory")
	res := sandboxAction(t, c, "set", form)
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, "MemoryStore.set", "this.sessions[")
	res = sandboxAction(t, c, "nothing", form)
	mustContain(t, res.Body, "MemoryStore.get", "MemoryStore.touch", "found in the store", "no Set-Cookie")
	if n := len(sandboxDocs(t, shop)); n != 0 {
		t.Errorf("the memory store wrote %d documents to MongoDB", n)
	}

	res = sandboxAction(t, c, "restart-memory", form)
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, `id="memory-restarted"`, "the 1 session(s)")
	res = sandboxAction(t, c, "nothing", form)
	mustContain(t, res.Body, "new: the cookie names no stored session", "no such session")
}

// TestOptionsSandboxBadInputIs422AndStoresNothing: each bad field re-renders the form with its
// message and the typed values, sets no cookie and stores nothing, in either store.
func TestOptionsSandboxBadInputIs422AndStoresNothing(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	cases := []struct {
		name    string
		form    url.Values
		message string
	}{
		{"maxAge not a number", sandboxForm("maxAge", "soon"), "cookie.maxAge must be a whole number"},
		{"maxAge empty", sandboxForm("maxAge", ""), "cookie.maxAge must be a whole number"},
		{"maxAge below a second", sandboxForm("maxAge", "999"), "cookie.maxAge must be a whole number"},
		{"maxAge over 15 minutes", sandboxForm("maxAge", "900001", "store", "memory"), "cookie.maxAge must be a whole number"},
		{"maxAge negative", sandboxForm("maxAge", "-5"), "cookie.maxAge must be a whole number"},
		{"unknown store", sandboxForm("store", "redis"), "The store must be mongodb or memory."},
		{"resave not a boolean", sandboxForm("resave", "yes"), "resave must be true or false."},
		{"saveUninitialized missing", func() url.Values { f := sandboxForm(); f.Del("saveUninitialized"); return f }(), "saveUninitialized must be true or false."},
		{"rolling not a boolean", sandboxForm("rolling", "TRUE", "store", "memory"), "rolling must be true or false."},
	}
	for _, tc := range cases {
		for _, action := range []string{"nothing", "set", "race"} {
			t.Run(tc.name+"/"+action, func(t *testing.T) {
				c := shop.Client(t)
				res := sandboxAction(t, c, action, tc.form)
				apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
				mustContain(t, res.Body, tc.message, `id="options-form"`, `value="`+tc.form.Get("maxAge")+`"`)
				if setCookieHeader(res, "sandbox.sid") != "" {
					t.Error("a refused form set the sandbox cookie")
				}
				if n := len(sandboxDocs(t, shop)); n != 0 {
					t.Errorf("a refused form stored %d sandbox sessions", n)
				}
				if n := shop.Sandbox.Memory.Len(); n != 0 {
					t.Errorf("a refused form stored %d sessions in the memory store", n)
				}
			})
		}
	}
}

// TestOptionsSandboxWithoutTheCSRFTokenIs403: no action runs and the memory store is not emptied.
func TestOptionsSandboxWithoutTheCSRFTokenIs403(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	apptest.ExpectStatus(t, sandboxAction(t, c, "set", sandboxForm("store", "memory")), http.StatusOK)
	c.CSRF("/lessons/options")
	for _, action := range []string{"nothing", "set", "race", "restart-memory"} {
		for _, token := range []string{"", "forged-token"} {
			form := sandboxForm()
			if token != "" {
				form.Set("_csrf", token)
			}
			res := c.PostForm("/lessons/options/"+action, form)
			expectForbiddenPage(t, res)
			if setCookieHeader(res, "sandbox.sid") != "" {
				t.Errorf("%s without a good token set the sandbox cookie", action)
			}
		}
	}
	if n := len(sandboxDocs(t, shop)); n != 0 {
		t.Errorf("refused requests stored %d sandbox sessions", n)
	}
	if n := shop.Sandbox.Memory.Len(); n != 1 {
		t.Errorf("the memory store holds %d sessions after refused requests, want the 1 from before", n)
	}
}
