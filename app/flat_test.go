package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginshop/ginshop/apptest"
)

// On the embedded database (FerretDB v1 on SQLite) a filter other than exactly {_id: value}
// reads and decodes the whole collection, so a page that sends one gets slower with every user,
// order or product. Every page and form is driven here, and every filter a request sent is
// checked; the periodic jobs and the collections read whole by design
// (models.WholeCollectionReads) are the exceptions.
func TestEveryQueryOfThePagesIsByIDOnTheEmbeddedDatabase(t *testing.T) {
	t.Parallel()
	rec := &queryRecorder{}
	shop := apptest.Start(t, apptest.Config(t), rec.option())
	if shop.DB.AtomicUpdatesAcrossConnections() {
		t.Fatal("the test database is expected to be the embedded FerretDB")
	}
	demo := demoProducts(t, shop)[0]

	anon := shop.Client(t)
	for _, path := range []string{"/", "/products", "/products?page=2", "/products/" + demo.ID.Hex(), "/login", "/signup", "/reset"} {
		apptest.ExpectStatus(t, anon.Get(path), http.StatusOK)
	}
	const email, password = "flat.check@example.test", "flat-password-1"
	res := anon.Submit("/signup", "/signup", url.Values{"email": {email}, "password": {password}, "confirmPassword": {password}})
	expectSeeOther(t, res, "/login")
	failed, _ := loginAs(t, shop, "nobody@example.test", "wrong-password")
	apptest.ExpectStatus(t, failed, http.StatusUnprocessableEntity)
	c := shop.Client(t)
	c.Login(email, password)
	s := &shopper{Client: c, t: t, shop: shop, ID: storedUser(t, shop, email).ID, csrf: c.CSRF("/")}

	// Admin: add (with an image), look, edit.
	p := s.addProduct("Flat Lamp", "12")
	apptest.ExpectStatus(t, anon.Get(p.ImageURL), http.StatusOK)
	for _, path := range []string{"/admin/products", "/admin/add-product", "/admin/edit-product/" + p.ID.Hex() + "?edit=true"} {
		apptest.ExpectStatus(t, s.Get(path), http.StatusOK)
	}
	res = s.postMultipart("/admin/edit-product", url.Values{"productId": {p.ID.Hex()}, "title": {"Flat Lamp 2"},
		"price": {"13"}, "description": {"Made for the tests."}}, &upload{Name: "new.png", ContentType: "image/png", Data: pngBytes(t)})
	expectRedirect(t, res, "/admin/products")

	// Cart: a new line, the same line again, another line, a delete; checkout; order; invoice.
	s.addToCart(p.ID)
	s.addToCart(p.ID)
	s.addToCart(demo.ID)
	for _, path := range []string{"/cart", "/checkout"} {
		apptest.ExpectStatus(t, s.Get(path), http.StatusOK)
	}
	expectRedirect(t, s.post("/cart-delete-item", url.Values{"productId": {demo.ID.Hex()}}), "/cart")
	expectRedirect(t, s.post("/create-order", nil), "/orders")
	expectRedirect(t, s.post("/create-order", nil), "/cart") // the cart is empty now
	orders := ordersOf(t, shop, s.ID)
	apptest.ExpectStatus(t, s.Get("/orders"), http.StatusOK)
	apptest.ExpectStatus(t, s.Get("/orders/"+orders[0].ID.Hex()), http.StatusOK)

	// Deleting products, both ways, while they are in a cart.
	s.addToCart(p.ID)
	expectRedirect(t, s.post("/admin/delete-product", url.Values{"productId": {p.ID.Hex()}}), "/admin/products")
	q := s.addProduct("Flat Chair", "20")
	s.addToCart(q.ID)
	apptest.ExpectStatus(t, s.deleteProduct(q.ID.Hex(), s.csrf), http.StatusOK)
	apptest.ExpectStatus(t, s.Get("/cart"), http.StatusOK)

	expectRedirect(t, s.post("/logout", nil), "/")

	// Password reset (which also ends the user's other sessions): request, link, new password; then log in with it.
	r := shop.Client(t)
	link := resetLink(t, r, email)
	apptest.ExpectStatus(t, r.Get(link), http.StatusOK)
	res = r.Submit(link, "/new-password", url.Values{"userId": {s.ID.Hex()}, "passwordToken": {strings.TrimPrefix(link, "/reset/")},
		"password": {"flat-password-2"}})
	expectSeeOther(t, res, "/login")
	shop.Client(t).Login(email, "flat-password-2")

	if !rec.seen["update users [_id]"] || !rec.seen["find users [_id]"] {
		t.Fatalf("the recorder missed the pages' queries: %v", rec.queries())
	}
	for _, q := range rec.byIDViolations() {
		if strings.HasPrefix(q, `delete sessions {"session.user._id": `) {
			// Not done yet: a new password ends the user's other sessions by a filter on the
			// user (sessionstore.DeleteUserSessions), a read of every session; rare (one per
			// password reset), and it must not be deferred to a job, so it waits for a
			// per-user list of sessions.
			continue
		}
		t.Errorf("a page sent a filter that is not exactly {_id: value}: %s", q)
	}
}
