// Package middleware holds the request chain that routes.go assembles, in this order:
// request log → recovery → security headers → body limit → database deadline → session → CSRF →
// current user → guard.
package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// Abort renders an error page (403, 413, 503, ...) and stops the chain. The controllers provide
// it, so middleware answers with the same pages as handlers do.
type Abort func(c *gin.Context, status int, err error)

// RequestIDHeader carries the request's id in the answer, so a visitor's report ("it failed,
// X-Request-Id: …") finds its log lines.
const RequestIDHeader = "X-Request-Id"

const requestIDKey = "requestId"

// RequestID is the id RequestLog gave the request ("" before it ran).
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// Recovery turns a panic into the 500 page; the details and the stack go only to the log.
func Recovery(logger *slog.Logger, abort Abort) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, recovered any) {
		logger.Error("panic", "requestId", RequestID(c), "method", c.Request.Method, "path", c.Request.URL.Path,
			"panic", recovered, "stack", string(debug.Stack()))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		abort(c, http.StatusInternalServerError, nil)
	})
}

// RequestLog gives each request a fresh id (the X-Request-Id header of the answer, and every
// log line about the request) and logs one line per request after it is answered. The id is
// always made here: one sent by the client is not trusted into the log. It comes first in the
// chain, before Recovery, so a request that panicked is logged too, with its 500.
func RequestLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := newRequestID()
		c.Set(requestIDKey, id)
		c.Header(RequestIDHeader, id)
		c.Next()
		logger.Info("request",
			"requestId", id,
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"status", c.Writer.Status(),
			"duration", time.Since(start).Round(time.Microsecond),
			"client", c.ClientIP(),
		)
	}
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DatabaseDeadline bounds the request's database work with limit (database.DB.RequestContext):
// a dead database answers 503 within about a second, a busy one makes requests wait their turn.
func DatabaseDeadline(limit func(context.Context) (context.Context, context.CancelFunc)) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := limit(c.Request.Context())
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
