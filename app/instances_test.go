package app_test

// Two instances of the shop on one database, as behind a load balancer: instance A runs the
// embedded server, instance B connects to it with MONGODB_URI, both with the same session
// secret and each with its own DATA_DIR. Every test switches instance between steps.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
)

// twoInstances starts instance A and instance B beside it.
func twoInstances(t *testing.T) (a, b *apptest.Shop) {
	t.Helper()
	a = apptest.StartDefault(t)
	b = apptest.StartBeside(t, a)
	if b.DB.Embedded() || a.URL == b.URL {
		t.Fatal("instance B must be a separate app on MONGODB_URI")
	}
	return a, b
}

// on is the same shopper (same cookies, same CSRF token) sent to another instance.
func (s *shopper) on(shop *apptest.Shop) *shopper {
	return &shopper{Client: s.Client.On(shop), t: s.t, shop: shop, ID: s.ID, csrf: s.csrf}
}

func TestLoginOnOneInstanceIsValidOnTheOther(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	onA := cheapDemoHash(t, a).Client(t)
	onA.LoginDemo()
	cookie := onA.Cookie("connect.sid")

	onB := onA.On(b)
	cart := onB.Get("/cart")
	apptest.ExpectStatus(t, cart, http.StatusOK) // not the redirect to /login
	if !navShowsLogout(t, onB) {
		t.Error("instance B does not show the visitor as logged in")
	}
	// And as the demo user: B lists the demo user's own products.
	mustContain(t, onB.Get("/admin/products").Body, "A Book About Go", "Bicycle")
	if got := onB.Cookie("connect.sid"); got == nil || got.Value != cookie.Value {
		t.Errorf("instance B changed the session cookie: %v, was %v", got, cookie)
	}
	if n, err := a.DB.Database.Collection("sessions").CountDocuments(context.Background(), bson.D{}); err != nil || n != 1 {
		t.Errorf("sessions = %d, %v; want the one login session, shared", n, err)
	}
}

func TestLogoutOnOneInstanceEndsTheSessionOnTheOther(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	onA := cheapDemoHash(t, a).Client(t)
	onA.LoginDemo()
	old := onA.Cookie("connect.sid")

	expectSeeOther(t, onA.On(b).Submit("/cart", "/logout", nil), "/")
	expectSeeOther(t, onA.Get("/cart"), "/login")
	if navShowsLogout(t, onA) {
		t.Error("instance A still shows the user as logged in after logging out on B")
	}
	// The old cookie, kept by someone, is worthless on A as well.
	replay := a.Client(t)
	req, _ := http.NewRequest(http.MethodGet, "/cart", nil)
	req.AddCookie(&http.Cookie{Name: old.Name, Value: old.Value})
	expectSeeOther(t, replay.Do(req), "/login")
	if n, err := a.DB.Database.Collection("sessions").CountDocuments(context.Background(), bson.D{{Key: "session.isLoggedIn", Value: true}}); err != nil || n != 0 {
		t.Errorf("logged-in sessions after logout = %d, %v", n, err)
	}
}

func TestProductWithImageAddedOnOneInstanceIsListedWithItsImageOnTheOther(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	makerA := newShopper(t, a, "maker@example.com")
	p := makerA.addProduct("Cross Instance Lamp", "44")
	data := string(pngBytes(t))
	visitorB := b.Client(t)

	// Listed on B (page 2: ten demo products come first), within the cache window.
	apptest.Eventually(t, "instance B does not list the product added on A", func() bool {
		res := visitorB.Get("/products?page=2")
		return res.StatusCode == http.StatusOK && strings.Contains(res.Body, "Cross Instance Lamp") &&
			strings.Contains(res.Body, `src="`+p.ImageURL+`"`)
	})
	detail := visitorB.Get("/products/" + p.ID.Hex())
	apptest.ExpectStatus(t, detail, http.StatusOK)
	mustContain(t, detail.Body, "Cross Instance Lamp", `src="`+p.ImageURL+`"`)
	// B serves the image A stored, with the same validators.
	imgB, imgA := visitorB.Get(p.ImageURL), a.Client(t).Get(p.ImageURL)
	apptest.ExpectStatus(t, imgB, http.StatusOK)
	if imgB.Body != data || imgB.Header.Get("Content-Type") != "image/png" || imgB.Header.Get("ETag") != imgA.Header.Get("ETag") {
		t.Errorf("image on B: %d bytes, %q, ETag %q (A: %q)", len(imgB.Body), imgB.Header.Get("Content-Type"),
			imgB.Header.Get("ETag"), imgA.Header.Get("ETag"))
	}
	apptest.ExpectStatus(t, imageRequest(t, visitorB, http.MethodGet, p.ImageURL,
		map[string]string{"If-None-Match": imgA.Header.Get("ETag")}), http.StatusNotModified)

	// The image replaced on B: A serves the new one, and the old one is gone everywhere.
	makerB := makerA.on(b)
	res := makerB.postMultipart("/admin/edit-product", url.Values{"productId": {p.ID.Hex()}, "title": {"Cross Instance Lamp"},
		"price": {"44"}, "description": {"Made for the tests."}}, &upload{Name: "new.jpg", ContentType: "image/jpeg", Data: jpegBytes(t)})
	expectRedirect(t, res, "/admin/products")
	replaced := productByID(t, a, p.ID)
	if replaced.ImageURL == p.ImageURL {
		t.Fatal("the image was not replaced")
	}
	newImg := a.Client(t).Get(replaced.ImageURL)
	apptest.ExpectStatus(t, newImg, http.StatusOK)
	if newImg.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("the new image is served on A as %q", newImg.Header.Get("Content-Type"))
	}
	apptest.ExpectStatus(t, a.Client(t).Get(p.ImageURL), http.StatusNotFound)

	// Deleted on B: gone on A, image and all.
	expectRedirect(t, makerB.post("/admin/delete-product", url.Values{"productId": {p.ID.Hex()}}), "/admin/products")
	apptest.ExpectStatus(t, a.Client(t).Get(replaced.ImageURL), http.StatusNotFound)
	apptest.Eventually(t, "instance A still shows the product deleted on B", func() bool {
		return a.Client(t).Get("/products/"+p.ID.Hex()).StatusCode == http.StatusNotFound
	})
	if files := storedImages(t, a); len(files) != 0 {
		t.Errorf("GridFS holds %v after the delete, want nothing", files)
	}
}

func TestCartItemAddedOnOneInstanceIsInTheCartOnTheOther(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	buyerA := newShopper(t, a, "buyer@example.com")
	book := demoProducts(t, a)[0]
	buyerA.addToCart(book.ID)

	buyerB := buyerA.on(b)
	cart := buyerB.Get("/cart")
	apptest.ExpectStatus(t, cart, http.StatusOK)
	mustContain(t, cart.Body, book.Title, "Quantity: 1")

	// Another unit on B, seen on A; removed on A, gone on B.
	buyerB.addToCart(book.ID)
	mustContain(t, buyerA.Get("/cart").Body, book.Title, "Quantity: 2")
	expectRedirect(t, buyerA.post("/cart-delete-item", url.Values{"productId": {book.ID.Hex()}}), "/cart")
	mustNotContain(t, buyerB.Get("/cart").Body, book.Title)
	if items := cartOf(t, a, buyerA.ID); len(items) != 0 {
		t.Errorf("cart = %v, want empty", items)
	}
}

func TestOrderPlacedOnOneInstanceIsAnInvoiceOnTheOther(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	buyerA := newShopper(t, a, "buyer@example.com")
	products := demoProducts(t, a)
	buyerA.addToCart(products[0].ID)
	buyerA.addToCart(products[5].ID)

	buyerB := buyerA.on(b)
	expectRedirect(t, buyerB.post("/create-order", nil), "/orders")
	orders := ordersOf(t, a, buyerA.ID)
	if len(orders) != 1 || len(orders[0].Products) != 2 {
		t.Fatalf("orders = %+v, want one with two lines", orders)
	}
	if items := cartOf(t, a, buyerA.ID); len(items) != 0 {
		t.Errorf("cart after the order = %v, want empty", items)
	}

	list := buyerA.Get("/orders")
	apptest.ExpectStatus(t, list, http.StatusOK)
	mustContain(t, list.Body, orders[0].ID.Hex(), products[0].Title, products[5].Title)
	invoice := buyerA.Get("/orders/" + orders[0].ID.Hex())
	apptest.ExpectStatus(t, invoice, http.StatusOK)
	if invoice.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(invoice.Body, "%PDF-") {
		t.Errorf("invoice on A: %q, starts %q", invoice.Header.Get("Content-Type"), invoice.Body[:min(8, len(invoice.Body))])
	}
	// Someone else's order stays a 404 on either instance.
	other := newShopper(t, b, "other@example.com")
	apptest.ExpectStatus(t, other.Get("/orders/"+orders[0].ID.Hex()), http.StatusNotFound)
}
