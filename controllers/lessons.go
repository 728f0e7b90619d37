package controllers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/docs"
	"github.com/ginshop/ginshop/views"
)

// lesson is one entry of the /lessons index.
type lesson struct {
	Path, Title, Summary, NodeCalls string
}

// lessons lists the live lessons in the order of the course; a new lesson page adds a line.
var lessons = []lesson{
	{"/lessons/cookie", "A raw cookie",
		"Set a cookie by hand and read the Cookie header back, and see why a cookie must never decide who is logged in.",
		"res.setHeader('Set-Cookie', ...), req.get('Cookie')"},
	{"/lessons/session", "The session lab",
		"Your own session cookie and MongoDB document, live: set a value, save before redirecting, destroy the session or only forget its cookie.",
		"session({...}), new MongoDBStore(...), req.session.x = y, req.session.save(cb), req.session.destroy(cb)"},
}

type lessonsData struct {
	views.Page
	Lessons []lesson
}

// GetLessons is GET /lessons, the lesson index.
func (ctl *Controllers) GetLessons(c *gin.Context) {
	ctl.render(c, http.StatusOK, "lessons/index", lessonsData{Page: ctl.page(c, "Lessons", "/lessons"), Lessons: lessons})
}

// GetCourseMap is GET /lessons/course: docs/COURSE.md, the map from each file and call of the
// Node course app to its Go twin, as plain text.
func (ctl *Controllers) GetCourseMap(c *gin.Context) {
	c.Data(http.StatusOK, "text/plain; charset=utf-8", docs.CourseMap)
}
