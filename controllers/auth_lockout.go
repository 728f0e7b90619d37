package controllers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/models"
)

// msgLoginLocked is the answer while an (email, address) pair is locked. It is the same for
// addresses with and without an account: failures are counted for both.
const msgLoginLocked = "Too many failed logins for this email. Please wait 15 minutes and try again, or reset your password."

// msgTooManyFromAddress answers a client address over its login or signup limit.
const msgTooManyFromAddress = "Too many attempts from your network. Please wait a while and try again."

// allowFromAddress counts this request against the client address's limit (models.LoginsPerAddress,
// models.SignupsPerAddress) and, beyond it, sets Retry-After and returns false; the caller then
// answers 429 with its form. The count comes before any password is hashed or checked, so a
// flood from one address costs one counter update per request, not one bcrypt each.
func (ctl *Controllers) allowFromAddress(c *gin.Context, limit models.AddressLimit) (ok bool, err error) {
	retry, ok, err := ctl.Models.AddressLimits.Allow(c.Request.Context(), limit, c.ClientIP(), time.Now())
	if err != nil || ok {
		return ok, err
	}
	c.Header("Retry-After", strconv.Itoa(int(retry.Round(time.Second).Seconds())))
	return false, nil
}

// countLoginAttempt counts this attempt for (email, client address) before any password is
// checked, and answers 429 with the login form when the pair is over the limit; ok is false
// when it answered. Counting first (one atomic $inc) is what keeps the limit when many attempts
// arrive at once. The address is the connection's unless TRUSTED_PROXIES names the proxy in front
// (routes.go calls SetTrustedProxies), so a forged X-Forwarded-For does not give fresh attempts.
func (ctl *Controllers) countLoginAttempt(c *gin.Context, email, next string) (attempt models.LoginAttempt, ok bool) {
	refuse := func(msg string) (models.LoginAttempt, bool) {
		data := loginData{Page: ctl.page(c, "Login", "/login"), Email: email, Next: next}
		data.ErrorMessage = msg
		ctl.render(c, http.StatusTooManyRequests, "auth/login", data)
		return attempt, false
	}
	if ok, err := ctl.allowFromAddress(c, models.LoginsPerAddress); err != nil {
		ctl.fail(c, err)
		return attempt, false
	} else if !ok {
		return refuse(msgTooManyFromAddress)
	}
	now := time.Now()
	attempt, err := ctl.Models.LoginAttempts.Count(c.Request.Context(), email, c.ClientIP(), now)
	if err != nil {
		ctl.fail(c, err)
		return attempt, false
	}
	if !attempt.Locked(now) {
		return attempt, true
	}
	c.Header("Retry-After", strconv.Itoa(int(attempt.RetryAt(now).Sub(now).Seconds())+1))
	return refuse(msgLoginLocked)
}
