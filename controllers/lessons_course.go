package controllers

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/ginshop/ginshop/docs"
	"github.com/ginshop/ginshop/views"
)

// nodeCallSteps links a Node call of the course map (a code span that starts with the key) to
// the lesson step that shows it.
var nodeCallSteps = []struct{ prefix, step string }{
	{"res.setHeader('Set-Cookie'", "set-cookie"},
	{"req.get('Cookie')", "read-cookie"},
	{"session({secret", "session-middleware"},
	{"app.use(session(", "session-middleware"},
	{"secret: 'my secret'", "signed"},
	{"the signed cookie", "signed"},
	{"connect.sid=s%3A", "cookie-generated"},
	{"new MongoDBStore(", "mongodb-store"},
	{"req.session.isLoggedIn = ", "session-set"},
	{"req.session.user = ", "session-set"},
	{"req.session.x = y", "session-set"},
	{"req.session.isLoggedIn", "session-get"},
	{"req.session.save(", "save-before-redirect"},
	{"req.session.destroy(", "logout"},
	{"res.clearCookie(", "logout"},
}

type courseMapData struct {
	views.Page
	HTML template.HTML
}

// GetCourseMap is GET /lessons/course: docs/COURSE.md (the repository file stays the source)
// rendered as a page, with GitHub tables, heading anchors, and each Node call linked to its step.
func (ctl *Controllers) GetCourseMap(c *gin.Context) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(linkNodeCalls{}, 100))),
	)
	var buf bytes.Buffer
	if err := md.Convert(docs.CourseMap, &buf); err != nil {
		ctl.fail(c, err)
		return
	}
	data := courseMapData{Page: ctl.page(c, "Course map", "/lessons/course"),
		HTML: template.HTML(buf.String())} // our own Markdown; goldmark drops raw HTML by default
	ctl.render(c, http.StatusOK, "lessons/course", data)
}

// linkNodeCalls wraps each code span that names a Node call of a lesson step in a link to it.
type linkNodeCalls struct{}

func (linkNodeCalls) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var spans []*ast.CodeSpan
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if cs, ok := n.(*ast.CodeSpan); ok && entering {
			if _, inLink := cs.Parent().(*ast.Link); !inLink {
				spans = append(spans, cs)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, cs := range spans {
		code := codeSpanText(cs, src)
		for _, nc := range nodeCallSteps {
			if strings.HasPrefix(code, nc.prefix) {
				link := ast.NewLink()
				link.Destination = []byte("/lessons#step-" + strconv.Itoa(stepNumber(nc.step)))
				link.Title = []byte("Lesson step " + strconv.Itoa(stepNumber(nc.step)))
				parent := cs.Parent()
				parent.ReplaceChild(parent, cs, link)
				link.AppendChild(link, cs)
				break
			}
		}
	}
}

func codeSpanText(cs *ast.CodeSpan, src []byte) string {
	var b strings.Builder
	for n := cs.FirstChild(); n != nil; n = n.NextSibling() {
		if t, ok := n.(*ast.Text); ok {
			b.Write(t.Segment.Value(src))
		}
	}
	return b.String()
}
