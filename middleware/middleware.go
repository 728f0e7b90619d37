// Package middleware holds the request chain that routes.go assembles, in this order:
// recovery → request log → security headers → body limit → database deadline → session → CSRF →
// current user → guard.
package middleware

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
)

// Abort renders an error page (403, 413, 503, ...) and stops the chain. The controllers provide
// it, so middleware answers with the same pages as handlers do.
type Abort func(c *gin.Context, status int, err error)

// Recovery turns a panic into the 500 page; the details go only to the log.
func Recovery(logger *slog.Logger, abort Abort) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, recovered any) {
		logger.Error("panic", "method", c.Request.Method, "path", c.Request.URL.Path, "panic", recovered)
		if c.Writer.Written() {
			c.Abort()
			return
		}
		abort(c, 500, nil)
	})
}

// RequestLog logs one line per request, after it is answered.
func RequestLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		logger.Info("request",
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"status", c.Writer.Status(),
			"duration", time.Since(start).Round(time.Microsecond),
			"client", c.ClientIP(),
		)
	}
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
