package controllers

import (
	"html/template"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/views"
)

// lessonStep is one point of the course's notes on cookies and sessions, in the notes' order:
// what to do, where, and the Go lines that do it. A step is ticked when the server has seen
// this browser do it (see lessons_progress.go).
type lessonStep struct {
	ID    string // the progress mark, and the anchor on /lessons (#step-N uses the number)
	Title string
	Node  string        // the Node call of the notes
	Do    template.HTML // what to do (a constant written here, never visitor input)
	Panel string        // the page and panel that does it
	How   string        // how the server tells that it was done
	Code  sourceSnippet // the few Go lines that matter, cut from this build's source
	Needs []string      // marks besides ID that the step needs (none: ID alone)
}

func (st lessonStep) marks() []string {
	if st.Needs != nil {
		return st.Needs
	}
	return []string{st.ID}
}

// lessonSteps are the twelve points of the notes. A new panel that earns a step calls earn(c, id).
var lessonSteps = []lessonStep{
	{ID: "cookie-vs-session", Title: "A cookie lives in the browser, a session on the server",
		Node:  "res.setHeader('Set-Cookie', 'loggedIn=true')",
		Do:    "Set the <code>loggedIn</code> cookie to <code>true</code> and watch a server that trusts the cookie believe you are logged in: the visitor can write any cookie, so a cookie must never decide that.",
		Panel: "/lessons/cookie#lesson-verdict", How: "ticked when the cookie lesson has read loggedIn=true from your browser",
		Code: sourceSnippet{File: "controllers/lessons_cookie.go", Func: "GetCookieLesson", Lines: []string{"data.Believed ="}}},
	{ID: "set-cookie", Title: "Set-Cookie with Max-Age, Expires, Secure and HttpOnly",
		Node:  "res.setHeader('Set-Cookie', 'loggedIn=true; Max-Age=10; Secure; HttpOnly')",
		Do:    "Choose the attributes and press <em>Set cookie</em>: the page shows the exact <code>Set-Cookie</code> line the answer carried.",
		Panel: "/lessons/cookie#set-cookie", How: "ticked when the server has sent your browser a Set-Cookie line with one of those attributes",
		Code: sourceSnippet{File: "controllers/lessons_cookie.go", Func: "PostCookieLesson", Lines: []string{`Header().Add("Set-Cookie"`}}},
	{ID: "read-cookie", Title: "Reading the Cookie header",
		Node:  "req.get('Cookie').split(';')[1].trim().split('=')[1]",
		Do:    "Reload the cookie lesson after setting the cookie: the server splits the raw <code>Cookie</code> header by hand.",
		Panel: "/lessons/cookie#raw-cookie-header", How: "ticked when the server has read a loggedIn cookie from your Cookie header",
		Code: sourceSnippet{File: "controllers/lessons_cookie.go", Func: "parseCookieHeader", Lines: []string{"strings.Split(raw", "strings.Cut("}}},
	{ID: "session-on-server", Title: "The session lives on the server, in a database",
		Node:  "req.session",
		Do:    "Open the session lab and find your own session document, read from the database for that page.",
		Panel: "/lessons/session#panel-document", How: "ticked when the lab has shown you your stored session",
		Code: sourceSnippet{File: "controllers/lessons_session.go", Func: "sessionLab", Lines: []string{"ctl.Sessions.Document("}}},
	{ID: "signed", Title: "The id in the browser is signed against changes",
		Node:  "session({secret: 'my secret'})",
		Do:    "Press <em>Tamper with my cookie</em>: the server changes one character of your cookie's signature, and on the next request the store refuses it and starts a new session.",
		Panel: "/lessons/session#panel-cookie", How: "ticked when the store has refused a tampered cookie from your browser",
		Code: sourceSnippet{File: "controllers/lessons_session_actions.go", Func: "PostSessionTamper", Lines: []string{"tamperSignature(", "http.SetCookie("}}},
	{ID: "session-middleware", Title: "app.use(session({secret, resave}))",
		Node:  "app.use(session({secret: 'my secret', resave: false, saveUninitialized: false}))",
		Do:    "See where every page passes through the session middleware, and try <code>resave</code> and <code>saveUninitialized</code> in the options sandbox.",
		Panel: "/lessons/options", How: "ticked when your browser has sent a session cookie that the middleware verified with the secret, or has run a request in the options sandbox",
		Code: sourceSnippet{File: "routes/routes.go", Func: "New", Lines: []string{"d.Sessions.Middleware("}}},
	{ID: "session-set", Title: "req.session.key = value",
		Node:  "req.session.isLoggedIn = true",
		Do:    "Set a value in the lab with <em>save, then redirect</em>.",
		Panel: "/lessons/session#panel-set", How: "ticked when a value you set has been saved",
		Code: sourceSnippet{File: "controllers/lessons_session_actions.go", Func: "PostSessionValue", Lines: []string{"s.Set(sessionstore.KeyLesson", "ctl.redirect(c"}}},
	{ID: "cookie-generated", Title: "The session cookie is generated automatically",
		Node:  "Set-Cookie: connect.sid=s%3A…",
		Do:    "Forget your cookie (or start without one) and set a value in the lab: the first save of a new session sends a <code>connect.sid</code> cookie you never set yourself (\"What just happened\" shows the <code>Set-Cookie</code>).",
		Panel: "/lessons/session#panel-set", How: "ticked when the lab has started a new session for your browser and sent its cookie unasked: the first value you set, or the page after Tamper, Forget or Destroy, which keeps your ticks in a new session",
		Code: sourceSnippet{File: "controllers/render.go", Func: "saveSession", Lines: []string{"sessions.Default(c).Save()"}}},
	{ID: "session-get", Title: "Reading req.session.key back",
		Node:  "req.session.isLoggedIn",
		Do:    "Reload the lab after setting a value: a later request loads it from the store.",
		Panel: "/lessons/session#lesson-values", How: "ticked when a request has loaded a value you set earlier",
		Code: sourceSnippet{File: "controllers/lessons_session.go", Func: "lessonValues", Lines: []string{"s.Get(sessionstore.KeyLesson)"}}},
	{ID: "mongodb-store", Title: "The MongoDB store and saveUninitialized: false",
		Node:  "new MongoDBStore({uri: MONGODB_URI, collection: 'sessions'})",
		Do:    "Find your value in the <code>sessions</code> collection (the lab prints the <code>mongosh</code> command for this server). Browsing products stores nothing: a session is written only once something is set.",
		Panel: "/lessons/session#panel-document", How: "ticked when the lab has shown a value of yours in the stored document (SESSION_STORE=memory has no document, so it cannot tick there)",
		Code: sourceSnippet{File: "controllers/lessons_document.go", Func: "labDocumentJSON", Lines: []string{"bson.Unmarshal(raw"}}},
	{ID: "logout", Title: "Logout: destroy the session, not only the cookie",
		Node:  "req.session.destroy(err => res.redirect('/'))",
		Do:    "Press <em>Forget the cookie</em> (the document stays behind, orphaned), then set a value again and press <em>Destroy the session</em> (the document is deleted).",
		Panel: "/lessons/session#panel-destroy", How: "ticked when your browser has left an orphan and destroyed a session",
		Code:  sourceSnippet{File: "controllers/lessons_session_actions.go", Func: "PostSessionDestroy", Lines: []string{"sessionstore.Destroy(c)"}},
		Needs: []string{markOrphan, markDestroyed}},
	{ID: "save-before-redirect", Title: "req.session.save(cb) before a redirect",
		Node:  "req.session.save(err => res.redirect('/'))",
		Do:    "Set a value with <em>redirect first</em>: the next page is read before the slow store has written it. Reload and it is there. Or watch the race in <a href=\"/lessons/options#options-form\">the options sandbox</a>: a second request that saves a stale session overwrites the value.",
		Panel: "/lessons/session#panel-set", How: "ticked when a page has been read before the value it redirected for had arrived, or when you have watched the race in the options sandbox",
		Code: sourceSnippet{File: "controllers/render.go", Func: "redirect", Lines: []string{"saveSession(c)", "ctl.redirectWithoutSaving(c, to)"}}},
}

// stepNumber is the 1-based number of the step with that id.
func stepNumber(id string) int {
	for i, st := range lessonSteps {
		if st.ID == id {
			return i + 1
		}
	}
	return 0
}

// shownStep is a step as /lessons shows it.
type shownStep struct {
	lessonStep
	N, Next int
	Done    bool
	Code    shownSnippet
}

type lessonsData struct {
	views.Page
	Steps       []shownStep
	DoneCount   int
	HasProgress bool
}

// GetLessons is GET /lessons: the numbered steps with this visitor's ticks.
func (ctl *Controllers) GetLessons(c *gin.Context) {
	p := progressOf(sessions.Default(c))
	data := lessonsData{Page: ctl.page(c, "Lessons", "/lessons"), HasProgress: len(p) > 0}
	for i, st := range lessonSteps {
		code, err := ctl.snippet(st.Code)
		if err != nil {
			ctl.fail(c, err)
			return
		}
		s := shownStep{lessonStep: st, N: i + 1, Done: p.done(st), Code: code}
		if i+1 < len(lessonSteps) {
			s.Next = i + 2
		}
		if s.Done {
			data.DoneCount++
		}
		data.Steps = append(data.Steps, s)
	}
	ctl.render(c, http.StatusOK, "lessons/index", data)
}
