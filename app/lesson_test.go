package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginshop/ginshop/apptest"
)

func TestCookieLessonSetsTheRawHeaderItWasAskedFor(t *testing.T) {
	t.Parallel()
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
	page := c.Get(res.Header.Get("Location"))
	mustContain(t, page.Body, "Set-Cookie: "+want, "<strong>you are logged in</strong>", "Cookie: ")
	// The form keeps what was sent (Max-Age 120 used to come back as 60) ...
	form := parseHTML(t, page.Body)
	for name, want := range map[string]string{"maxAge": "120", "value": "true", "expiresIn": ""} {
		if v, _ := htmlAttr(formField(t, form, name), "value"); v != want {
			t.Errorf("after the POST the form's %s is %q, want %q", name, v, want)
		}
	}
	mustContain(t, page.Body, "<option selected>Strict</option>")
	// ... and the Set-Cookie panel is still there on a reload, as the page asks.
	mustContain(t, c.Get("/lessons/cookie").Body, `id="sent-set-cookie"`, "Set-Cookie: "+want)
}

func TestCookieLessonBelievesAnEditedCookie(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	for value, verdict := range map[string]string{
		"true":  "<strong>you are logged in</strong>",
		"false": "<strong>you are not logged in</strong> — the <code>loggedIn</code> cookie says <code>false</code>",
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
			mustContain(t, res.Body, "Cookie: theme=dark; loggedIn="+value, `<td>theme</td><td class="token">dark</td>`)
		}
	}
}

func TestCookieLessonDeleteExpiresTheCookie(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	c := shop.Client(t)
	res := c.Submit("/lessons/cookie", "/lessons/cookie/delete", nil)
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if got := setCookieHeader(res, "loggedIn"); !strings.Contains(got, "Max-Age=0") {
		t.Fatalf("delete sent %q", got)
	}
}

func TestCookieLessonRejectsBadAttributes(t *testing.T) {
	t.Parallel()
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
