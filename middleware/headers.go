package middleware

import "github.com/gin-gonic/gin"

// contentSecurityPolicy lets pages load only the shop's own scripts, styles and images, and
// nobody frame them.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

// strictTransportSecurity keeps browsers on HTTPS for a year after a visit (at least 180 days is
// what scanners ask for).
const strictTransportSecurity = "max-age=31536000"

// SecurityHeaders sets the headers every answer carries; hsts adds Strict-Transport-Security
// (production, unless a proxy in front sets it).
func SecurityHeaders(hsts bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if hsts {
			h.Set("Strict-Transport-Security", strictTransportSecurity)
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		c.Next()
	}
}
