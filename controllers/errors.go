package controllers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/sessionstore"
	"github.com/ginshop/ginshop/views"
)

// errorPageData is what views/error.html shows.
type errorPageData struct {
	views.Page
	Heading string
	Message string
}

// errorTexts are the headings and sentences of the error pages other than 404 and 500.
var errorTexts = map[int][2]string{
	http.StatusBadRequest:            {"Bad Request", "The shop could not read that request."},
	http.StatusForbidden:             {"Forbidden", "This form has expired or was not sent from this site. Go back, reload the page and try again."},
	http.StatusRequestEntityTooLarge: {"Too Large", "That form or upload is larger than the shop accepts."},
	http.StatusTooManyRequests:       {"Too Many Attempts", "Too many attempts. Please wait a while and try again."},
	http.StatusServiceUnavailable:    {"Service Unavailable", "The shop's database is not answering right now. Please try again in a moment."},
}

// Abort renders the error page for status and stops the chain; middleware uses it too. Details of
// server-side errors go only to the log.
func (ctl *Controllers) Abort(c *gin.Context, status int, err error) {
	if status >= 500 && err != nil {
		ctl.Logger.Error("request failed", "requestId", middleware.RequestID(c), "method", c.Request.Method, "path", c.Request.URL.Path, "status", status, "err", err)
	}
	c.Abort()
	if c.Writer.Written() {
		return
	}
	c.Header("Cache-Control", "no-store")
	if wantsJSON(c) {
		// public/js/admin.js's DELETE: the same answer as JSON, whichever step failed.
		c.JSON(status, gin.H{"message": errorMessage(status)})
		return
	}
	var (
		title, name string
		data        any
	)
	switch status {
	case http.StatusNotFound:
		title, name = "Page Not Found", "404"
	case http.StatusInternalServerError:
		title, name = "Error!", "500"
	default:
		text, ok := errorTexts[status]
		if !ok {
			text = [2]string{http.StatusText(status), "Something went wrong."}
		}
		title, name = text[0], "error"
		data = errorPageData{Heading: text[0], Message: text[1]}
	}
	p := views.NewPage(title, "", nil)
	if u, ok := middleware.UserFrom(c); ok {
		// A logged-in visitor keeps their navigation (and its logout form, whose token the
		// session has had since login); anonymous error pages never create a session.
		p = views.NewPage(title, "", func() string { return middleware.CSRFToken(c, ctl.Sessions) })
		p.IsAuthenticated, p.UserEmail = true, u.Email
	}
	if ed, ok := data.(errorPageData); ok {
		ed.Page = p
		data = ed
	} else {
		data = p
	}
	err = ctl.Views.Render(name, data, func(body []byte) error {
		c.Data(status, "text/html; charset=utf-8", body)
		return nil
	})
	if err != nil {
		ctl.Logger.Error("render error page", "status", status, "err", err)
		c.String(status, http.StatusText(status))
	}
}

// errorMessage is the sentence an error answer shows for status.
func errorMessage(status int) string {
	if text, ok := errorTexts[status]; ok {
		return text[1]
	}
	return http.StatusText(status)
}

// wantsJSON reports whether the request is the admin script's, which reads JSON answers.
func wantsJSON(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("Accept"), "application/json")
}

// NotFound is the 404 page, for unknown URLs and for ids that name nothing.
func (ctl *Controllers) NotFound(c *gin.Context) { ctl.Abort(c, http.StatusNotFound, nil) }

// ErrorPage is GET /500, the course's error page.
func (ctl *Controllers) ErrorPage(c *gin.Context) { ctl.Abort(c, http.StatusInternalServerError, nil) }

func (ctl *Controllers) serverError(c *gin.Context, err error) {
	ctl.Abort(c, http.StatusInternalServerError, err)
}

// fail answers a model error with the right page: 404 for ErrNotFound, 503 when the database does
// not answer, 500 for anything else.
func (ctl *Controllers) fail(c *gin.Context, err error) {
	switch {
	case errors.Is(err, models.ErrNotFound):
		ctl.NotFound(c)
	case isUnavailable(err):
		ctl.Abort(c, http.StatusServiceUnavailable, err)
	default:
		ctl.serverError(c, err)
	}
}

// isUnavailable reports whether err means the database cannot serve the request now (gone, too
// slow, or unable to write): database.Unavailable decides, the session store's errors included.
func isUnavailable(err error) bool {
	return errors.Is(err, sessionstore.ErrUnavailable) || database.Unavailable(err)
}
