package app_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// TestLoginNextRejectsBrowserTricks adds, to the plain cases of TestLoginReturnsOnlyToPathsOfThisSite,
// the spellings browsers turn into another host: a tab or newline inside "//" (URL parsers drop
// them), a header injection, and scheme-relative forms.
func TestLoginNextRejectsBrowserTricks(t *testing.T) {
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	for _, next := range []string{
		"/\t/evil.example",
		"/\n/evil.example",
		"/\r\nSet-Cookie: planted=1",
		`\\evil.example`,
		"https:evil.example",
		" //evil.example",
		"evil.example",
	} {
		c := shop.Client(t)
		res := c.Submit("/login", "/login", url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}, "next": {next}})
		apptest.ExpectStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q: redirected to %q, want /", next, loc)
		}
		if setCookieHeader(res, "planted") != "" {
			t.Errorf("next=%q planted a cookie", next)
		}
	}
}
