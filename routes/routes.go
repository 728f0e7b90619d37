// Package routes lists every URL of Gin Shop and the middleware each one passes through.
// To find the code behind a URL, find the URL here and follow the handler's name.
package routes

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/controllers"
	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/public"
	"github.com/ginshop/ginshop/sandbox"
	"github.com/ginshop/ginshop/sessionstore"
)

// Body limits: ordinary forms are small; the product form carries one image (see
// controllers.MaxImageBytes) plus its text fields.
const (
	formBodyLimit   = 64 << 10
	uploadBodyLimit = controllers.MaxImageBytes + 1<<20
)

// Deps is what the routes need to build the chains.
type Deps struct {
	Config      config.Config
	Controllers *controllers.Controllers
	Sessions    *sessionstore.Store
	Assets      *public.Assets
	Logger      *slog.Logger
	// DatabaseDeadline is database.DB.RequestContext: how long a request's queries may wait.
	DatabaseDeadline func(context.Context) (context.Context, context.CancelFunc)
}

// New builds the Gin engine with every route of the shop (the README's and docs/SHOP.md's list of
// URLs). Serve it through Handler.
func New(d Deps) (*gin.Engine, error) {
	ctl := d.Controllers
	abort := middleware.Abort(ctl.Abort)

	r := gin.New()
	// Gin trusts every proxy's X-Forwarded-For by default; the client address must come from the
	// connection unless the operator names a proxy.
	if err := r.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		return nil, err
	}
	r.RedirectTrailingSlash = true // /products/ → /products, with a path only (see Handler)
	r.Use(
		middleware.RequestLog(d.Logger),
		middleware.Recovery(d.Logger, abort),
		middleware.SecurityHeaders(d.Config.SendHSTS()),
	)

	root := withHEAD(&r.RouterGroup)

	// Static files: no session, long cache with cache-busting URLs.
	for _, p := range []string{"/css/*file", "/js/*file", "/images/products/*file"} {
		root.GET(p, d.Assets.Serve, ctl.NodeAppImage, ctl.NotFound) // then the Node app's picture, if any
	}
	root.GET("/favicon.svg", d.Assets.Serve)
	root.GET("/images/uploads/:name", ctl.UploadedImage) // product images users uploaded (GridFS)
	root.GET("/healthz", ctl.Healthz)

	// The session chain every page goes through: bound how long its queries may wait (a second
	// while the database is down), load the session (one read by _id, none without a cookie),
	// check CSRF on state-changing requests, read the current user.
	sessionUnavailable := func(c *gin.Context, err error) { abort(c, http.StatusServiceUnavailable, err) }
	loadSession := []gin.HandlerFunc{
		middleware.DatabaseDeadline(d.DatabaseDeadline),
		// app.use(session({secret, resave: false, saveUninitialized: false, store})); the lesson
		// pages also record what happened to the session (sessionstore.Trace).
		d.Sessions.Middleware(sessionUnavailable, isLessonPage),
	}
	csrf, currentUser := middleware.CSRF(d.Sessions, abort), middleware.CurrentUser(ctl.Models.Users.ForRequest, abort)

	site := withHEAD(r.Group("/", middleware.BodyLimit(formBodyLimit, abort)))
	site.Use(loadSession...)
	site.Use(csrf, currentUser)
	loggedIn := site.Group("/", middleware.RequireLogin())
	// The admin pages: logged in, and a body limit that fits the product form's image.
	admin := withHEAD(r.Group("/admin", middleware.BodyLimit(uploadBodyLimit, abort)))
	admin.Use(loadSession...)
	admin.Use(csrf, currentUser, middleware.RequireLogin())

	// Shop (routes/shop.js)
	site.GET("/", ctl.Index)
	site.GET("/products", ctl.Products)
	site.GET("/products/:productId", ctl.ProductDetail)
	loggedIn.GET("/cart", ctl.GetCart)
	loggedIn.POST("/cart", ctl.PostCart)
	loggedIn.POST("/cart-delete-item", ctl.PostCartDeleteProduct)
	loggedIn.GET("/checkout", ctl.GetCheckout)
	loggedIn.POST("/create-order", ctl.PostOrder)
	loggedIn.GET("/orders", ctl.GetOrders)
	loggedIn.GET("/orders/:orderId", ctl.GetInvoice)

	// Admin (routes/admin.js): only the user's own products
	admin.GET("/add-product", ctl.GetAddProduct)
	admin.POST("/add-product", ctl.PostAddProduct)
	admin.GET("/products", ctl.GetAdminProducts)
	admin.GET("/edit-product/:productId", ctl.GetEditProduct)
	admin.POST("/edit-product", ctl.PostEditProduct)
	admin.POST("/delete-product", ctl.PostDeleteProduct)
	admin.DELETE("/product/:productId", ctl.DeleteProduct)

	// Auth (routes/auth.js)
	site.GET("/login", ctl.GetLogin)
	site.POST("/login", ctl.PostLogin)
	site.POST("/logout", ctl.PostLogout)
	site.GET("/signup", ctl.GetSignup)
	site.POST("/signup", ctl.PostSignup)
	site.GET("/reset", ctl.GetReset)
	site.POST("/reset", ctl.PostReset)
	site.GET("/reset/:token", ctl.GetNewPassword)
	site.POST("/new-password", ctl.PostNewPassword)

	// The development outbox (no course counterpart): absent in production, so a 404 there.
	if !d.Config.IsProduction() {
		site.GET("/dev/mailbox", ctl.DevMailbox)
	}

	// The raw-cookie lesson
	site.GET("/lessons/cookie", ctl.GetCookieLesson)
	site.POST("/lessons/cookie", ctl.PostCookieLesson)
	site.POST("/lessons/cookie/delete", ctl.PostCookieLessonDelete)

	// The lesson index, the course map (docs/COURSE.md) and the session lab
	site.GET("/lessons", ctl.GetLessons)
	site.POST("/lessons/restart", ctl.PostLessonsRestart)
	site.GET("/lessons/course", ctl.GetCourseMap)
	site.GET("/lessons/source/*file", ctl.GetLessonSource) // this build's Go files, highlighted
	site.GET("/lessons/session", ctl.GetSessionLab)
	site.POST("/lessons/session/value", ctl.PostSessionValue)
	site.POST("/lessons/session/forget-cookie", ctl.PostSessionForgetCookie)
	site.POST("/lessons/session/destroy", ctl.PostSessionDestroy)
	site.POST("/lessons/session/tamper", ctl.PostSessionTamper)

	// The options sandbox: express-session's options on a session of its own (sandbox.sid,
	// collection lessonSandboxSessions); the shop's session only carries the forms' CSRF token.
	site.GET("/lessons/options", ctl.GetOptionsSandbox)
	site.POST("/lessons/options/nothing", ctl.PostOptionsSandbox(sandbox.ActionNothing))
	site.POST("/lessons/options/set", ctl.PostOptionsSandbox(sandbox.ActionSet))
	site.POST("/lessons/options/race", ctl.PostOptionsSandbox(sandbox.ActionRace))
	site.POST("/lessons/options/restart-memory", ctl.PostOptionsRestartMemory)

	// Errors (controllers/error.js)
	site.GET("/500", ctl.ErrorPage)
	// Unknown URLs get the 404 page with the visitor's navigation (no CSRF check: nothing changes).
	// Before that, a picture of the Node course app's public folder, when it is configured.
	r.NoRoute(slices.Concat([]gin.HandlerFunc{ctl.NodeAppImage}, loadSession, []gin.HandlerFunc{currentUser, ctl.NotFound})...)
	return r, nil
}

// isLessonPage picks the requests whose session is traced for the lessons' "what just
// happened" panels: the lesson pages, and a login or logout that returns to one of them.
func isLessonPage(c *gin.Context) bool {
	p := c.Request.URL.Path
	return strings.HasPrefix(p, "/lessons/") || p == "/lessons" ||
		((p == "/login" || p == "/logout") && strings.HasPrefix(c.Query("next"), "/lessons"))
}

// Handler serves the engine so that the redirects Gin makes on its own (a trailing slash) carry a
// path only. Gin builds their Location from the request URL, which for an absolute-form request
// target ("GET http://evil.example/products/ HTTP/1.1") holds a scheme and a host, and it puts
// X-Forwarded-Prefix in front of the path; the shop runs at the root of its own host, so both
// are dropped before Gin sees the request.
func Handler(engine *gin.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Scheme != "" || r.URL.Host != "" || r.URL.User != nil || r.Header.Get("X-Forwarded-Prefix") != "" {
			r = r.Clone(r.Context())
			r.URL.Scheme, r.URL.Host, r.URL.User = "", "", nil
			r.Header.Del("X-Forwarded-Prefix")
		}
		engine.ServeHTTP(w, r)
	})
}

// headGroup is a route group whose GET routes answer HEAD too, with the same handlers: net/http
// drops the body of an answer to HEAD, so its status and headers are the GET's. Uptime monitors
// and link checkers use HEAD; Gin answers it only for routes that name it.
type headGroup struct{ *gin.RouterGroup }

func withHEAD(g *gin.RouterGroup) headGroup { return headGroup{g} }

// GET registers path for GET and HEAD.
func (g headGroup) GET(path string, handlers ...gin.HandlerFunc) gin.IRoutes {
	g.RouterGroup.HEAD(path, handlers...)
	return g.RouterGroup.GET(path, handlers...)
}

// Group keeps the HEAD rule for the routes of a subgroup.
func (g headGroup) Group(path string, handlers ...gin.HandlerFunc) headGroup {
	return withHEAD(g.RouterGroup.Group(path, handlers...))
}
