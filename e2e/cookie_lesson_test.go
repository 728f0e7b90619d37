package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
)

// Journey 7: the raw-cookie lesson. A cookie set with Max-Age is listed by the page; edited in the
// browser (through the DevTools protocol, as a visitor would in the developer tools), the page
// believes the edited value: the reason a cookie must never decide who is logged in.
func TestCookieLessonBelievesAnEditedCookie(t *testing.T) {
	t.Parallel()
	j := startJourney(t)

	j.openOK("/lessons/cookie")
	j.mustContain("the verdict", j.text("#lesson-verdict"), "you are not logged in", "there is no loggedIn cookie")

	// Set loggedIn=false for two minutes through the lesson's form.
	j.fill("#value", "false")
	j.fill("#maxAge", "120")
	if status := j.follow(`form[action="/lessons/cookie"] button[type="submit"]`); status != 200 {
		t.Fatalf("set the cookie: status %d\n%s", status, j.body())
	}
	// The address carries the form as sent, so the form (and a reload) keep the choices.
	if p := j.path(); !strings.HasPrefix(p, "/lessons/cookie?") || !strings.Contains(p, "maxAge=120") {
		t.Errorf("after setting the cookie the address is %q, want /lessons/cookie?…maxAge=120…", p)
	}
	if v := j.value("#maxAge"); v != "120" {
		t.Errorf("the form's Max-Age came back as %q, want 120", v)
	}
	j.mustContain("the Set-Cookie header shown", j.text("#sent-set-cookie"), "Set-Cookie: loggedIn=false", "Max-Age=120", "HttpOnly")
	j.mustContain("the raw Cookie header shown", j.text("#raw-cookie-header"), "loggedIn=false")
	if v := j.listedCookie("loggedIn"); v != "false" {
		t.Errorf("the page lists loggedIn = %q, want false", v)
	}
	j.mustContain("the verdict", j.text("#lesson-verdict"), "you are not logged in", "says false")

	// The browser keeps it with its expiry, and HttpOnly hides it from the page's scripts.
	c := j.cookie("loggedIn")
	if c == nil {
		t.Fatalf("the browser has no loggedIn cookie; it has %v", names(j.cookies()))
	}
	if c.Value != "false" || !c.HTTPOnly || c.Session {
		t.Errorf("loggedIn cookie: value %q, httpOnly %v, session %v; want false, true, false", c.Value, c.HTTPOnly, c.Session)
	}
	if left := time.Until(time.Unix(int64(c.Expires), 0)); left < 60*time.Second || left > 130*time.Second {
		t.Errorf("loggedIn expires in %v, want about 120s (Max-Age=120)", left.Round(time.Second))
	}
	if dc := eval[string](j, `document.cookie`); strings.Contains(dc, "loggedIn=") {
		t.Errorf("document.cookie shows the HttpOnly cookie: %q", dc)
	}

	// Edit the cookie in the browser, then reload: the server believes whatever the browser sends.
	j.setCookie(network.SetCookieParams{Name: "loggedIn", Value: "true", Path: "/", HTTPOnly: new(true)})
	if status := j.reload(); status != 200 {
		t.Fatalf("reload: status %d", status)
	}
	j.mustContain("the verdict after the edit", j.text("#lesson-verdict"), "you are logged in", "says true")
	j.mustContain("the raw Cookie header after the edit", j.text("#raw-cookie-header"), "loggedIn=true")
	if v := j.listedCookie("loggedIn"); v != "true" {
		t.Errorf("the page lists loggedIn = %q after the edit, want true", v)
	}
	// The shop itself is not fooled: its navigation comes from the session, not this cookie.
	j.expectNav(navAnonymous...)

	// Deleting sends the cookie back already expired, and the browser drops it.
	if status := j.follow(`button[formaction="/lessons/cookie/delete"]`); status != 200 {
		t.Fatalf("delete the cookie: status %d", status)
	}
	j.mustContain("the Set-Cookie header shown", j.text("#sent-set-cookie"), "Max-Age=0")
	if c := j.cookie("loggedIn"); c != nil {
		t.Errorf("the browser still has loggedIn=%s after Delete", c.Value)
	}
	j.mustContain("the verdict after Delete", j.text("#lesson-verdict"), "there is no loggedIn cookie")
}

// listedCookie is the value the lesson's table of parsed cookies shows for name ("" if absent).
func (j *journey) listedCookie(name string) string {
	j.t.Helper()
	rows := eval[[][]string](j, `Array.from(document.querySelectorAll("#parsed-cookies tbody tr"), r => Array.from(r.cells, c => c.innerText.trim()))`)
	for _, r := range rows {
		if len(r) == 2 && r[0] == name {
			return r[1]
		}
	}
	return ""
}

func names(cookies []*network.Cookie) []string {
	var out []string
	for _, c := range cookies {
		out = append(out, c.Name)
	}
	return out
}
