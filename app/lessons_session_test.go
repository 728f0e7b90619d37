package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/net/html"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/models"
)

// labDoc is the stored session document of the client's cookie, or nil.
func labDoc(t *testing.T, shop *apptest.Shop, c *apptest.Client) bson.M {
	t.Helper()
	ck := c.Cookie("connect.sid")
	if ck == nil {
		return nil
	}
	id := sessionID(t, ck)
	for _, d := range sessionDocs(t, shop) {
		if d["_id"] == id {
			return d
		}
	}
	return nil
}

// lessonOf is session.lesson of a stored document (nil if absent).
func lessonOf(doc bson.M) bson.M {
	if doc == nil {
		return nil
	}
	l, _ := doc["session"].(bson.M)["lesson"].(bson.M)
	return l
}

// savedTo is where a saved lab value redirects: the panel that shows it.
const savedTo = "/lessons/session#panel-document"

// labVisitor is a client whose session exists (its first lab page stored the CSRF secret and
// its first tick) and whose next lab page, with nothing new done, changes nothing.
func labVisitor(t *testing.T, shop *apptest.Shop) *apptest.Client {
	t.Helper()
	c := shop.Client(t)
	apptest.ExpectStatus(t, c.Get("/lessons/session"), http.StatusOK)
	if labDoc(t, shop, c) != nil {
		t.Fatal("viewing the lab stored a session")
	}
	// Viewing stores nothing: the raw-cookie lesson keeps its Set-Cookie line in the session.
	res := c.Submit("/lessons/cookie", "/lessons/cookie", url.Values{"value": {"true"}, "maxAge": {"60"}, "sameSite": {"Lax"}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if labDoc(t, shop, c) == nil {
		t.Fatal("setting a raw cookie stored no session")
	}
	apptest.ExpectStatus(t, c.Get("/lessons/session"), http.StatusOK) // ticks what the lab shows
	return c
}

func setLessonValue(t *testing.T, c *apptest.Client, key, value, mode string) *apptest.Response {
	t.Helper()
	return c.Submit("/lessons/session", "/lessons/session/value", url.Values{"key": {key}, "value": {value}, "mode": {mode}})
}

func TestLessonsIndexLinksEveryStepAndTheCourseMap(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	res := c.Get("/lessons")
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, `href="/lessons/cookie#set-cookie"`, `href="/lessons/session#panel-set"`, `href="/lessons/options"`,
		`href="/lessons/course"`, `class="active" href="/lessons">Lessons</a>`, `id="step-1"`, `id="step-12"`,
		`href="#step-12">Next step: 12</a>`, "<strong>0 of 12</strong>")
	mustNotContain(t, res.Body, `href="#step-13"`, `id="restart"`, ">docs/COURSE.md</a>")
	if n := len(sessionDocs(t, shop)); n != 0 {
		t.Errorf("the index (no progress, no forms) stored %d sessions", n)
	}
}

// The course map is docs/COURSE.md as a page of the site: rendered tables and anchors, and each
// Node call linked to its step.
func TestCourseMapIsARenderedPageWithNodeCallsLinkedToSteps(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	course := shop.Client(t).Get("/lessons/course")
	apptest.ExpectStatus(t, course, http.StatusOK)
	if ct := course.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("course map Content-Type %q", ct)
	}
	mustContain(t, course.Body, `<html lang="en">`, "<title>Course map · Gin Shop</title>", `class="active" href="/lessons">Lessons</a>`,
		`<h2 id="file-by-file">`, "<table>", "<td><code>middleware/is-auth.js</code></td>",
		`<a href="/lessons#step-12" title="Lesson step 12"><code>req.session.save(err =&gt; res.redirect('/'))</code></a>`,
		`<a href="/lessons#step-11" title="Lesson step 11"><code>req.session.destroy(`,
		`<a href="/lessons#step-10" title="Lesson step 10"><code>new MongoDBStore(`,
		"&lt;%= product.title %&gt;")
	mustNotContain(t, course.Body, "| Node course app |", "bench/node-shop")
}

// The lab shows the visitor's own cookie, taken apart and shortened, and the document read back
// from the database, with the CSRF secret masked: never a full cookie, id or secret.
func TestSessionLabShowsYourCookieAndDocumentButNeverInFull(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	first := c.Get("/lessons/session")
	apptest.ExpectStatus(t, first, http.StatusOK)
	mustContain(t, first.Body, "Your browser sent no <code>connect.sid</code> cookie", "saveUninitialized: false",
		"looking stores none")
	if setCookieHeader(first, "connect.sid") != "" || labDoc(t, shop, c) != nil {
		t.Error("viewing the lab started a session")
	}

	expectSeeOther(t, setLessonValue(t, c, "color", "blue", "save"), "/lessons/session#panel-document")
	res := c.Get("/lessons/session")
	apptest.ExpectStatus(t, res, http.StatusOK)
	ck := c.Cookie("connect.sid")
	id := sessionID(t, ck)
	if secret := labDoc(t, shop, c)["session"].(bson.M)["csrfSecret"]; secret != nil {
		t.Errorf("an anonymous session holds a CSRF secret: %v (it belongs in the signed _csrf cookie)", secret)
	}
	// The page shows the signature as express-session signed it: base64 with + and /, which
	// the cookie carries URL-encoded (%2B, %2F).
	value, err := url.QueryUnescape(ck.Value)
	if err != nil {
		t.Fatal(err)
	}
	sig := value[strings.LastIndex(value, ".")+1:]
	mustContain(t, res.Body, `<code class="token">`+asHTML(t, id[:6])+"…</code>", `<code class="token">`+asHTML(t, sig[:6])+"…</code>", "the current secret",
		`&#34;_id&#34;: &#34;`+id[:6]+`…&#34;`, `&#34;color&#34;: &#34;blue&#34;`, `&#34;$date&#34;`,
		"sessionstore/lab.go", "Store.InspectCookie", "req.session.save", "controllers/lessons_session_actions.go")
	mustNotContain(t, res.Body, ck.Value, id, sig)
}

// shownDocument is the text of the lab's document panel.
func shownDocument(t *testing.T, body string) string {
	t.Helper()
	for _, n := range htmlElements(parseHTML(t, body), func(n *html.Node) bool { v, _ := htmlAttr(n, "id"); return v == "session-document" }) {
		return strings.Join(visibleTexts(n), " ")
	}
	t.Fatal("the page shows no session document")
	return ""
}

func TestSessionLabSaveModeStoresTheValueBeforeRedirecting(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := labVisitor(t, shop)
	res := setLessonValue(t, c, "color", "blue & <green>", "save")
	expectSeeOther(t, res, savedTo)
	// Stored the moment the redirect arrives: req.session.save(cb) before res.redirect.
	if got := lessonOf(labDoc(t, shop, c))["color"]; got != "blue & <green>" {
		t.Fatalf("session.lesson.color = %v right after the redirect", got)
	}
	page := c.Get("/lessons/session")
	mustContain(t, page.Body, "<td>color</td><td>blue &amp; &lt;green&gt;</td>", `&#34;lesson&#34;: {`)

	// Overwriting a key and the limits' edges: 32-character key, 200-character value.
	long := strings.Repeat("é", 200)
	expectSeeOther(t, setLessonValue(t, c, strings.Repeat("k", 32), long, ""), savedTo)
	expectSeeOther(t, setLessonValue(t, c, "color", "red", "save"), savedTo)
	lesson := lessonOf(labDoc(t, shop, c))
	if lesson["color"] != "red" || lesson[strings.Repeat("k", 32)] != long || len(lesson) != 2 {
		t.Fatalf("session.lesson = %v", lesson)
	}
	if s := labDoc(t, shop, c)["session"].(bson.M); s["color"] != nil {
		t.Errorf("a lesson value escaped session.lesson: %v", s)
	}
}

// mode=redirect-first: the 303 goes out at once, and neither the document nor the page right
// after it has the value, which the slow store is still writing. The store is made an hour slow
// here, so "not yet" holds however slow the machine; TestRedirectFirstBannerTurnsIntoArrivedOnReload
// waits for the value to land.
func TestSessionLabRedirectFirstShowsTheValueOnlyAfterTheSlowSave(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.SlowStoreDelay = time.Hour
	shop := apptest.Start(t, cfg)
	c := labVisitor(t, shop)
	res := setLessonValue(t, c, "late", "arrives later", "redirect-first")
	expectSeeOther(t, res, "/lessons/session?pending=late#panel-document")
	if lessonOf(labDoc(t, shop, c)) != nil {
		t.Fatal("redirect-first stored the value before redirecting")
	}
	page := c.Get(res.Header.Get("Location"))
	apptest.ExpectStatus(t, page, http.StatusOK)
	mustNotContain(t, page.Body, "<td>late</td>", "arrives later")
	mustContain(t, page.Body, `id="pending-save"`, "<code>lesson.late</code> is still on its way")
	if lessonOf(labDoc(t, shop, c)) != nil {
		t.Error("the page after the redirect stored the value the slow store is still writing")
	}
}

// Every bad input of the lab form is a 422 with the form and its message, and stores nothing.
func TestSessionLabRefusesBadValuesAndStoresNothing(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.SlowStoreDelay = 10 * time.Millisecond // the accepted redirect-first below lands at once
	shop := apptest.Start(t, cfg)
	c := labVisitor(t, shop)
	cases := []struct{ name, key, value, mode, msg string }{
		{"dollar", "$where", "x", "save", "The key must be 1 to 32"},
		{"dot", "a.b", "x", "save", "The key must be 1 to 32"},
		{"space", "a b", "x", "save", "The key must be 1 to 32"},
		{"leading space", " ab", "x", "save", "The key must be 1 to 32"},
		{"33 characters", strings.Repeat("k", 33), "x", "save", "The key must be 1 to 32"},
		{"empty", "", "x", "save", "The key must be 1 to 32"},
		{"reserved isLoggedIn", "isLoggedIn", "true", "save", "is reserved"},
		{"reserved user", "user", "x", "save", "is reserved"},
		{"reserved csrfSecret", "csrfSecret", "x", "save", "is reserved"},
		{"reserved __proto__", "__proto__", "x", "save", "is reserved"},
		{"reserved, other case", "ISLOGGEDIN", "x", "redirect-first", "is reserved"},
		{"201 characters", "k", strings.Repeat("x", 201), "save", "at most 200 characters"},
		{"201 characters, redirect-first", "k", strings.Repeat("é", 201), "redirect-first", "at most 200 characters"},
		{"unknown mode", "k", "x", "later", "The mode must be"},
	}
	before := dbSnapshot(t, shop)
	for _, tc := range cases {
		res := setLessonValue(t, c, tc.key, tc.value, tc.mode)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", tc.name, res.StatusCode)
			before = dbSnapshot(t, shop)
			continue
		}
		if msg := alertText(t, res.Body); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: message %q, want %q", tc.name, msg, tc.msg)
		}
		if field := formField(t, parseHTML(t, res.Body), "key"); tc.key != "" {
			if v, _ := htmlAttr(field, "value"); v != tc.key {
				t.Errorf("%s: the form lost the typed key: %q", tc.name, v)
			}
		}
		after := dbSnapshot(t, shop) // and the next case's "before": one snapshot per request
		expectSameDB(t, tc.name, before, after)
		before = after
	}

	// The 11th key: ten are fine, the eleventh is refused in both modes, an existing key still changes.
	for i := range 10 {
		expectSeeOther(t, setLessonValue(t, c, "k"+string(rune('a'+i)), "v", "save"), savedTo)
	}
	c.Get("/lessons/session") // ticks "read back" and "in the store" before the snapshot
	before = dbSnapshot(t, shop)
	for _, mode := range []string{"save", "redirect-first"} {
		res := setLessonValue(t, c, "eleventh", "v", mode)
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		mustContain(t, alertText(t, res.Body), "at most 10 lesson keys")
	}
	expectSameDB(t, "an 11th key", before, dbSnapshot(t, shop))
	// A refused redirect-first must not save later either. An accepted one sent after it, with
	// the same delay, lands after it would have: once that one is there, the 11th key would be too.
	expectSeeOther(t, setLessonValue(t, c, "ka", "later", "redirect-first"), "/lessons/session?pending=ka#panel-document")
	apptest.Eventually(t, "the accepted redirect-first save lands", func() bool { return lessonOf(labDoc(t, shop, c))["ka"] == "later" })
	if got := lessonOf(labDoc(t, shop, c)); got["eleventh"] != nil || len(got) != 10 {
		t.Errorf("a refused redirect-first saved later: session.lesson = %v", got)
	}
	expectSeeOther(t, setLessonValue(t, c, "ka", "changed", "save"), savedTo)
	if got := lessonOf(labDoc(t, shop, c)); got["ka"] != "changed" || len(got) != 10 {
		t.Errorf("session.lesson = %v", got)
	}
}

func TestSessionLabFormsNeedTheCSRFToken(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := labVisitor(t, shop)
	before := dbSnapshot(t, shop)
	for _, path := range []string{"/lessons/session/value", "/lessons/session/forget-cookie", "/lessons/session/destroy"} {
		for name, token := range map[string][]string{"missing": nil, "wrong": {randomToken()}} {
			res := c.PostForm(path, url.Values{"key": {"k"}, "value": {"v"}, "_csrf": token})
			expectForbiddenPage(t, res)
			if h := setCookieHeader(res, "connect.sid"); h != "" {
				t.Errorf("%s with a %s token sent %q", path, name, h)
			}
			after := dbSnapshot(t, shop) // and the next case's "before"
			expectSameDB(t, path+" with a "+name+" token", before, after)
			before = after
		}
	}
}

// forget-cookie only expires the cookie: the document stays, orphaned, and the page after the
// redirect names it (shortened) and its expiry. The other visitor's session is untouched.
func TestSessionLabForgetCookieLeavesTheDocumentOrphaned(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	other := labVisitor(t, shop)
	otherBefore := labDoc(t, shop, other)
	c := labVisitor(t, shop)
	id := sessionID(t, c.Cookie("connect.sid"))
	doc := labDoc(t, shop, c)

	res := c.Submit("/lessons/session", "/lessons/session/forget-cookie", nil)
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	expires := doc["expires"].(bson.DateTime).Time()
	want := "/lessons/session?" + url.Values{"orphan": {id[:6]}, "until": {strconv.FormatInt(expires.Unix(), 10)},
		"progress": {"left-orphan session-middleware session-on-server set-cookie"}}.Encode() + "#panel-destroy"
	if loc := withoutHappened(res.Header.Get("Location")); loc != want {
		t.Errorf("Location %q, want %q", loc, want)
	}
	if h := setCookieHeader(res, "connect.sid"); !strings.Contains(h, "Max-Age=0") || !strings.Contains(h, "Path=/") {
		t.Errorf("forget-cookie sent %q, want an expired connect.sid", h)
	}
	if c.Cookie("connect.sid") != nil {
		t.Fatal("the client still has the cookie")
	}
	var orphan bson.M
	for _, d := range sessionDocs(t, shop) {
		if d["_id"] == id {
			orphan = d
		}
	}
	if orphan == nil {
		t.Fatal("forget-cookie deleted the document; it must stay orphaned")
	}
	if got := labDoc(t, shop, other); got == nil || got["_id"] != otherBefore["_id"] {
		t.Error("the other visitor's session changed")
	}

	page := c.Get(res.Header.Get("Location"))
	apptest.ExpectStatus(t, page, http.StatusOK)
	mustContain(t, page.Body, `id="orphan"`, "<code>"+id[:6]+"…</code> is still stored",
		expires.UTC().Format("2006-01-02 15:04:05 UTC"))
	mustNotContain(t, page.Body, id)
}

// destroy deletes the document and expires the cookie; the other visitor's session stays.
func TestSessionLabDestroyDeletesOnlyYourDocument(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	other := labVisitor(t, shop)
	c := labVisitor(t, shop)
	expectSeeOther(t, setLessonValue(t, c, "k", "v", "save"), savedTo)
	id := sessionID(t, c.Cookie("connect.sid"))

	res := c.Submit("/lessons/session", "/lessons/session/destroy", nil)
	expectSeeOther(t, res, "/lessons/session?destroyed="+id[:6]+
		"&progress=destroyed+mongodb-store+session-get+session-middleware+session-on-server+session-set+set-cookie#panel-destroy")
	if h := setCookieHeader(res, "connect.sid"); !strings.Contains(h, "Max-Age=0") {
		t.Errorf("destroy sent %q, want an expired connect.sid", h)
	}
	docs := sessionDocs(t, shop)
	if len(docs) != 1 || labDoc(t, shop, other) == nil {
		t.Fatalf("after destroy %d documents, want only the other visitor's", len(docs))
	}
	page := c.Get(res.Header.Get("Location"))
	mustContain(t, page.Body, `id="destroyed"`, "<code>"+id[:6]+"…</code>")
}

// SESSION_STORE=memory: the same lab and login work, the page says where the sessions are, and
// the sessions collection stays empty.
func TestMemorySessionStoreWritesNothingToTheSessionsCollection(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.SessionStore = config.SessionStoreMemory
	cfg.SlowStoreDelay = 10 * time.Millisecond
	shop := cheapDemoHash(t, apptest.Start(t, cfg))
	c := shop.Client(t)
	c.LoginDemo()
	if !navShowsLogout(t, c) {
		t.Fatal("login did not stick with the memory store")
	}
	expectSeeOther(t, setLessonValue(t, c, "where", "in memory", "save"), savedTo)
	expectSeeOther(t, setLessonValue(t, c, "later", "also in memory", "redirect-first"), "/lessons/session?pending=later#panel-document")
	var page *apptest.Response
	apptest.Eventually(t, "the redirect-first value lands in the memory store", func() bool {
		page = c.Get("/lessons/session")
		return strings.Contains(page.Body, "<td>later</td><td>also in memory</td>")
	})
	apptest.ExpectStatus(t, page, http.StatusOK)
	mustContain(t, page.Body, `id="memory-store"`, "SESSION_STORE=memory:", "a restart logs everyone out",
		"<td>where</td><td>in memory</td>", "<td>later</td><td>also in memory</td>", "the current secret")
	mustNotContain(t, page.Body, `id="session-document"`)

	n, err := shop.DB.Database.Collection("sessions").CountDocuments(context.Background(), bson.D{})
	if err != nil || n != 0 {
		t.Fatalf("%d documents in the sessions collection (%v), want 0", n, err)
	}
	expectSeeOther(t, c.Submit("/", "/logout", nil), "/")
	if navShowsLogout(t, c) {
		t.Error("still logged in after logout with the memory store")
	}
}

// A session written by the Node app holds the whole user (req.session.user = user), password hash
// and all: the lab shows the document without it.
func TestSessionLabNeverShowsAPasswordHash(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	const hash = "$2a$12$abcdefghijklmnopqrstuuJ1Yq8xw6m2pZ3mQy2c8a0b1c2d3e4f5"
	const reset = "0123456789abcdef0123456789abcdef"
	id := "nodeStyleSessionId-0123456789abcdef"
	now := time.Now()
	// The demo user: the shop ends a session whose user no longer exists (User.findById).
	demo := storedUser(t, shop, models.DemoEmail)
	_, err := shop.DB.Database.Collection("sessions").InsertOne(context.Background(), bson.D{
		{Key: "_id", Value: id},
		{Key: "expires", Value: now.Add(time.Hour)},
		{Key: "createdAt", Value: now},
		{Key: "session", Value: bson.D{
			{Key: "cookie", Value: bson.D{{Key: "originalMaxAge", Value: 7200000}, {Key: "expires", Value: now.Add(time.Hour)},
				{Key: "httpOnly", Value: true}, {Key: "path", Value: "/"}}},
			{Key: "isLoggedIn", Value: true},
			{Key: "user", Value: bson.D{{Key: "_id", Value: demo.ID}, {Key: "email", Value: demo.Email},
				{Key: "password", Value: hash}, {Key: "resetToken", Value: reset}}},
			{Key: "csrfSecret", Value: "nodeCsrfSecretValue123456"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "/lessons/session", nil)
	req.Header.Set("Cookie", "connect.sid="+signedCookie(id, apptest.Config(t).SessionSecrets[0]))
	res := shop.Client(t).Do(req)
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, "&#34;email&#34;: &#34;"+models.DemoEmail, "(hidden: never shown", "the current secret")
	mustNotContain(t, res.Body, hash, "$2a$12$", reset, id)
	mustContain(t, shownDocument(t, res.Body), `"csrfSecret": "nodeCs…"`, `"password": "(hidden`)
}

// The raw-cookie lesson prints the Cookie header, but the session cookie only shortened.
func TestCookieLessonNeverPrintsTheSessionCookieWhole(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := labVisitor(t, shop)
	ck := c.Cookie("connect.sid")
	res := c.Get("/lessons/cookie")
	apptest.ExpectStatus(t, res, http.StatusOK)
	id := sessionID(t, ck)
	mustContain(t, res.Body, "connect.sid=s%3A"+id[:6]+"….")
	mustNotContain(t, res.Body, ck.Value, id)
	// The anonymous CSRF secret's cookie is HttpOnly too: shortened the same way.
	if csrf := c.Cookie("_csrf"); csrf != nil {
		mustNotContain(t, res.Body, csrf.Value)
	}
}

// signedCookie is express-session's cookie value for id: s: + cookie-signature's sign, URL-encoded.
func signedCookie(id, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id))
	return url.QueryEscape("s:" + id + "." + strings.TrimRight(base64.StdEncoding.EncodeToString(mac.Sum(nil)), "="))
}

// asHTML is s as html/template prints it in text, where + and / may come out as &#43; and &#47;.
func asHTML(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	if err := template.Must(template.New("").Parse("{{.}}")).Execute(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
