package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/net/html"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/models"
)

// followAction follows a lesson action's redirect and returns the page it lands on; the redirect
// must name what the action did.
func followAction(t *testing.T, c *apptest.Client, res *apptest.Response) *apptest.Response {
	t.Helper()
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.Contains(loc, "happened=") {
		t.Fatalf("the lesson action's redirect %q does not name what happened", loc)
	}
	page := c.Get(loc)
	apptest.ExpectStatus(t, page, http.StatusOK)
	return page
}

// panelText is the visible text of the "What just happened" panel.
func panelText(t *testing.T, body string) string {
	t.Helper()
	for _, n := range htmlElements(parseHTML(t, body), func(n *html.Node) bool { v, _ := htmlAttr(n, "id"); return v == "what-happened" }) {
		return strings.Join(visibleTexts(n), " ")
	}
	t.Fatal("the page has no What just happened panel")
	return ""
}

func TestSettingALabValueShowsTheCookieCommandsAndDecision(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	page := followAction(t, c, setLessonValue(t, c, "color", "blue", "save"))
	id := sessionID(t, c.Cookie("connect.sid"))
	text := panelText(t, page.Body)
	mustContain(t, text,
		"POST /lessons/session/value", "req.session.lesson[key] = value; req.session.save(",
		"the browser sent no connect.sid cookie", // the first request: only the form's _csrf cookie
		"new", "insert sessions", `"`+id[:6]+`…"`, "lesson:",
		"inserted: something was put in a new session",
		"connect.sid=s%3A"+id[:6]+"…", "HttpOnly",
		// and the page the redirect landed on: the cookie came back, the value was read back,
		// which ticks steps 9 and 10: only those ticks are written
		"GET /lessons/session", "found", "find sessions", "updated: the request changed lessonProgress")
	mustNotContain(t, page.Body, id)

	// A reload changes nothing: nothing is written (resave: false).
	text = panelText(t, c.Get("/lessons/session").Body)
	mustContain(t, text, "GET /lessons/session", "found", "find sessions", "not written: nothing in the session changed")
	mustNotContain(t, text, "update sessions", "POST ")
}

func TestOnlyYourOwnSessionsCommandsAreShown(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	a, b := shop.Client(t), shop.Client(t)
	followAction(t, b, setLessonValue(t, b, "who", "b", "save"))
	bID := sessionID(t, b.Cookie("connect.sid"))
	done := make(chan struct{})
	go func() { // b keeps acting while a watches
		defer close(done)
		for range 5 {
			res := b.Submit("/lessons/session", "/lessons/session/value", url.Values{"key": {"who"}, "value": {"b again"}, "mode": {"save"}})
			if res.StatusCode != http.StatusSeeOther {
				return
			}
		}
	}()
	page := followAction(t, a, setLessonValue(t, a, "who", "a", "save"))
	<-done
	aID := sessionID(t, a.Cookie("connect.sid"))
	text := panelText(t, page.Body)
	mustContain(t, text, aID[:6]+"…")
	mustNotContain(t, text, bID[:6])
}

func TestForgetCookieAndDestroyShowTheDocumentLookup(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := labVisitor(t, shop)
	id := sessionID(t, c.Cookie("connect.sid"))
	page := followAction(t, c, c.Submit("/lessons/session", "/lessons/session/forget-cookie", nil))
	text := panelText(t, page.Body)
	mustContain(t, text, "res.clearCookie('connect.sid')", "not deleted: only the cookie was expired",
		`db.sessions.findOne({_id: "`+id[:6]+`…"})`, "still there", `"_id": "`+id[:6]+`…"`)
	mustNotContain(t, page.Body, id)

	c = labVisitor(t, shop)
	id = sessionID(t, c.Cookie("connect.sid"))
	page = followAction(t, c, c.Submit("/lessons/session", "/lessons/session/destroy", nil))
	text = panelText(t, page.Body)
	mustContain(t, text, "req.session.destroy(", "delete sessions", "deleted by destroy",
		`db.sessions.findOne({_id: "`+id[:6]+`…"})`, "no document", "connect.sid=; Path=/; Expires=")
}

func TestLoginFromTheLabShowsTheIDRegenerated(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := labVisitor(t, shop)
	before := sessionID(t, c.Cookie("connect.sid"))
	token := c.CSRF("/login?next=/lessons/session")
	res := c.PostForm("/login?next=/lessons/session", url.Values{"_csrf": {token}, "email": {models.DemoEmail},
		"password": {models.DemoPassword}, "next": {"/lessons/session"}})
	page := followAction(t, c, res)
	after := sessionID(t, c.Cookie("connect.sid"))
	if after == before {
		t.Fatal("login kept the session id")
	}
	text := panelText(t, page.Body)
	mustContain(t, text, "POST /login", "req.session.regenerate(", "regenerated: the old document is deleted",
		"connect.sid=s%3A"+before[:6]+"…", // the cookie sent: the old id
		"connect.sid=s%3A"+after[:6]+"…",  // the cookie set: the new one
		`db.sessions.findOne({_id: "`+before[:6]+`…"})`, "no document")
}

func TestMemoryStoreShowsItsOwnOperations(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.SessionStore = config.SessionStoreMemory
	shop := apptest.Start(t, cfg)
	c := shop.Client(t)
	text := panelText(t, followAction(t, c, setLessonValue(t, c, "where", "memory", "save")).Body)
	mustContain(t, text, "memory store: set (new)", "memory store: get")
	mustNotContain(t, text, "insert sessions", "find sessions")
}

// TestShopPagesKeepNoTrace: outside the lessons nothing is traced and nothing is kept.
func TestShopPagesKeepNoTrace(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	c.LoginDemo()
	for _, p := range []string{"/", "/products", "/cart", "/orders"} {
		apptest.ExpectStatus(t, c.Get(p), http.StatusOK)
	}
	res := c.Submit("/products", "/logout", nil)
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Errorf("logout from the shop redirects to %q, want /", loc)
	}
	n, err := shop.DB.Database.Collection("lessonTraces").CountDocuments(context.Background(), bson.D{})
	if err != nil || n != 0 {
		t.Fatalf("lessonTraces holds %d documents (%v) after shop pages only", n, err)
	}
}

// TestLabShowsWhenTheSessionEnds: the idle and the absolute expiry of the visitor's session, with
// their times, from the stored document.
func TestLabShowsWhenTheSessionEnds(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	c.LoginDemo()
	// The first visit earns the lab's ticks, and that save moves expires on after the page showed
	// it (one second later on a loaded machine); a reload writes nothing, so it shows the stored
	// document as it stays.
	c.Get("/lessons/session")
	doc := labDoc(t, shop, c)
	page := c.Get("/lessons/session")
	apptest.ExpectStatus(t, page, http.StatusOK)
	if after := labDoc(t, shop, c); after["expires"] != doc["expires"] {
		t.Fatalf("the reload moved expires from %v to %v", doc["expires"], after["expires"])
	}
	idle := doc["expires"].(bson.DateTime).Time().UTC()
	abs := doc["createdAt"].(bson.DateTime).Time().UTC().Add(shop.Config.SessionAbsoluteTimeout)
	mustContain(t, page.Body, `id="session-ends"`, idle.Format("2006-01-02 15:04:05 UTC"), abs.Format("2006-01-02 15:04:05 UTC"),
		"the idle timeout", "the absolute timeout")
}
