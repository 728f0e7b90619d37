package middleware_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/middleware"
)

// TestPanicIsLoggedWithItsStackAndRequestID: a panicking handler answers 500; the log has the
// panic with the stack that leads to it, and the request's line, both with the id the answer
// carries in X-Request-Id.
func TestPanicIsLoggedWithItsStackAndRequestID(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	r := gin.New()
	r.Use(middleware.RequestLog(logger), // the order of routes.go
		middleware.Recovery(logger, func(c *gin.Context, status int, err error) { c.AbortWithStatus(status) }))
	r.GET("/boom", func(*gin.Context) { explode() })
	r.GET("/ok", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/boom", nil))
	id := w.Header().Get(middleware.RequestIDHeader)
	if w.Code != http.StatusInternalServerError || len(id) < 16 {
		t.Fatalf("status %d, X-Request-Id %q", w.Code, id)
	}
	var panicLine, requestLine string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		switch {
		case strings.Contains(line, `"msg":"panic"`):
			panicLine = line
		case strings.Contains(line, `"msg":"request"`):
			requestLine = line
		}
	}
	if !strings.Contains(panicLine, `"requestId":"`+id+`"`) || !strings.Contains(requestLine, `"requestId":"`+id+`"`) {
		t.Errorf("the id %s is not in both lines:\n%s\n%s", id, panicLine, requestLine)
	}
	if !strings.Contains(panicLine, "middleware_test.explode") || !strings.Contains(panicLine, "goroutine") {
		t.Errorf("the panic line has no stack naming the function that panicked: %s", panicLine)
	}

	// Every request gets its own id.
	w2 := httptest.NewRecorder()
	r.ServeHTTP(w2, httptest.NewRequest(http.MethodGet, "/ok", nil))
	if id2 := w2.Header().Get(middleware.RequestIDHeader); id2 == "" || id2 == id {
		t.Errorf("second request's id %q (first %q)", id2, id)
	}
}

func explode() { panic("secret internal detail") }
