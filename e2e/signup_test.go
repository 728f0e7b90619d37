package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
)

// Journey 2: sign up through the form, find the welcome mail in the development outbox, log in
// with the new account: the navigation grows, and the session cookie the browser keeps is
// HttpOnly and SameSite=Lax (read from the browser's cookie store: document.cookie cannot see it).
func TestSignupWelcomeMailAndLogin(t *testing.T) {
	t.Parallel()
	j := startJourney(t)
	const email, password = "new.shopper@example.com", "correct horse 42"

	j.openOK("/")
	if status := j.follow(`.main-header a[href="/signup"]`); status != 200 {
		t.Fatalf("Signup: status %d", status)
	}
	j.fill("#email", email)
	j.fill("#password", password)
	j.fill("#confirmPassword", password)
	if status := j.follow(`form[action="/signup"] button[type="submit"]`); status != 200 {
		t.Fatalf("sign up: status %d\n%s", status, j.body())
	}
	if p := j.path(); p != "/login" {
		t.Fatalf("after signing up the address is %s, want /login\n%s", p, j.body())
	}
	if n := j.count(".flashes .user-message"); n != 1 {
		t.Errorf("the login page after signup shows %d messages, want 1", n)
	}
	if n := j.count("form.login-form"); n != 1 {
		t.Errorf("the page after signup has %d login forms, want 1", n)
	}

	// The welcome mail, in the outbox the development shop keeps instead of sending.
	j.openOK("/dev/mailbox")
	mails := eval[[][]string](j, `Array.from(document.querySelectorAll("article.mail"), m =>
		[m.querySelector(".mail__to").innerText.trim(), m.querySelector(".mail__subject").innerText.trim(), m.querySelector(".mail__text").innerText])`)
	if len(mails) != 1 {
		t.Fatalf("the mailbox shows %d mails, want the welcome mail:\n%s", len(mails), j.body())
	}
	if to, subject, text := mails[0][0], mails[0][1], mails[0][2]; to != email || !strings.Contains(subject, "Signup") || !strings.Contains(text, "/login") {
		t.Errorf("the welcome mail is to %q, subject %q, text %q; want it to %s about the signup with a login link", to, subject, text, email)
	}

	j.login(email, password)
	j.expectNav(navLoggedIn...)

	c := j.cookie(j.shop.Config.SessionName)
	if c == nil {
		t.Fatalf("no %s cookie after login; the browser has %v", j.shop.Config.SessionName, names(j.cookies()))
	}
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
		t.Errorf("%s cookie: httpOnly %v, sameSite %q, path %q; want true, Lax, /", c.Name, c.HTTPOnly, c.SameSite, c.Path)
	}
	if !strings.HasPrefix(c.Value, "s%3A") {
		t.Errorf("%s = %q, want a signed express-session value (s%%3A...)", c.Name, c.Value)
	}
	if dc := eval[string](j, `document.cookie`); strings.Contains(dc, c.Name+"=") {
		t.Errorf("document.cookie shows the HttpOnly session cookie: %q", dc)
	}
	// The cookie is what keeps the visitor logged in: a guarded page opens.
	if status := j.open("/orders"); status != http.StatusOK || j.path() != "/orders" {
		t.Errorf("logged in, /orders answered %d at %s", status, j.path())
	}
}
