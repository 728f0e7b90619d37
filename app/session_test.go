package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/models"
)

// sessionDocs returns every stored session document.
func sessionDocs(t *testing.T, shop *apptest.Shop) []bson.M {
	t.Helper()
	cur, err := shop.DB.Database.Collection("sessions").Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	for cur.Next(context.Background()) {
		var m bson.M
		// Decode nested documents as maps too, so tests can index them.
		dec := bson.NewDecoder(bson.NewDocumentReader(bytes.NewReader(cur.Current)))
		dec.DefaultDocumentM()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, m)
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	return docs
}

// sessionID returns the id inside a signed connect.sid cookie value (s%3A<id>.<sig>).
func sessionID(t *testing.T, ck *http.Cookie) string {
	t.Helper()
	if ck == nil {
		t.Fatal("no session cookie")
	}
	v, err := url.PathUnescape(ck.Value)
	if err != nil || !strings.HasPrefix(v, "s:") || !strings.Contains(v, ".") {
		t.Fatalf("cookie value %q is not express-session's s:<id>.<signature>", ck.Value)
	}
	return v[2:strings.LastIndex(v, ".")]
}

func setCookieHeader(res *apptest.Response, name string) string {
	for _, h := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, name+"=") {
			return h
		}
	}
	return ""
}

func TestLoginSavesSessionBeforeRedirect(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	res := c.Submit("/login", "/login", url.Values{"email": {"  Demo@GinShop.TEST "}, "password": {models.DemoPassword}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Errorf("Location = %q, want /", loc)
	}
	// The document exists the moment the redirect arrives: saved before redirecting.
	docs := sessionDocs(t, shop)
	if len(docs) != 1 {
		t.Fatalf("%d session documents after login, want 1", len(docs))
	}
	doc := docs[0]
	id := sessionID(t, c.Cookie("connect.sid"))
	if doc["_id"] != id {
		t.Errorf("document _id %v, cookie id %s", doc["_id"], id)
	}
	if _, ok := doc["expires"].(bson.DateTime); !ok {
		t.Errorf("expires is %T, want a Date", doc["expires"])
	}
	sess := doc["session"].(bson.M)
	if sess["isLoggedIn"] != true {
		t.Errorf("session.isLoggedIn = %v", sess["isLoggedIn"])
	}
	user := sess["user"].(bson.M)
	if user["email"] != models.DemoEmail {
		t.Errorf("session.user.email = %v", user["email"])
	}
	if _, ok := user["_id"].(bson.ObjectID); !ok {
		t.Errorf("session.user._id is %T, want ObjectId", user["_id"])
	}
	if len(user) != 2 {
		t.Errorf("session.user has %v: only _id and email belong there (no password hash, no cart)", user)
	}
	cookie := sess["cookie"].(bson.M)
	for _, k := range []string{"originalMaxAge", "expires", "httpOnly", "path", "sameSite", "secure"} {
		if _, ok := cookie[k]; !ok {
			t.Errorf("session.cookie has no %s: %v", k, cookie)
		}
	}
	h := setCookieHeader(res, "connect.sid")
	for _, attr := range []string{"connect.sid=s%3A", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=7200", "Expires="} {
		if !strings.Contains(h, attr) {
			t.Errorf("Set-Cookie %q lacks %q", h, attr)
		}
	}
	if strings.Contains(h, "Secure") {
		t.Errorf("development cookie is Secure: %q", h)
	}
}

func TestLoginRegeneratesSessionID(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	// A pre-login session: the session lab stores a value.
	apptest.ExpectStatus(t, c.Submit("/lessons/session", "/lessons/session/value",
		url.Values{"key": {"before"}, "value": {"login"}, "mode": {"save"}}), http.StatusSeeOther)
	token := c.CSRF("/login")
	before := c.Cookie("connect.sid")
	oldID := sessionID(t, before)
	if docs := sessionDocs(t, shop); len(docs) != 1 || docs[0]["_id"] != oldID {
		t.Fatalf("pre-login session not stored: %v", docs)
	}
	res := c.PostForm("/login", url.Values{"_csrf": {token}, "email": {models.DemoEmail}, "password": {models.DemoPassword}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	newID := sessionID(t, c.Cookie("connect.sid"))
	if newID == oldID {
		t.Fatal("login kept the session id")
	}
	docs := sessionDocs(t, shop)
	if len(docs) != 1 || docs[0]["_id"] != newID {
		t.Fatalf("after login the documents are %v; want only the new id %s", docs, newID)
	}
	// The old cookie is worthless now: a visitor presenting it is anonymous.
	attacker := shop.Client(t)
	u, _ := url.Parse(shop.URL)
	attacker.HTTP.Jar.SetCookies(u, []*http.Cookie{before})
	page := attacker.Get("/")
	apptest.ExpectStatus(t, page, http.StatusOK)
	mustContain(t, page.Body, `href="/login"`)
	mustNotContain(t, page.Body, "Logout")
}

func TestWrongEmailAndWrongPasswordGiveTheSameAnswer(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	csrfValue := regexp.MustCompile(`value="[A-Za-z0-9_-]{40,}"`)
	var bodies []string
	for _, form := range []url.Values{
		{"email": {models.DemoEmail}, "password": {"wrong-password"}},
		{"email": {"nobody@ginshop.test"}, "password": {"wrong-password"}},
		{"email": {""}, "password": {""}},
	} {
		res := c.Submit("/login", "/login", form)
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		mustContain(t, res.Body, "Invalid email or password.", `value="`+form.Get("email")+`"`)
		mustNotContain(t, res.Body, "wrong-password")
		body := csrfValue.ReplaceAllString(res.Body, "")
		bodies = append(bodies, strings.ReplaceAll(body, form.Get("email"), "EMAIL"))
	}
	if bodies[0] != bodies[1] {
		t.Error("unknown email and wrong password give different pages")
	}
	for _, d := range sessionDocs(t, shop) {
		if d["session"].(bson.M)["isLoggedIn"] == true {
			t.Fatal("a failed login stored a logged-in session")
		}
	}
}

func TestLogoutDestroysSession(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	c.LoginDemo()
	cookie := c.Cookie("connect.sid")
	res := c.Submit("/", "/logout", nil)
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	h := setCookieHeader(res, "connect.sid")
	if !strings.Contains(h, "Max-Age=0") || !strings.Contains(h, "Expires=Thu, 01 Jan 1970") {
		t.Errorf("logout Set-Cookie %q does not expire the cookie", h)
	}
	if docs := sessionDocs(t, shop); len(docs) != 0 {
		t.Fatalf("session documents after logout: %v", docs)
	}
	// Replaying the old cookie does not bring the session back.
	replay := shop.Client(t)
	u, _ := url.Parse(shop.URL)
	replay.HTTP.Jar.SetCookies(u, []*http.Cookie{cookie})
	page := replay.Get("/")
	mustNotContain(t, page.Body, "Logout")
	if docs := sessionDocs(t, shop); len(docs) != 0 {
		t.Fatalf("replayed cookie revived a session: %v", docs)
	}
}

func TestTamperedCookieIsAnonymous(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	c.LoginDemo()
	good := c.Cookie("connect.sid")
	id := sessionID(t, good)
	u, _ := url.Parse(shop.URL)
	for _, value := range []string{
		url.QueryEscape("s:" + id + ".forgedsignature"),
		url.QueryEscape("s:" + id),
		id,
		"s%3A",
		"%%%",
		strings.Repeat("A", 4000),
	} {
		v := shop.Client(t)
		v.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "connect.sid", Value: value, Path: "/"}})
		res := v.Get("/")
		apptest.ExpectStatus(t, res, http.StatusOK)
		mustNotContain(t, res.Body, "Logout")
	}
	if docs := sessionDocs(t, shop); len(docs) != 1 {
		t.Fatalf("tampered cookies changed the stored sessions: %v", docs)
	}
}

func TestNavigationFollowsTheSession(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	anon := c.Get("/")
	mustContain(t, anon.Body, `href="/login"`, `href="/signup"`)
	mustNotContain(t, anon.Body, `href="/cart"`, `href="/orders"`, `href="/admin/add-product"`, `href="/admin/products"`, "Logout", "Add to Cart")
	if cc := anon.Header.Get("Cache-Control"); cc == "no-store" {
		t.Error("anonymous product page is no-store")
	}
	c.LoginDemo()
	in := c.Get("/")
	mustContain(t, in.Body, `href="/cart"`, `href="/orders"`, `href="/admin/add-product"`, `href="/admin/products"`, "Logout", "Add to Cart")
	mustNotContain(t, in.Body, `href="/login"`, `href="/signup"`)
	if cc := in.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("logged-in page Cache-Control = %q, want no-store", cc)
	}
}

func TestGuardedPagesRedirectToLogin(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	for _, p := range []string{"/cart", "/checkout", "/orders", "/orders/" + bson.NewObjectID().Hex(),
		"/admin/add-product", "/admin/products", "/admin/edit-product/" + bson.NewObjectID().Hex() + "?edit=true"} {
		res := c.Get(p)
		apptest.ExpectStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/login" {
			t.Errorf("GET %s redirects to %q, want /login", p, loc)
		}
	}
}

func TestUnchangedSessionIsNotRewritten(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	c.LoginDemo()
	id := sessionID(t, c.Cookie("connect.sid"))
	coll := shop.DB.Database.Collection("sessions")
	// A marker written behind the app's back survives page views only if the app never
	// rewrites the unchanged document.
	if _, err := coll.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "session.marker", Value: "untouched"}}}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/products", "/products?page=2"} {
		res := c.Get(p)
		apptest.ExpectStatus(t, res, http.StatusOK)
		if h := setCookieHeader(res, "connect.sid"); h != "" {
			t.Errorf("GET %s re-sent the session cookie of an unchanged session: %q", p, h)
		}
	}
	var doc struct {
		Session struct {
			Marker string `bson:"marker"`
		} `bson:"session"`
	}
	if err := coll.FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Session.Marker != "untouched" {
		t.Fatal("an unchanged session was rewritten")
	}
}

func TestExpiredSessionIsAnonymousAndDeleted(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	c.LoginDemo()
	id := sessionID(t, c.Cookie("connect.sid"))
	coll := shop.DB.Database.Collection("sessions")
	past := bson.NewDateTimeFromTime(time.Now().Add(-time.Minute))
	if _, err := coll.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: past}}}}); err != nil {
		t.Fatal(err)
	}
	res := c.Get("/")
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustNotContain(t, res.Body, "Logout")
	if n, _ := coll.CountDocuments(context.Background(), bson.D{}); n != 0 {
		t.Fatalf("expired session not deleted: %d documents", n)
	}
}

func TestSessionsExpireAfterTheAbsoluteTimeoutEvenWhenActive(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	c.LoginDemo()
	id := sessionID(t, c.Cookie("connect.sid"))
	coll := shop.DB.Database.Collection("sessions")
	// Logged in 25 hours ago (SESSION_ABSOLUTE_TIMEOUT=24h), active a second ago.
	created := bson.NewDateTimeFromTime(time.Now().Add(-25 * time.Hour))
	if _, err := coll.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "createdAt", Value: created}}}}); err != nil {
		t.Fatal(err)
	}
	res := c.Get("/")
	mustNotContain(t, res.Body, "Logout")
	if n, _ := coll.CountDocuments(context.Background(), bson.D{}); n != 0 {
		t.Fatalf("session past its absolute timeout not deleted: %d documents", n)
	}
}

func TestLoginReturnsOnlyToPathsOfThisSite(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	cases := map[string]string{
		"/orders":                "/orders",
		"https://evil.example/x": "/",
		"//evil.example":         "/",
		`/\evil.example`:         "/",
		"javascript:alert(1)":    "/",
		"/products?page=2":       "/products?page=2",
	}
	for next, want := range cases {
		c := shop.Client(t)
		form := url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}, "next": {next}}
		res := c.Submit("/login?next="+url.QueryEscape(next), "/login", form)
		apptest.ExpectStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, loc, want)
		}
	}
}

func TestOversizedFormsAre413AndChangeNothing(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	token := c.CSRF("/login")
	big := strings.Repeat("x", 100<<10) // ordinary forms accept 64 KB
	form := url.Values{"_csrf": {token}, "email": {models.DemoEmail}, "password": {models.DemoPassword}, "padding": {big}}

	// With a Content-Length the answer comes before the body is read ...
	res := c.PostForm("/login", form)
	apptest.ExpectStatus(t, res, http.StatusRequestEntityTooLarge)
	mustContain(t, res.Body, "Too Large")

	// ... and without one (chunked), when reading passes the limit.
	req, _ := http.NewRequest(http.MethodPost, "/login", io.MultiReader(strings.NewReader(form.Encode())))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res = c.Do(req)
	apptest.ExpectStatus(t, res, http.StatusRequestEntityTooLarge)

	// Neither logged in.
	mustNotContain(t, c.Get("/").Body, "Logout")
	for _, d := range sessionDocs(t, shop) {
		if d["session"].(bson.M)["isLoggedIn"] == true {
			t.Fatal("an oversized login form logged in")
		}
	}
}

// TestShortestAcceptedIdleTimeoutStarts: every value the configuration accepts starts the shop;
// with SESSION_IDLE_TIMEOUT=1m (the least it accepts) a login's cookie lives a minute.
func TestShortestAcceptedIdleTimeoutStarts(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_TIMEOUT":
			return "1m"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	test := apptest.Config(t)
	test.SessionIdleTimeout, test.SessionAbsoluteTimeout = cfg.SessionIdleTimeout, cfg.SessionAbsoluteTimeout
	shop := cheapDemoHash(t, apptest.Start(t, test))
	c := shop.Client(t)
	res := c.Submit("/login", "/login", url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if h := setCookieHeader(res, "connect.sid"); !strings.Contains(h, "Max-Age=60") {
		t.Fatalf("login cookie %q, want Max-Age=60", h)
	}
}
