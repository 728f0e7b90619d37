package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginshop/ginshop/apptest"
)

func TestCookieLessonSetsTheRawHeaderItWasAskedFor(t *testing.T) {
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	res := c.Submit("/lessons/cookie", "/lessons/cookie", url.Values{
		"value": {"true"}, "maxAge": {"120"}, "sameSite": {"Strict"}, "httpOnly": {"on"},
	})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	want := "loggedIn=true; Path=/; Max-Age=120; SameSite=Strict; HttpOnly"
	if got := setCookieHeader(res, "loggedIn"); got != want {
		t.Fatalf("Set-Cookie = %q, want %q", got, want)
	}
	page := c.Get("/lessons/cookie")
	mustContain(t, page.Body, "Set-Cookie: "+want, "<strong>You are logged in</strong>", "Cookie: ")
}

func TestCookieLessonBelievesAnEditedCookie(t *testing.T) {
	shop := apptest.StartDefault(t)
	for value, verdict := range map[string]string{
		"true":  "<strong>You are logged in</strong>",
		"false": "<strong>You are not logged in</strong> — the <code>loggedIn</code> cookie says <code>false</code>",
		"":      "there is no <code>loggedIn</code> cookie",
	} {
		req, _ := http.NewRequest(http.MethodGet, "/lessons/cookie", nil)
		if value != "" {
			req.Header.Set("Cookie", "theme=dark; loggedIn="+value)
		}
		res := shop.Client(t).Do(req)
		apptest.ExpectStatus(t, res, http.StatusOK)
		mustContain(t, res.Body, verdict)
		if value != "" {
			mustContain(t, res.Body, "Cookie: theme=dark; loggedIn="+value, "<td>theme</td><td>dark</td>")
		}
	}
}

func TestCookieLessonDeleteExpiresTheCookie(t *testing.T) {
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	res := c.Submit("/lessons/cookie", "/lessons/cookie/delete", nil)
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if got := setCookieHeader(res, "loggedIn"); !strings.Contains(got, "Max-Age=0") {
		t.Fatalf("delete sent %q", got)
	}
}

func TestCookieLessonRejectsBadAttributes(t *testing.T) {
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	for _, form := range []url.Values{
		{"value": {"true; Domain=evil.example"}},
		{"value": {"true"}, "maxAge": {"-5"}},
		{"value": {"true"}, "maxAge": {"abc"}},
		{"value": {"true"}, "sameSite": {"Sometimes"}},
		{"value": {"true"}, "sameSite": {"None"}},
	} {
		res := c.Submit("/lessons/cookie", "/lessons/cookie", form)
		apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
		if h := setCookieHeader(res, "loggedIn"); h != "" {
			t.Errorf("%v: a cookie was set anyway: %q", form, h)
		}
		mustContain(t, res.Body, "user-message--error")
	}
}
