package controllers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/mail"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/views"
)

const (
	// msgResetSent is the one answer to a reset request, whether or not the account exists.
	msgResetSent = "If an account exists for that email, we have sent it a link to reset the password. The link works once, for one hour."
	// msgResetLinkInvalid covers unknown, expired, used and forged tokens alike.
	msgResetLinkInvalid = "This password reset link is invalid, has expired or was already used. Please ask for a new one."
	msgPasswordChanged  = "Your password has been changed. Please log in with the new password."
	// msgResetThrottled is the answer beyond the limits, the same whether or not the account exists.
	msgResetThrottled = "Too many password reset requests. Please wait 15 minutes and try again."
)

type resetData struct {
	views.Page
	Email   string
	Invalid map[string]bool
	Outbox  bool // development: mail goes to /dev/mailbox, so the page says where to read it
}

type newPasswordData struct {
	views.Page
	UserID        string // the contract's hidden fields userId and passwordToken
	PasswordToken string
	Invalid       map[string]bool
}

// GetReset is GET /reset (exports.getReset): the form that asks for a reset link.
func (ctl *Controllers) GetReset(c *gin.Context) {
	ctl.renderReset(c, http.StatusOK, "", "", nil)
}

// PostReset is POST /reset (exports.postReset): store a fresh token on the account, if there is
// one, and mail the link. The answer is the same either way, so the form tells nobody which
// addresses have accounts.
func (ctl *Controllers) PostReset(c *gin.Context) {
	email := models.NormalizeEmail(postForm(c, "email"))
	if !models.ValidEmail(email) {
		ctl.renderReset(c, http.StatusUnprocessableEntity, email, msgInvalidEmail, map[string]bool{"email": true})
		return
	}
	allowed, err := ctl.Models.ResetRequests.Allow(c.Request.Context(), email, c.ClientIP(), time.Now())
	if err != nil {
		ctl.fail(c, err)
		return
	}
	if !allowed {
		// Counted before the account is looked up, so this answer says nothing about it.
		c.Header("Retry-After", strconv.Itoa(int(models.ResetRequestWindow.Seconds())))
		ctl.renderReset(c, http.StatusTooManyRequests, email, msgResetThrottled, nil)
		return
	}
	token := models.NewResetToken()
	user, err := ctl.Models.Users.SetResetToken(c.Request.Context(), email, token, time.Now().Add(models.ResetTokenTTL))
	switch {
	case err == nil:
		ctl.sendMail(c, mail.Message{
			To:      user.Email,
			Subject: "Password reset",
			Text: "You asked to reset the password of your Gin Shop account.\n\n" +
				"Click this link to set a new password (it works once, for one hour):\n\n" +
				ctl.siteURL(c) + "/reset/" + token + "\n\n" +
				"If you did not ask for this, ignore this mail: your password stays as it is.\n",
		})
	case errors.Is(err, models.ErrNotFound):
		// No account: no mail, same answer.
	default:
		ctl.fail(c, err)
		return
	}
	flash(c, msgResetSent)
	ctl.redirect(c, "/")
}

// GetNewPassword is GET /reset/:token (exports.getNewPassword): the new-password form, if the
// token is a live one.
func (ctl *Controllers) GetNewPassword(c *gin.Context) {
	token := c.Param("token")
	user, err := ctl.Models.Users.ByResetToken(c.Request.Context(), token, time.Now())
	if errors.Is(err, models.ErrInvalidResetToken) {
		ctl.renderReset(c, http.StatusNotFound, "", msgResetLinkInvalid, nil)
		return
	}
	if err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.renderNewPassword(c, http.StatusOK, user.ID.Hex(), token, "", nil)
}

// PostNewPassword is POST /new-password (exports.postNewPassword): if the token is still this
// user's, store the new hash and drop the token in one conditional update (so it works once),
// end the user's other sessions, and send them to the login form.
func (ctl *Controllers) PostNewPassword(c *gin.Context) {
	ctx := c.Request.Context()
	password := postForm(c, "password")
	token := postForm(c, "passwordToken")
	userID, err := models.ParseID(postForm(c, "userId"))
	if err != nil {
		ctl.renderReset(c, http.StatusUnprocessableEntity, "", msgResetLinkInvalid, nil)
		return
	}
	// Check the token before paying for bcrypt, so forged requests cost the server little.
	user, err := ctl.Models.Users.ByResetToken(ctx, token, time.Now())
	if errors.Is(err, models.ErrInvalidResetToken) || (err == nil && user.ID != userID) {
		ctl.renderReset(c, http.StatusUnprocessableEntity, "", msgResetLinkInvalid, nil)
		return
	}
	if err != nil {
		ctl.fail(c, err)
		return
	}
	if msg := passwordProblem(password); msg != "" {
		ctl.renderNewPassword(c, http.StatusUnprocessableEntity, userID.Hex(), token, msg, map[string]bool{"password": true})
		return
	}
	hash, err := ctl.Passwords.Hash(c.Request.Context(), password)
	if err != nil {
		ctl.serverError(c, err)
		return
	}
	// The update itself decides: of two requests with one token, only the first matches.
	err = ctl.Models.Users.ResetPassword(ctx, userID, token, hash, time.Now())
	if errors.Is(err, models.ErrInvalidResetToken) {
		ctl.renderReset(c, http.StatusUnprocessableEntity, "", msgResetLinkInvalid, nil)
		return
	}
	if err != nil {
		ctl.fail(c, err)
		return
	}
	// Whoever knew the old password is logged out everywhere; this browser's session stays.
	if _, err := ctl.Sessions.DeleteUserSessions(ctx, userID, sessions.Default(c).ID()); err != nil {
		ctl.fail(c, err)
		return
	}
	// Proving access to the mailbox lifts a lockout from this address.
	if err := ctl.Models.LoginAttempts.Reset(ctx, user.Email, c.ClientIP()); err != nil {
		ctl.fail(c, err)
		return
	}
	flash(c, msgPasswordChanged)
	ctl.redirect(c, "/login")
}

func (ctl *Controllers) renderReset(c *gin.Context, status int, email, msg string, invalid map[string]bool) {
	data := resetData{
		Page:    ctl.page(c, "Reset Password", "/reset"),
		Email:   email,
		Invalid: invalid,
		Outbox:  ctl.devMailbox(),
	}
	data.ErrorMessage = msg
	ctl.render(c, status, "auth/reset", data)
}

func (ctl *Controllers) renderNewPassword(c *gin.Context, status int, userID, token, msg string, invalid map[string]bool) {
	data := newPasswordData{Page: ctl.page(c, "New Password", "/reset"), UserID: userID, PasswordToken: token, Invalid: invalid}
	data.ErrorMessage = msg
	ctl.render(c, status, "auth/new-password", data)
}
