package app_test

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// TestLoginNextRejectsBrowserTricks adds, to the plain cases of TestLoginReturnsOnlyToPathsOfThisSite,
// the spellings browsers turn into another host: a tab or newline inside "//" (URL parsers drop
// them), a header injection, and scheme-relative forms.
func TestLoginNextRejectsBrowserTricks(t *testing.T) {
	t.Parallel()
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

// hostileNexts are "return to" values that try to leave the site once the server has cleaned the
// path (net/http collapses dot segments in a Location) or once a browser has read it (a backslash
// counts as a slash, tabs and newlines are dropped, %-escapes stay escapes).
var hostileNexts = []string{
	`/./\evil.example`,                  // cleaned to /\evil.example
	`/x/../\evil.example`,               // the same through a parent segment
	`/.\/evil.example`,                  // a backslash that survives cleaning
	`/x/..\/evil.example`,               // a backslash inside a dot segment
	"/.//evil.example",                  // cleaned to /evil.example at best
	"/..//evil.example",                 // parent of the root
	"/%2F/evil.example",                 // an encoded slash
	"/%2f%2fevil.example",               // two of them, lower case
	"/%5Cevil.example",                  // an encoded backslash
	"/%5c%5cevil.example",               // two of them
	"/.%2F%2Fevil.example",              // an encoded slash behind a dot segment
	"/%09/evil.example",                 // an encoded tab
	"/./\t/evil.example",                // a raw tab behind a dot segment
	"/\r\n/evil.example",                // CR LF
	"//evil.example",                    // protocol-relative
	"///evil.example",                   // three slashes
	`/\/evil.example`,                   // slash, backslash, slash
	"//user@evil.example",               // protocol-relative with a user part
	"http://shop@evil.example/",         // a user part that looks like the shop
	"https://evil.example",              // absolute
	"HTTPS://evil.example",              // upper-case scheme
	"javascript:alert(document.domain)", // a script scheme
	" javascript:alert(1)",              // behind a space
	"data:text/html,<script>alert(1)</script>",
	"@evil.example",      // a bare user part
	"\x00//evil.example", // NUL first
	"/\x00/evil.example", // NUL inside
	"/\x7f/evil.example", // DEL
}

// leavesSite reports whether a browser following Location loc from the shop at base would
// end up on another site: it reads the value as a browser does (tabs and newlines dropped,
// backslashes as slashes) and resolves it against the shop's address.
func leavesSite(base *url.URL, loc string) bool {
	if !strings.HasPrefix(loc, "/") || strings.ContainsAny(loc, `\`) || strings.ContainsFunc(loc, isControl) {
		return true
	}
	browser := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(loc)
	u, err := base.Parse(browser)
	return err != nil || u.Scheme != base.Scheme || u.Host != base.Host || strings.HasPrefix(browser, "//")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func TestLoginNextNeverLeavesTheSiteAfterCleaning(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	base, _ := url.Parse(shop.URL)
	for _, next := range hostileNexts {
		c := shop.Client(t)
		res := c.Submit("/login", "/login", url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}, "next": {next}})
		apptest.ExpectStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); leavesSite(base, loc) {
			t.Errorf("next=%q: Location %q leaves the site", next, loc)
		}
	}
	// Paths of the shop still work, with their query.
	for next, want := range map[string]string{"/cart": "/cart", "/products?page=2": "/products?page=2", "/orders/": "/orders/"} {
		c := shop.Client(t)
		res := c.Submit("/login", "/login", url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}, "next": {next}})
		expectSeeOther(t, res, want)
	}
}

// TestTrailingSlashRedirectCarriesAPathOnly: a request whose target is an absolute URL
// ("GET http://evil.example/products/ HTTP/1.1", which HTTP/1.1 servers must accept) is
// redirected to /products, not to http://evil.example/products; so is a forged
// X-Forwarded-Prefix.
func TestTrailingSlashRedirectCarriesAPathOnly(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	for _, req := range []string{
		"GET http://evil.example/products/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
		"GET /products/ HTTP/1.1\r\nHost: " + strings.TrimPrefix(shop.URL, "http://") + "\r\nX-Forwarded-Prefix: /evil\r\nConnection: close\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(shop.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/products" {
			t.Errorf("%q: %d Location %q, want 301 to /products", strings.SplitN(req, "\r\n", 2)[0], res.StatusCode, res.Header.Get("Location"))
		}
	}
}
