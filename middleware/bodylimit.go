package middleware

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
)

// ErrBodyTooLarge is the error an oversized request answers with (413).
var ErrBodyTooLarge = errors.New("request body too large")

// BodyLimit caps the request body at max bytes. A declared Content-Length above it is refused at
// once; an undeclared one fails when a handler reads past the limit (see IsBodyTooLarge).
func BodyLimit(max int64, abort Abort) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			abort(c, http.StatusRequestEntityTooLarge, ErrBodyTooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}

// IsBodyTooLarge reports whether err came from reading past BodyLimit's cap.
func IsBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe) || errors.Is(err, ErrBodyTooLarge)
}
