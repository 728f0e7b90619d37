package app_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ginshop/ginshop/apptest"
)

// cspDirectives splits a Content-Security-Policy into directive → sources.
func cspDirectives(policy string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(policy, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[strings.ToLower(f[0])] = f[1:]
		}
	}
	return out
}

func expectSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := cspDirectives(h.Get("Content-Security-Policy"))
	for _, d := range []string{"default-src", "script-src", "style-src", "img-src"} {
		if got := csp[d]; !slices.Equal(got, []string{"'self'"}) {
			t.Errorf("%s: CSP %s = %v, want only 'self'", what, d, got)
		}
	}
	if got := csp["frame-ancestors"]; !slices.Equal(got, []string{"'none'"}) {
		t.Errorf("%s: CSP frame-ancestors = %v, want 'none'", what, got)
	}
	if got := csp["object-src"]; !slices.Equal(got, []string{"'none'"}) {
		t.Errorf("%s: CSP object-src = %v, want 'none'", what, got)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q", what, got)
	}
	if got := h.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("%s: Referrer-Policy = %q, want same-origin (reset links in URLs never leave the site)", what, got)
	}
	if got := h.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("%s: X-Frame-Options = %q", what, got)
	}
}

func TestSecurityHeadersOnEveryKindOfAnswer(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	for path, status := range map[string]int{
		"/":               http.StatusOK,
		"/login":          http.StatusOK,
		"/nope":           http.StatusNotFound,
		"/products/zzz":   http.StatusNotFound,
		"/500":            http.StatusInternalServerError,
		"/css/main.css":   http.StatusOK,
		"/js/main.js":     http.StatusOK,
		"/favicon.svg":    http.StatusOK,
		"/css/nope.css":   http.StatusNotFound,
		"/healthz":        http.StatusOK,
		"/reset/whatever": http.StatusNotFound,
	} {
		res := c.Get(path)
		apptest.ExpectStatus(t, res, status)
		expectSecurityHeaders(t, "GET "+path, res.Header)
	}
	// An answer from the middleware (403 from the CSRF check) has them too.
	res := c.PostForm("/login", url.Values{"email": {"x@example.com"}})
	apptest.ExpectStatus(t, res, http.StatusForbidden)
	expectSecurityHeaders(t, "POST /login without a token", res.Header)
}

// TestPagesNeedNoInlineScriptOrStyle checks that the policy does not break the shop: the CSP
// blocks inline scripts, inline styles and event-handler attributes, so the pages must not use
// any.
func TestPagesNeedNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	pages := []string{"/", "/products", "/login", "/signup", "/reset", "/dev/mailbox", "/nope", "/500", "/lessons/cookie"}
	check := func(path string) {
		t.Helper()
		res := c.Get(path)
		doc := parseHTML(t, res.Body)
		for _, n := range htmlElements(doc, func(*html.Node) bool { return true }) {
			src, hasSrc := htmlAttr(n, "src")
			switch {
			case n.Data == "script" && (!hasSrc || !strings.HasPrefix(src, "/")):
				t.Errorf("%s: inline or foreign <script src=%q>", path, src)
			case n.Data == "style":
				t.Errorf("%s: inline <style>", path)
			case n.Data == "link" && !strings.HasPrefix(attrOr(n, "href"), "/"):
				t.Errorf("%s: foreign <link href=%q>", path, attrOr(n, "href"))
			case n.Data == "img" && hasSrc && !strings.HasPrefix(src, "/"):
				t.Errorf("%s: foreign <img src=%q>", path, src)
			}
			for _, a := range n.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") || strings.HasPrefix(strings.TrimSpace(a.Val), "javascript:") {
					t.Errorf("%s: <%s %s=%q> is blocked by the CSP", path, n.Data, a.Key, a.Val)
				}
			}
		}
	}
	for _, p := range pages {
		check(p)
	}
	c.LoginDemo()
	for _, p := range []string{"/", "/products", "/cart", "/checkout", "/orders", "/admin/products", "/admin/add-product"} {
		if hasRoute(shop, http.MethodGet, p) {
			check(p)
		}
	}
}

func attrOr(n *html.Node, name string) string {
	v, _ := htmlAttr(n, name)
	return v
}
