// Package routes lists every URL of Gin Shop and the middleware each one passes through.
// To find the code behind a URL, find the URL here and follow the handler's name.
package routes

import (
	"log/slog"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/controllers"
	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/public"
	"github.com/ginshop/ginshop/sessionstore"
)

// Body limits: ordinary forms are small; the product form carries one image (see
// controllers.MaxImageBytes) plus its text fields.
const (
	formBodyLimit   = 64 << 10
	uploadBodyLimit = 6 << 20
)

// Deps is what the routes need to build the chains.
type Deps struct {
	Config      config.Config
	Controllers *controllers.Controllers
	Sessions    *sessionstore.Store
	Assets      *public.Assets
	Logger      *slog.Logger
}

// New builds the Gin engine with every route of ../shared/CONTRACT.md.
func New(d Deps) (*gin.Engine, error) {
	ctl := d.Controllers
	abort := middleware.Abort(ctl.Abort)

	r := gin.New()
	// Gin trusts every proxy's X-Forwarded-For by default; the client address must come from the
	// connection unless the operator names a proxy.
	if err := r.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		return nil, err
	}
	r.RedirectTrailingSlash = true
	r.Use(
		middleware.Recovery(d.Logger, abort),
		middleware.RequestLog(d.Logger),
		middleware.SecurityHeaders(),
	)

	// Static files: no session, long cache with cache-busting URLs.
	for _, p := range []string{"/css/*file", "/js/*file", "/images/products/*file"} {
		r.GET(p, d.Assets.Serve, ctl.NotFound)
	}
	r.GET("/favicon.svg", d.Assets.Serve)
	r.GET("/healthz", ctl.Healthz)

	// The session chain every page goes through: load the session (one read by _id, none without
	// a cookie), check CSRF on state-changing requests, read the current user.
	session := []gin.HandlerFunc{
		sessions.Sessions(d.Config.SessionName, d.Sessions),
		middleware.LoadSession(d.Sessions, d.Config.SessionName, abort),
		middleware.CSRF(abort),
		middleware.CurrentUser(),
	}
	site := r.Group("/", middleware.BodyLimit(formBodyLimit, abort))
	site.Use(session...)
	loggedIn := site.Group("/", middleware.RequireLogin())

	// Shop (routes/shop.js)
	site.GET("/", ctl.Index)
	site.GET("/products", ctl.Products)
	site.GET("/products/:productId", ctl.ProductDetail)
	_ = loggedIn

	// Auth (routes/auth.js)
	site.GET("/login", ctl.GetLogin)
	site.POST("/login", ctl.PostLogin)
	site.POST("/logout", ctl.PostLogout)

	// The raw-cookie lesson
	site.GET("/lessons/cookie", ctl.GetCookieLesson)
	site.POST("/lessons/cookie", ctl.PostCookieLesson)
	site.POST("/lessons/cookie/delete", ctl.PostCookieLessonDelete)

	// Errors (controllers/error.js)
	site.GET("/500", ctl.ErrorPage)
	// Unknown URLs get the 404 page with the visitor's navigation (no CSRF check: nothing changes).
	r.NoRoute(session[0], session[1], session[3], ctl.NotFound)
	return r, nil
}
