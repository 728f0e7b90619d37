package controllers

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/mail"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/views"
)

// Password rules. bcrypt reads only the first 72 bytes of a password (and the library refuses
// longer ones), so a longer password is a validation message, never a 500.
const (
	minPasswordLength = 8
	maxPasswordBytes  = 72
)

// The validation messages of the auth forms, as the course words them where it has them.
const (
	msgInvalidEmail     = "Please enter a valid email."
	msgPasswordShort    = "Please enter a password with at least 8 characters."
	msgPasswordLong     = "Please enter a password of at most 72 bytes (bcrypt's limit; fewer characters if they are not plain letters and digits)."
	msgPasswordMismatch = "Passwords have to match!"
	msgEmailTaken       = "E-Mail exists already, please pick a different one."
	msgSignedUp         = "Your account was created. Please log in."
)

type signupData struct {
	views.Page
	Email   string          // oldInput.email: the typed email comes back, the passwords never do
	Invalid map[string]bool // fields to mark, like validationErrors.find(e => e.param === 'email')
}

// formErrors collects the invalid fields of a form and the first message, which the page shows.
type formErrors struct {
	Invalid map[string]bool
	Message string
}

func (e *formErrors) add(field, msg string) {
	if e.Invalid == nil {
		e.Invalid = map[string]bool{}
	}
	e.Invalid[field] = true
	if e.Message == "" {
		e.Message = msg
	}
}

// passwordProblem returns the message for a password that breaks the rules, or "".
func passwordProblem(password string) string {
	switch {
	case utf8.RuneCountInString(password) < minPasswordLength:
		return msgPasswordShort
	case len(password) > maxPasswordBytes:
		return msgPasswordLong
	}
	return ""
}

// GetSignup is GET /signup (exports.getSignup).
func (ctl *Controllers) GetSignup(c *gin.Context) {
	ctl.render(c, http.StatusOK, "auth/signup", signupData{Page: ctl.page(c, "Signup", "/signup")})
}

// PostSignup is POST /signup (exports.postSignup): validate, hash, store, send the welcome mail,
// and send the visitor to the login form. The email's claim in userEmails (one atomic update,
// models.UserModel.Create) decides whether the address is taken, whatever its letter case, so
// two simultaneous signups cannot both succeed.
func (ctl *Controllers) PostSignup(c *gin.Context) {
	email := strings.TrimSpace(postForm(c, "email")) // stored as typed (models.UserModel.Create)
	password := postForm(c, "password")

	var errs formErrors
	if !models.ValidEmail(email) {
		errs.add("email", msgInvalidEmail)
	}
	if msg := passwordProblem(password); msg != "" {
		errs.add("password", msg)
	} else if postForm(c, "confirmPassword") != password {
		errs.add("confirmPassword", msgPasswordMismatch)
	}
	if errs.Message != "" {
		ctl.signupFailed(c, email, errs)
		return
	}
	if ok, err := ctl.allowFromAddress(c, models.SignupsPerAddress); err != nil {
		ctl.fail(c, err)
		return
	} else if !ok {
		ctl.signupRefused(c, http.StatusTooManyRequests, email, msgTooManyFromAddress, nil)
		return
	}

	hash, err := ctl.Passwords.Hash(c.Request.Context(), password)
	if err != nil {
		ctl.serverError(c, err)
		return
	}
	user, err := ctl.Models.Users.Create(c.Request.Context(), email, hash)
	if errors.Is(err, models.ErrDuplicateEmail) {
		errs.add("email", msgEmailTaken)
		ctl.signupFailed(c, email, errs)
		return
	}
	if err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.sendMail(c, mail.Message{
		To:      user.Email,
		Subject: "Signup succeeded!",
		Text:    "You successfully signed up to Gin Shop!\n\nLog in here:\n\n" + ctl.siteURL(c) + "/login\n",
	})
	flash(c, msgSignedUp)
	ctl.redirect(c, "/login")
}

// signupFailed re-renders the form with 422: the message, the marked fields, the typed email.
func (ctl *Controllers) signupFailed(c *gin.Context, email string, errs formErrors) {
	ctl.signupRefused(c, http.StatusUnprocessableEntity, email, errs.Message, errs.Invalid)
}

// signupRefused re-renders the form with status and message.
func (ctl *Controllers) signupRefused(c *gin.Context, status int, email, msg string, invalid map[string]bool) {
	data := signupData{Page: ctl.page(c, "Signup", "/signup"), Email: email, Invalid: invalid}
	data.ErrorMessage = msg
	ctl.render(c, status, "auth/signup", data)
}
