package controllers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

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
	setRetryAfter(c, retry)
	return false, nil
}

// setRetryAfter tells a refused client how many seconds to wait (at least one).
func setRetryAfter(c *gin.Context, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(wait.Round(time.Second).Seconds()))))
}

// loginCheck is what a login learns before its password is checked.
type loginCheck struct {
	addressWait time.Duration       // > 0: the client address is over its limit for that long
	attempt     models.LoginAttempt // the (email, address) pair's count, this attempt included
	user        models.User         // zero when no account has the email
}

// checkLogin counts the attempt for the client address and for the (email, address) pair, and
// looks the account up, all at once: the three go to the database together (like a
// Promise.all in Node) and take the time of the slowest, not of all three. They do not depend
// on each other; only the password check waits for both counts. Counting first (one atomic $inc
// each) is what keeps the limits when many attempts arrive at once. The address is the
// connection's unless TRUSTED_PROXIES names the proxy in front (routes.go calls
// SetTrustedProxies), so a forged X-Forwarded-For does not give fresh attempts.
func (ctl *Controllers) checkLogin(ctx context.Context, email, clientIP string, now time.Time) (check loginCheck, err error) {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		check.addressWait, _, err = ctl.Models.AddressLimits.Allow(ctx, models.LoginsPerAddress, clientIP, now)
		return err
	})
	g.Go(func() (err error) {
		check.attempt, err = ctl.Models.LoginAttempts.Count(ctx, email, clientIP, now)
		return err
	})
	g.Go(func() (err error) {
		check.user, err = ctl.Models.Users.ByEmail(ctx, email)
		if errors.Is(err, models.ErrNotFound) {
			return nil // checked against the dummy hash, like a wrong password
		}
		return err
	})
	return check, g.Wait()
}

// refuseLogin answers 429 with the login form, and true, when the client address is over its
// limit or the (email, address) pair is locked.
func (ctl *Controllers) refuseLogin(c *gin.Context, check loginCheck, now time.Time, email, next string) bool {
	var msg string
	switch {
	case check.addressWait > 0:
		setRetryAfter(c, check.addressWait)
		msg = msgTooManyFromAddress
	case check.attempt.Locked(now):
		setRetryAfter(c, check.attempt.RetryAt(now).Sub(now)+time.Second)
		msg = msgLoginLocked
	default:
		return false
	}
	data := loginData{Page: ctl.page(c, "Login", "/login"), Email: email, Next: next}
	data.ErrorMessage = msg
	ctl.render(c, http.StatusTooManyRequests, "auth/login", data)
	return true
}

// refundAddressLater gives the client address back the count of a login that succeeded (only
// failures add up against an address) after the answer: nobody waits for it. On the embedded
// database every write queues on its one writer connection, and this one (an update, about
// 1 ms there) would otherwise hold the redirect back. If it fails, it is logged, and the address
// has one attempt fewer until its window ends.
func (ctl *Controllers) refundAddressLater(c *gin.Context) {
	clientIP := c.ClientIP()
	ctl.afterAnswer("login: giving the address its attempt back", func(ctx context.Context) error {
		return ctl.Models.AddressLimits.Refund(ctx, models.LoginsPerAddress, clientIP)
	})
}
