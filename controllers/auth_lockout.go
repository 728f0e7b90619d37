package controllers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// msgLoginLocked is the answer while an (email, address) pair is locked. It is the same for
// addresses with and without an account: failures are counted for both.
const msgLoginLocked = "Too many failed logins for this email. Please wait 15 minutes and try again, or reset your password."

// refuseLockedLogin answers 429 with the login form when this email has failed too often from
// this client address, and reports whether it did. The address is the connection's unless
// TRUSTED_PROXIES names the proxy in front (routes.go calls SetTrustedProxies), so a forged
// X-Forwarded-For does not give an attacker fresh attempts.
func (ctl *Controllers) refuseLockedLogin(c *gin.Context, email, next string) bool {
	until, locked, err := ctl.Models.LoginAttempts.LockedUntil(c.Request.Context(), email, c.ClientIP(), time.Now())
	if err != nil {
		ctl.fail(c, err)
		return true
	}
	if !locked {
		return false
	}
	c.Header("Retry-After", strconv.Itoa(int(time.Until(until).Seconds())+1))
	data := loginData{Page: ctl.page(c, "Login", "/login"), Email: email, Next: next}
	data.ErrorMessage = msgLoginLocked
	ctl.render(c, http.StatusTooManyRequests, "auth/login", data)
	return true
}
