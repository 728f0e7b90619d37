package controllers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/sandbox"
	"github.com/ginshop/ginshop/views"
)

// The options sandbox (/lessons/options): the student picks express-session's options and a
// store, presses a button, and sees what each simulated request did: Set-Cookie or not, the
// store's commands, the stored session afterwards. The decisions are express-session's own,
// written out in sandbox/; the sandbox has its own cookie (sandbox.sid) and collection, so the
// visitor's shop session is never touched by it.

// maxAgeMin is the smallest cookie.maxAge the form takes (a second); the largest is
// sandbox.MaxAgeLimit, so sandbox sessions expire within 15 minutes.
const maxAgeMin = time.Second

// optionsForm is the form as typed, kept for re-rendering.
type optionsForm struct {
	Resave, SaveUninitialized, Rolling string // "true" or "false"
	MaxAge                             string // milliseconds, as Node's cookie.maxAge
	Store                              string // sandbox.StoreMongoDB or sandbox.StoreMemory
}

var defaultOptionsForm = optionsForm{Resave: "false", SaveUninitialized: "false", Rolling: "false", MaxAge: "60000", Store: sandbox.StoreMongoDB}

type optionsPageData struct {
	views.Page
	Form        optionsForm
	Result      *sandbox.Result
	Action      sandbox.Action
	Restarted   int // sessions the memory store held before "restart the server's memory"
	MaxSessions int
	MaxAgeMin   int64
	MaxAgeMax   int64
}

// NodeConfig is the Node line the chosen options stand for.
func (f optionsForm) NodeConfig() string {
	store := "store: new MongoDBStore({uri: MONGODB_URI, collection: 'lessonSandboxSessions'})"
	if f.Store == sandbox.StoreMemory {
		store = "// no store option: express-session's MemoryStore"
	}
	return fmt.Sprintf("app.use(session({\n  name: '%s',\n  secret: SESSION_SECRET,\n  resave: %s,\n  saveUninitialized: %s,\n  rolling: %s,\n  cookie: {maxAge: %s, path: '%s', sameSite: 'lax'},\n  %s\n}))",
		sandbox.CookieName, f.Resave, f.SaveUninitialized, f.Rolling, f.MaxAge, sandbox.CookiePath, store)
}

func (ctl *Controllers) optionsPage(c *gin.Context, f optionsForm) optionsPageData {
	return optionsPageData{Page: ctl.page(c, "Session Options Sandbox", "/lessons/options"), Form: f,
		MaxSessions: sandbox.MaxSessions, MaxAgeMin: maxAgeMin.Milliseconds(), MaxAgeMax: sandbox.MaxAgeLimit.Milliseconds()}
}

// GetOptionsSandbox is GET /lessons/options: the form with express-session's recommended options.
func (ctl *Controllers) GetOptionsSandbox(c *gin.Context) {
	ctl.render(c, http.StatusOK, "lessons/options", ctl.optionsPage(c, defaultOptionsForm))
}

// PostOptionsSandbox returns the handler of POST /lessons/options/<action>: run the action
// with the submitted options, set the sandbox cookie as express-session would, show what happened.
func (ctl *Controllers) PostOptionsSandbox(action sandbox.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		f := readOptionsForm(c)
		opts, msg := f.options()
		if msg != "" {
			ctl.optionsError(c, f, msg)
			return
		}
		var raw string
		if ck, err := c.Request.Cookie(sandbox.CookieName); err == nil {
			raw = ck.Value
		}
		res, err := ctl.Sandbox.Run(c.Request.Context(), f.Store, opts, action, raw)
		if errors.Is(err, sandbox.ErrNoSession) {
			ctl.optionsError(c, f, "The race needs a stored sandbox session: without one, the two requests would each start "+
				"their own. Press “a request that sets a value” first, with the same store.")
			return
		}
		if err != nil {
			ctl.fail(c, err)
			return
		}
		if res.Cookie != nil {
			http.SetCookie(c.Writer, res.Cookie) // what express-session's onHeaders listener does
		}
		// The ticks go into the visitor's shop session (the only thing the sandbox writes there):
		// any request run through the middleware is step 6, the race is step 12's lost write.
		earn(c, "session-middleware")
		if action == sandbox.ActionRace {
			earn(c, "save-before-redirect")
		}
		data := ctl.optionsPage(c, f)
		data.Result, data.Action = &res, action
		ctl.render(c, http.StatusOK, "lessons/options", data)
	}
}

// PostOptionsRestartMemory is POST /lessons/options/restart-memory: empty the sandbox's memory
// store, which is what restarting a Node server does to express-session's MemoryStore.
func (ctl *Controllers) PostOptionsRestartMemory(c *gin.Context) {
	f := readOptionsForm(c)
	data := ctl.optionsPage(c, f)
	data.Restarted = ctl.Sandbox.Memory.Len()
	ctl.Sandbox.RestartMemory()
	ctl.render(c, http.StatusOK, "lessons/options", data)
}

func (ctl *Controllers) optionsError(c *gin.Context, f optionsForm, msg string) {
	data := ctl.optionsPage(c, f)
	data.ErrorMessage = msg
	ctl.render(c, http.StatusUnprocessableEntity, "lessons/options", data)
}

func readOptionsForm(c *gin.Context) optionsForm {
	return optionsForm{Resave: postForm(c, "resave"), SaveUninitialized: postForm(c, "saveUninitialized"),
		Rolling: postForm(c, "rolling"), MaxAge: postForm(c, "maxAge"), Store: postForm(c, "store")}
}

// options checks the form and returns the options, or the message for the first bad field.
func (f optionsForm) options() (sandbox.Options, string) {
	var o sandbox.Options
	for _, b := range []struct {
		name, value string
		to          *bool
	}{{"resave", f.Resave, &o.Resave}, {"saveUninitialized", f.SaveUninitialized, &o.SaveUninitialized}, {"rolling", f.Rolling, &o.Rolling}} {
		switch b.value {
		case "true":
			*b.to = true
		case "false":
		default:
			return o, b.name + " must be true or false."
		}
	}
	ms, err := strconv.ParseInt(f.MaxAge, 10, 64)
	if err != nil || ms < maxAgeMin.Milliseconds() || ms > sandbox.MaxAgeLimit.Milliseconds() {
		return o, fmt.Sprintf("cookie.maxAge must be a whole number of milliseconds from %d to %d (sandbox sessions live at most 15 minutes).",
			maxAgeMin.Milliseconds(), sandbox.MaxAgeLimit.Milliseconds())
	}
	o.MaxAge = time.Duration(ms) * time.Millisecond
	if f.Store != sandbox.StoreMongoDB && f.Store != sandbox.StoreMemory {
		return o, "The store must be mongodb or memory."
	}
	return o, ""
}
