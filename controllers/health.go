package controllers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Healthz is GET /healthz: 200 "ok" when the database answers within a second, else 503.
func (ctl *Controllers) Healthz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	c.Header("Cache-Control", "no-store")
	if err := ctl.DB.Ping(ctx); err != nil {
		c.String(http.StatusServiceUnavailable, "database unavailable")
		return
	}
	c.String(http.StatusOK, "ok")
}
