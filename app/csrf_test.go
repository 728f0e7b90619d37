package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// stateChangingRoutes lists every route of the running shop that is not GET, HEAD or OPTIONS,
// read from the engine, so a route added later is covered without touching this file.
func stateChangingRoutes(t *testing.T, shop *apptest.Shop) gin.RoutesInfo {
	t.Helper()
	engine := shop.Engine
	var out gin.RoutesInfo
	for _, r := range engine.Routes() {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			out = append(out, r)
		}
	}
	return out
}

// csrfFixture is the data the forms of the table act on.
type csrfFixture struct {
	product    bson.ObjectID // a demo product, also in the demo user's cart
	resetUser  models.User   // an account with a live reset token
	resetToken string
}

func newCSRFFixture(t *testing.T, shop *apptest.Shop) csrfFixture {
	t.Helper()
	ctx := context.Background()
	page, err := shop.Models.Products.Page(ctx, 1, 1)
	if err != nil || len(page.Products) == 0 {
		t.Fatal("no demo product", err)
	}
	f := csrfFixture{product: page.Products[0].ID, resetToken: models.NewResetToken()}
	_, err = shop.DB.Database.Collection("users").UpdateOne(ctx, bson.D{{Key: "email", Value: models.DemoEmail}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "cart.items", Value: bson.A{bson.D{{Key: "productId", Value: f.product}, {Key: "quantity", Value: 1}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	f.resetUser = createAccount(t, shop, "csrf-reset@example.com", "old password")
	if _, err := shop.Models.Users.SetResetToken(ctx, f.resetUser.Email, f.resetToken, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return f
}

// form is a body each known route would act on with a valid token, so "nothing changed" means
// something; a route this table does not know yet gets a productId, which most shop forms carry.
func (f csrfFixture) form(path string) url.Values {
	product := f.product.Hex()
	switch path {
	case "/login":
		return url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}}
	case "/logout", "/create-order", "/lessons/cookie/delete":
		return url.Values{}
	case "/signup":
		return url.Values{"email": {"csrf-signup@example.com"}, "password": {"a password"}, "confirmPassword": {"a password"}}
	case "/reset":
		return url.Values{"email": {models.DemoEmail}}
	case "/new-password":
		return url.Values{"userId": {f.resetUser.ID.Hex()}, "passwordToken": {f.resetToken}, "password": {"csrf new password"}}
	case "/admin/add-product":
		return url.Values{"title": {"Forged Product"}, "price": {"1.99"}, "description": {"Added by another site."}}
	case "/admin/edit-product":
		return url.Values{"productId": {product}, "title": {"Forged Title"}, "price": {"0.01"}, "description": {"Changed by another site."}}
	case "/lessons/cookie":
		return url.Values{"value": {"true"}, "maxAge": {"120"}, "sameSite": {"Lax"}}
	case "/lessons/session/value":
		return url.Values{"key": {"forged"}, "value": {"by another site"}, "mode": {"save"}}
	case "/lessons/session/forget-cookie", "/lessons/session/destroy":
		return url.Values{}
	}
	return url.Values{"productId": {product}}
}

// path fills a route's parameters: productId with the fixture's product, anything else with a
// well-formed id.
func (f csrfFixture) path(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		switch {
		case p == ":productId":
			parts[i] = f.product.Hex()
		case strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*"):
			parts[i] = bson.NewObjectID().Hex()
		}
	}
	return strings.Join(parts, "/")
}

// csrfRequest builds a request with the token where the route's client puts it: the _csrf body
// field for forms, the X-CSRF-Token header for the script's DELETE.
func csrfRequest(t *testing.T, method, path string, form url.Values, token string, header http.Header) *http.Request {
	t.Helper()
	body := url.Values{}
	for k, v := range form {
		body[k] = v
	}
	if token != "" && method == http.MethodPost {
		body.Set("_csrf", token)
	}
	req, err := http.NewRequest(method, path, strings.NewReader(body.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" && method != http.MethodPost {
		req.Header.Set("X-CSRF-Token", token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return req
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func expectForbiddenPage(t *testing.T, res *apptest.Response) {
	t.Helper()
	apptest.ExpectStatus(t, res, http.StatusForbidden)
	mustContain(t, res.Body, "<h1>Forbidden</h1>", "This form has expired or was not sent from this site.")
}

// TestEveryStateChangingRouteRequiresTheCSRFToken sends each POST and DELETE of the shop, as the
// logged-in demo user, without a good token or from another site, and checks for the 403 page
// and an unchanged database. The same request with the token is then not refused, so the 403s
// come from the token check and nothing else.
func TestEveryStateChangingRouteRequiresTheCSRFToken(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	fix := newCSRFFixture(t, shop)
	routes := stateChangingRoutes(t, shop)
	for _, want := range []string{"/login", "/logout", "/signup", "/reset", "/new-password"} {
		found := false
		for _, r := range routes {
			found = found || (r.Method == http.MethodPost && r.Path == want)
		}
		if !found {
			t.Errorf("POST %s is not among the routes %v", want, routes)
		}
	}

	for _, route := range routes {
		t.Run(route.Method+" "+route.Path, func(t *testing.T) {
			c := shop.Client(t)
			c.LoginDemo()
			token := c.CSRF("/")
			otherToken := shop.Client(t).CSRF("/login")
			path := fix.path(route.Path)
			form := fix.form(route.Path)
			crossOrigin := http.Header{"Origin": {"https://evil.example"}}
			crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}}

			cases := []struct {
				name   string
				path   string
				token  string
				header http.Header
			}{
				{"missing token", path, "", nil},
				{"wrong token", path, randomToken(), nil},
				{"another session's token", path, otherToken, nil},
				{"token only in the query string", path + "?_csrf=" + url.QueryEscape(token), "", nil},
				{"cross-site Origin with a valid token", path, token, crossOrigin},
				{"Sec-Fetch-Site cross-site with a valid token", path, token, crossSite},
			}
			before := dbSnapshot(t, shop)
			for _, tc := range cases {
				res := c.Do(csrfRequest(t, route.Method, tc.path, form, tc.token, tc.header))
				if res.StatusCode != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", tc.name, res.StatusCode)
					before = dbSnapshot(t, shop)
					continue
				}
				expectForbiddenPage(t, res)
				after := dbSnapshot(t, shop) // and the next case's "before": one snapshot per request
				expectSameDB(t, tc.name, before, after)
				before = after
			}

			// Control: the same request from this site with the token gets past the check.
			res := c.Do(csrfRequest(t, route.Method, path, form, token, http.Header{"Origin": {shop.URL}}))
			if res.StatusCode == http.StatusForbidden {
				t.Errorf("with the valid token: 403\n%.400s", res.Body)
			}
		})
	}
}

func TestPreLoginCSRFTokenDoesNotWorkAfterLogin(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	preLogin := c.CSRF("/login")
	res := c.PostForm("/login", url.Values{"_csrf": {preLogin}, "email": {models.DemoEmail}, "password": {models.DemoPassword}})
	expectSeeOther(t, res, "/")

	before := dbSnapshot(t, shop)
	expectForbiddenPage(t, c.PostForm("/logout", url.Values{"_csrf": {preLogin}}))
	expectSameDB(t, "logout with the pre-login token", before, dbSnapshot(t, shop))
	if !navShowsLogout(t, c) {
		t.Fatal("the refused logout logged the user out")
	}

	fresh := c.CSRF("/")
	if fresh == preLogin {
		t.Fatal("login did not issue a new CSRF token")
	}
	expectSeeOther(t, c.PostForm("/logout", url.Values{"_csrf": {fresh}}), "/")
}

func TestCSRFTokenInTheHeaderIsAccepted(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	c.LoginDemo()
	req, err := http.NewRequest(http.MethodPost, "/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-CSRF-Token", c.CSRF("/"))
	expectSeeOther(t, c.Do(req), "/")
	if navShowsLogout(t, c) {
		t.Error("still logged in")
	}
}

func TestSameOriginRequestsPassTheOriginCheck(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	for name, header := range map[string]http.Header{
		"Origin of this site":        {"Origin": {shop.URL}},
		"Sec-Fetch-Site same-origin": {"Sec-Fetch-Site": {"same-origin"}},
		"no Origin at all":           {},
	} {
		t.Run(name, func(t *testing.T) {
			c := shop.Client(t)
			token := c.CSRF("/login")
			req := csrfRequest(t, http.MethodPost, "/login", url.Values{"email": {models.DemoEmail}, "password": {models.DemoPassword}}, token, header)
			expectSeeOther(t, c.Do(req), "/")
		})
	}
}

func TestAnonymousProductDetailStoresNoSession(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	c := shop.Client(t)
	page, err := shop.Models.Products.Page(context.Background(), 1, 1)
	if err != nil || len(page.Products) == 0 {
		t.Fatal(err)
	}
	res := c.Get("/products/" + page.Products[0].ID.Hex())
	apptest.ExpectStatus(t, res, http.StatusOK)
	if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("product detail set cookies %q", sc)
	}
	if n, err := shop.DB.Database.Collection("sessions").CountDocuments(context.Background(), bson.D{}); err != nil || n != 0 {
		t.Errorf("%d sessions stored (%v)", n, err)
	}
}

// TestCSRFTokensAreMaskedPerPageAndNeverTheSecret: every answer's token is the secret masked with
// fresh random bytes (like csurf's salted tokens), so two pages never carry the same token, the
// secret itself never appears in a page, and every token of the session stays valid.
func TestCSRFTokensAreMaskedPerPageAndNeverTheSecret(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)

	anon := shop.Client(t)
	a1, a2 := anon.CSRF("/login"), anon.CSRF("/signup")
	if a1 == a2 {
		t.Fatalf("two anonymous pages carry the same token %q", a1)
	}
	for _, tok := range []string{a1, a2} {
		expectSeeOther(t, anon.PostForm("/lessons/cookie/delete", url.Values{"_csrf": {tok}}), "/lessons/cookie#sent-set-cookie")
	}

	c := shop.Client(t)
	c.LoginDemo()
	page1, page2 := c.Get("/products"), c.Get("/cart")
	t1, t2 := csrfField(t, page1.Body), csrfField(t, page2.Body)
	if t1 == t2 {
		t.Fatalf("two pages of one session carry the same token %q", t1)
	}
	secret, _ := labDoc(t, shop, c)["session"].(bson.M)["csrfSecret"].(string)
	if secret == "" {
		t.Fatal("the logged-in session has no CSRF secret")
	}
	for _, body := range []string{page1.Body, page2.Body} {
		mustNotContain(t, body, secret)
	}
	product := newCSRFFixture(t, shop).product.Hex()
	for _, tok := range []string{t2, t1} { // the older token too
		expectSeeOther(t, c.PostForm("/cart", url.Values{"_csrf": {tok}, "productId": {product}}), "/cart")
	}
	// A token of another visitor is refused.
	expectForbiddenPage(t, c.PostForm("/cart", url.Values{"_csrf": {a1}, "productId": {product}}))
}

// TestViewingFormsStoresNoSession: 2,000 cookie-less views (GET and HEAD) of the pages with forms
// store no session document: an anonymous form's CSRF secret lives in a signed cookie.
func TestViewingFormsStoresNoSession(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	pages := []string{"/login", "/signup", "/reset", "/lessons/session"}
	for i := range 2000 {
		method := http.MethodGet
		if i%2 == 1 {
			method = http.MethodHead
		}
		w := httptest.NewRecorder()
		shop.Handler.ServeHTTP(w, httptest.NewRequest(method, pages[i%len(pages)], nil))
		if w.Code != http.StatusOK {
			t.Fatalf("%s %s: %d", method, pages[i%len(pages)], w.Code)
		}
		if i == 0 && !strings.Contains(w.Header().Get("Set-Cookie"), "_csrf=") {
			t.Fatalf("the form page set no CSRF cookie: %q", w.Header().Values("Set-Cookie"))
		}
	}
	if docs := sessionDocs(t, shop); len(docs) != 0 {
		t.Fatalf("%d session documents after 2,000 views of forms, want 0", len(docs))
	}
}

func csrfField(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no _csrf field in the page")
	}
	return m[1]
}
