package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// getPaths returns a concrete path for every GET route of the running shop, read from the
// engine (so a route added later is covered without touching this file), with its parameters
// filled in so that the page exists: a demo product, an order of s, a live reset token.
func getPaths(t *testing.T, shop *apptest.Shop, s *shopper) []string {
	t.Helper()
	engine := shop.Engine
	product := demoProducts(t, shop)[0].ID
	s.addToCart(product)
	expectRedirect(t, s.post("/create-order", nil), "/orders")
	token := models.NewResetToken()
	if _, err := shop.Models.Users.SetResetToken(context.Background(), models.DemoEmail, token, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	params := strings.NewReplacer(
		":productId", product.Hex(),
		":orderId", ordersOf(t, shop, s.ID)[0].ID.Hex(),
		":token", token,
		":name", "no-such-upload.png",
	)
	files := map[string]string{"/css/": "main.css", "/js/": "main.js", "/images/products/": "book.svg"}
	var out []string
	for _, r := range engine.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		p := params.Replace(r.Path)
		if i := strings.Index(p, "*"); i >= 0 {
			p = p[:i] + files[p[:i]]
		}
		if strings.ContainsAny(p, ":*") {
			t.Fatalf("route %s has a parameter this test cannot fill", r.Path)
		}
		if strings.HasPrefix(p, "/admin/edit-product/") {
			p += "?edit=true"
		}
		out = append(out, p)
	}
	return out
}

// forEachVisitor calls fn for every path, first as "anonymous" (client gives a new visitor on
// every call, so no page sees a session an earlier one made), then as "logged in" (the demo
// shopper).
func forEachVisitor(shop *apptest.Shop, demo *shopper, paths []string, fn func(who, path string, client func() *apptest.Client)) {
	anonymous := func() *apptest.Client { return shop.Client(demo.t) }
	loggedIn := func() *apptest.Client { return demo.Client }
	for _, p := range paths {
		fn("anonymous", p, anonymous)
	}
	for _, p := range paths {
		fn("logged in", p, loggedIn)
	}
}

// sameHeaders compares two answers' headers, except those that differ between any two answers
// (Date, a new session's cookie) or that only a body has (its length, chunking). With
// cookies, both answers must set a cookie or neither (for two new visitors; a logged-in
// session's expiry is re-sent at most once a minute, whichever request comes first).
func sameHeaders(t *testing.T, what string, get, head http.Header, cookies bool) {
	t.Helper()
	skip := map[string]bool{"Date": true, "Set-Cookie": true, "Content-Length": true, "X-Request-Id": true}
	for _, h := range []http.Header{get, head} {
		for k := range h {
			if skip[k] {
				continue
			}
			if g, hd := strings.Join(get.Values(k), ", "), strings.Join(head.Values(k), ", "); g != hd {
				t.Errorf("%s: header %s: GET %q, HEAD %q", what, k, g, hd)
			}
		}
	}
	if cookies && (get.Get("Set-Cookie") == "") != (head.Get("Set-Cookie") == "") {
		t.Errorf("%s: Set-Cookie on GET %q, on HEAD %q", what, get.Get("Set-Cookie"), head.Get("Set-Cookie"))
	}
}

// TestEveryGETRouteAnswersHEAD: uptime monitors and link checkers use HEAD; every GET route
// answers it with the GET's status and headers and no body, anonymous and logged in.
func TestEveryGETRouteAnswersHEAD(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	demo := demoShopper(t, shop)
	paths := getPaths(t, shop, demo)
	forEachVisitor(shop, demo, paths, func(who, p string, client func() *apptest.Client) {
		get := client().Get(p)
		req, err := http.NewRequest(http.MethodHead, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		head := client().Do(req)
		what := who + " " + p
		if head.StatusCode != get.StatusCode {
			t.Errorf("%s: HEAD %d, GET %d", what, head.StatusCode, get.StatusCode)
			return
		}
		if head.Body != "" {
			t.Errorf("%s: HEAD has a body of %d bytes", what, len(head.Body))
		}
		sameHeaders(t, what, get.Header, head.Header, who == "anonymous")
	})
	req, _ := http.NewRequest(http.MethodHead, "/healthz", nil)
	apptest.ExpectStatus(t, shop.Client(t).Do(req), http.StatusOK)
}

// carriesSessionOrToken reports whether an answer holds something of the visitor's session: a
// CSRF token in the page, or a session cookie.
func carriesSessionOrToken(res *apptest.Response) bool {
	for _, ck := range res.Cookies() {
		if ck.Name == "connect.sid" {
			return true
		}
	}
	return csrfTokenInPage.MatchString(res.Body)
}

// csrfTokenInPage finds a real token (32 random bytes, base64url) in a form field or the admin
// script's data attribute, not the words `name="_csrf"` in a page that documents them.
var csrfTokenInPage = regexp.MustCompile(`(name="_csrf" value|data-csrf)="[A-Za-z0-9_-]{40,}"`)

// TestPagesWithASessionOrTokenAreNotCached: a page that carries a CSRF token or a session cookie
// must be Cache-Control: no-store, anonymous or not, or a shared cache (or Back after logout)
// hands it to someone else. The form pages the issue names must be among them.
func TestPagesWithASessionOrTokenAreNotCached(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	demo := demoShopper(t, shop)
	paths := getPaths(t, shop, demo)
	carrying := map[string]bool{}
	forEachVisitor(shop, demo, paths, func(who, p string, client func() *apptest.Client) {
		res := client().Get(p)
		if !carriesSessionOrToken(res) {
			return
		}
		if who == "anonymous" {
			carrying[p] = true
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s GET %s carries a session or token, Cache-Control %q", who, p, cc)
		}
	})
	for _, p := range []string{"/login", "/signup", "/reset", "/lessons/cookie"} {
		if !carrying[p] {
			t.Errorf("anonymous GET %s carries no token: the test above did not look at it", p)
		}
	}
	// A one-time message comes from the session too, even on a page without a form.
	c := shop.Client(t)
	expectSeeOther(t, c.Submit("/reset", "/reset", url.Values{"email": {"nobody@example.com"}}), "/")
	res := c.Get("/")
	mustContain(t, res.Body, "If an account exists for that email")
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a page showing a flash message: Cache-Control %q", cc)
	}
	// A reset link, live or not, shows a form too.
	for _, p := range []string{"/reset/" + models.NewResetToken()} {
		res := shop.Client(t).Get(p)
		if cc := res.Header.Get("Cache-Control"); !carriesSessionOrToken(res) || cc != "no-store" {
			t.Errorf("anonymous GET %s: Cache-Control %q", p, cc)
		}
	}
}
