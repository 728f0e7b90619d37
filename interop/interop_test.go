package interop

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// The password every account of these tests has (the Express app hashes with bcryptjs).
const password = "interop-password-1"

func TestLoginOnExpressIsLoggedInOnGinShopAndTheDocumentSurvives(t *testing.T) {
	shop := apptest.StartDefault(t)
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	v.expressSignupAndLogin("Mixed.Case@Example.test", password)
	s := v.expressSession()
	if !s.Session.IsLoggedIn || s.Session.User == nil || s.Session.User.Password == "" {
		t.Fatalf("Express session: %+v", s.Session)
	}
	before := sessionDoc(t, shop, s.ID)
	if before == nil {
		t.Fatal("Express stored no session")
	}
	if _, err := before.LookupErr("createdAt"); err == nil {
		t.Fatal("fixture: connect-mongodb-session wrote a createdAt")
	}

	// Any number of Gin Shop requests: logged in, same session, nothing lost.
	for i := range 5 {
		if !v.loggedInOnGinShop() {
			t.Fatalf("request %d: not logged in on Gin Shop with the Express session", i)
		}
		apptest.ExpectStatus(t, v.Get("/cart"), http.StatusOK)
		apptest.ExpectStatus(t, v.Get("/login"), http.StatusOK) // a form: Gin Shop adds its CSRF token
	}
	after := sessionDoc(t, shop, s.ID)
	if after == nil {
		t.Fatal("Gin Shop deleted the Express session")
	}
	elems, _ := before.Lookup("session").Document().Elements()
	for _, e := range elems {
		if e.Key() == "cookie" {
			continue
		}
		got, err := after.LookupErr("session", e.Key())
		if err != nil || got.Type != e.Value().Type || !bytes.Equal(got.Value, e.Value().Value) {
			t.Errorf("session.%s changed: %s → %s", e.Key(), e.Value(), got)
		}
	}
	// And Express still knows the visitor, with the same session.
	again := v.expressSession()
	if again.ID != s.ID || !again.Session.IsLoggedIn || again.Session.User.Email != "Mixed.Case@Example.test" {
		t.Fatalf("Express session after Gin Shop's requests: %+v", again)
	}
}

func TestLoginOnGinShopIsLoggedInOnExpress(t *testing.T) {
	shop := apptest.StartDefault(t)
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	// An account made on the Node side, logged into on Gin Shop with another letter case.
	setup := newVisitor(t, shop, express)
	id := setup.expressSignupAndLogin("Node.Shopper@Example.test", password)
	v.Login("node.shopper@example.test", password)

	s := v.expressSession()
	if !s.Session.IsLoggedIn || s.Session.User == nil || s.Session.User.ID != id.Hex() {
		t.Fatalf("Express does not see the Gin Shop login: %+v", s)
	}
	// Gin Shop writes only {_id, email}: never the password hash.
	if s.Session.User.Password != "" {
		t.Fatal("Gin Shop put the password hash in the session")
	}
	var cart struct {
		Email string `json:"email"`
	}
	apptest.ExpectStatus(t, v.onExpress(http.MethodGet, "/cart", nil, &cart), http.StatusOK)
	if cart.Email != "Node.Shopper@Example.test" {
		t.Fatalf("Express found user %q", cart.Email)
	}
}

func TestLogoutOnExpressLogsOutOfBoth(t *testing.T) {
	shop := apptest.StartDefault(t)
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	v.expressSignupAndLogin("a@example.test", password)
	if !v.loggedInOnGinShop() {
		t.Fatal("not logged in on Gin Shop")
	}
	id := v.expressSession().ID
	apptest.ExpectStatus(t, v.onExpress(http.MethodPost, "/logout", url.Values{}, nil), http.StatusOK)
	v.expectLoggedOutOnBoth(shop, id)
}

func TestLogoutOnGinShopLogsOutOfBoth(t *testing.T) {
	shop := apptest.StartDefault(t)
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	v.expressSignupAndLogin("b@example.test", password)
	id := v.expressSession().ID
	res := v.Submit("/", "/logout", nil)
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	v.expectLoggedOutOnBoth(shop, id)
}

func TestFlashSetOnExpressIsShownOnGinShop(t *testing.T) {
	shop := apptest.StartDefault(t)
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	// A failed login on Express: req.flash('error', 'Invalid email or password.').
	res := v.onExpress(http.MethodPost, "/login", url.Values{"email": {"nobody@example.test"}, "password": {"x"}}, nil)
	apptest.ExpectStatus(t, res, http.StatusUnauthorized)
	apptest.ExpectStatus(t, v.onExpress(http.MethodPost, "/flash", url.Values{"type": {"info"}, "message": {"Hello from Node."}}, nil), http.StatusOK)

	page := v.Get("/login")
	apptest.ExpectStatus(t, page, http.StatusOK)
	for _, msg := range []string{"Invalid email or password.", "Hello from Node."} {
		if !strings.Contains(page.Body, msg) {
			t.Errorf("Gin Shop does not show the Express flash %q", msg)
		}
	}
	// Shown once: both apps see it consumed, and connect-flash's flash: {} is still there.
	s := v.expressSession()
	if len(s.Session.Flash["error"]) != 0 || len(s.Session.Flash["info"]) != 0 || s.Session.Flash == nil {
		t.Fatalf("flash after Gin Shop showed it: %#v", s.Session.Flash)
	}
	if strings.Contains(v.Get("/login").Body, "Hello from Node.") {
		t.Fatal("the flash was shown twice")
	}
}

func TestFlashSetOnGinShopIsShownOnExpress(t *testing.T) {
	shop := apptest.StartDefault(t)
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	v.expressSignupAndLogin("c@example.test", password)
	// Ordering an empty cart flashes a message on Gin Shop (req.flash('info', ...)).
	res := v.Submit("/cart", "/create-order", nil)
	apptest.ExpectStatus(t, res, http.StatusSeeOther)

	var got struct {
		Messages []string `json:"messages"`
	}
	apptest.ExpectStatus(t, v.onExpress(http.MethodGet, "/flash/info", nil, &got), http.StatusOK)
	if len(got.Messages) != 1 || !strings.Contains(got.Messages[0], "cart is empty") {
		t.Fatalf("Express read flash info = %q", got.Messages)
	}
	if page := v.Get("/cart"); strings.Contains(page.Body, "cart is empty: add") {
		t.Fatal("Gin Shop shows the flash Express already consumed")
	}
}

func TestUserCreatedOnExpressSeesTheSameCartAndOrdersOnGinShop(t *testing.T) {
	shop := apptest.StartDefault(t)
	express := startExpress(t, shop)
	products, err := shop.Models.Products.Page(t.Context(), 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	book, mug, lamp := products.Products[0], products.Products[1], products.Products[2]

	node := newVisitor(t, shop, express)
	node.expressSignupAndLogin("Cart.Owner@Example.test", password)
	for _, p := range []models.Product{book, book, mug, lamp} {
		apptest.ExpectStatus(t, node.onExpress(http.MethodPost, "/cart", url.Values{"productId": {p.ID.Hex()}}, nil), http.StatusOK)
	}

	gin := newVisitor(t, shop, express)
	gin.Login("cart.owner@example.test", password)
	page := gin.Get("/cart")
	apptest.ExpectStatus(t, page, http.StatusOK)
	for _, p := range []models.Product{book, mug, lamp} {
		if !strings.Contains(page.Body, p.Title) {
			t.Errorf("Gin Shop's cart does not show %q", p.Title)
		}
	}
	// Remove a mongoose line (with its _id) on Gin Shop: Express sees the change.
	res := gin.Submit("/cart", "/cart-delete-item", url.Values{"productId": {mug.ID.Hex()}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	// The owner deletes a product on Gin Shop: Express's cart must not break on it.
	owner := shop.Client(t)
	ownerUser, err := shop.Models.Users.ByEmail(t.Context(), models.DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	setPassword(t, shop, ownerUser.Email)
	owner.Login(models.DemoEmail, password)
	apptest.ExpectStatus(t, owner.Submit("/admin/products", "/admin/delete-product", url.Values{"productId": {lamp.ID.Hex()}}), http.StatusSeeOther)

	var cart struct {
		Lines []struct {
			Title    string `json:"title"`
			Quantity int    `json:"quantity"`
		} `json:"lines"`
	}
	// The deleted product leaves every cart in the background (the cart cleanup job, woken by
	// the delete): until then Express's cart answers 500 on the missing product, as the
	// course app would crash on it.
	apptest.Eventually(t, "the cart cleanup job takes the deleted product out of Express's cart", func() bool {
		return node.onExpress(http.MethodGet, "/cart", nil, nil).StatusCode == http.StatusOK
	})
	apptest.ExpectStatus(t, node.onExpress(http.MethodGet, "/cart", nil, &cart), http.StatusOK)
	if len(cart.Lines) != 1 || cart.Lines[0].Title != book.Title || cart.Lines[0].Quantity != 2 {
		t.Fatalf("Express cart after Gin Shop's changes: %+v", cart.Lines)
	}

	// An order placed on Express (no createdAt) shows on Gin Shop with its real date.
	apptest.ExpectStatus(t, node.onExpress(http.MethodPost, "/create-order", url.Values{}, nil), http.StatusOK)
	// Gin Shop lists a user's orders through the userOrders index document, which learns of the
	// Node app's orders on the reindexer's next pass (about two seconds on a small shop).
	var orders *apptest.Response
	apptest.Eventually(t, "Gin Shop lists the order placed on Express", func() bool {
		orders = gin.Get("/orders")
		apptest.ExpectStatus(t, orders, http.StatusOK)
		return strings.Contains(orders.Body, book.Title)
	})
	if strings.Contains(orders.Body, "January 0001") {
		t.Fatalf("Gin Shop's orders page:\n%s", orders.Body)
	}
}
