package app_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

func TestCartAddingAProductTwiceRaisesItsQuantity(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	products := demoProducts(t, shop)
	book, mug := products[0], products[1]

	s.addToCart(book.ID)
	s.addToCart(mug.ID)
	s.addToCart(book.ID)

	want := []models.CartItem{{ProductID: book.ID, Quantity: 2}, {ProductID: mug.ID, Quantity: 1}}
	if got := cartOf(t, shop, s.ID); !slices.Equal(got, want) {
		t.Fatalf("cart = %v, want %v", got, want)
	}
	res := s.Get("/cart")
	apptest.ExpectStatus(t, res, http.StatusOK)
	mustContain(t, res.Body, `class="cart__item-list"`,
		"<h1>A Book About Go</h1>", "Quantity: 2", "$29.99",
		"<h1>Coffee Mug</h1>", "Quantity: 1", "$9.50",
		`action="/cart-delete-item"`, `value="`+book.ID.Hex()+`" name="productId"`,
		`<button class="btn danger" type="submit">Delete</button>`, `href="/checkout"`)
}

func TestCartDeleteItemRemovesTheWholeLine(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	products := demoProducts(t, shop)
	setCart(t, shop, s.ID, models.CartItem{ProductID: products[0].ID, Quantity: 3}, models.CartItem{ProductID: products[1].ID, Quantity: 1})

	res := s.post("/cart-delete-item", url.Values{"productId": {products[0].ID.Hex()}})
	expectRedirect(t, res, "/cart")

	want := []models.CartItem{{ProductID: products[1].ID, Quantity: 1}}
	if got := cartOf(t, shop, s.ID); !slices.Equal(got, want) {
		t.Fatalf("cart = %v, want %v", got, want)
	}
	page := s.Get("/cart")
	mustContain(t, page.Body, "Coffee Mug")
	mustNotContain(t, page.Body, "A Book About Go")

	expectRedirect(t, s.post("/cart-delete-item", url.Values{"productId": {products[1].ID.Hex()}}), "/cart")
	page = s.Get("/cart")
	apptest.ExpectStatus(t, page, http.StatusOK)
	mustContain(t, page.Body, "No Products in Cart!")
	mustNotContain(t, page.Body, `class="cart__item"`, `href="/checkout"`)
}

func TestCartBadProductIDsAre404AndChangeNothing(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	products := demoProducts(t, shop)
	setCart(t, shop, s.ID, models.CartItem{ProductID: products[0].ID, Quantity: 2})
	before := dbState(t, shop)

	unknown := bson.NewObjectID().Hex()
	notInCart := products[1].ID.Hex()
	cases := []struct{ path, id string }{
		{"/cart", ""},
		{"/cart", "abc"},
		{"/cart", "zzzzzzzzzzzzzzzzzzzzzzzz"},
		{"/cart", products[0].ID.Hex() + "0"},
		{"/cart", unknown},
		{"/cart-delete-item", ""},
		{"/cart-delete-item", "abc"},
		{"/cart-delete-item", unknown},
		{"/cart-delete-item", notInCart},
	}
	for _, tc := range cases {
		res := s.post(tc.path, url.Values{"productId": {tc.id}})
		apptest.ExpectStatus(t, res, http.StatusNotFound)
		mustContain(t, res.Body, "Page Not Found")
	}
	expectUnchanged(t, shop, before, "bad product ids")
}

func TestCartOrdersAndAdminNeedLoginAndAToken(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	product := demoProducts(t, shop)[0]
	id := product.ID.Hex()
	s := demoShopper(t, shop)
	before := dbState(t, shop)

	anon := shop.Client(t)
	for _, path := range []string{"/cart", "/checkout", "/orders", "/orders/" + bson.NewObjectID().Hex(),
		"/admin/add-product", "/admin/products", "/admin/edit-product/" + id + "?edit=true"} {
		expectRedirect(t, anon.Get(path), "/login")
	}
	for _, path := range []string{"/cart", "/cart-delete-item", "/create-order", "/admin/delete-product"} {
		expectRedirect(t, anon.Submit("/login", path, url.Values{"productId": {id}}), "/login")
	}

	for _, path := range []string{"/cart", "/create-order", "/admin/delete-product", "/admin/add-product"} {
		form := url.Values{"productId": {id}, "title": {"No Token"}, "price": {"1"}, "description": {"Sent without a token."}}
		apptest.ExpectStatus(t, s.PostForm(path, form), http.StatusForbidden) // no _csrf
		form.Set("_csrf", "forged")
		apptest.ExpectStatus(t, s.PostForm(path, form), http.StatusForbidden)
	}
	expectUnchanged(t, shop, before, "requests without login or token")
}

func TestCartTwentySimultaneousAddsCountTwenty(t *testing.T) {
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	product := demoProducts(t, shop)[0]

	statuses := s.concurrently(20, func(int) *http.Request { return s.cartRequest("/cart", product.ID) })
	expectAll(t, statuses, http.StatusSeeOther)
	want := []models.CartItem{{ProductID: product.ID, Quantity: 20}}
	if got := cartOf(t, shop, s.ID); !slices.Equal(got, want) {
		t.Fatalf("cart after 20 simultaneous adds = %v, want %v", got, want)
	}
	mustContain(t, s.Get("/cart").Body, "Quantity: 20")
}

func TestCartSimultaneousAddsOfDifferentProductsAllStay(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	products := demoProducts(t, shop)

	// Two at once, a few times over; then all ten at once.
	for round := range 3 {
		setCart(t, shop, s.ID)
		a, b := products[2*round], products[2*round+1]
		s.concurrently(2, func(i int) *http.Request { return s.cartRequest("/cart", []bson.ObjectID{a.ID, b.ID}[i]) })
		got := cartOf(t, shop, s.ID)
		if len(got) != 2 || !slices.Contains(got, models.CartItem{ProductID: a.ID, Quantity: 1}) ||
			!slices.Contains(got, models.CartItem{ProductID: b.ID, Quantity: 1}) {
			t.Fatalf("round %d: cart = %v, want both products once", round, got)
		}
	}
	setCart(t, shop, s.ID)
	s.concurrently(len(products), func(i int) *http.Request { return s.cartRequest("/cart", products[i].ID) })
	got := cartOf(t, shop, s.ID)
	if len(got) != len(products) {
		t.Fatalf("cart has %d lines after adding %d products at once: %v", len(got), len(products), got)
	}
	for _, p := range products {
		if !slices.Contains(got, models.CartItem{ProductID: p.ID, Quantity: 1}) {
			t.Errorf("%s missing from the cart", p.Title)
		}
	}
}

// Removing a line moves the lines after it; adds to those lines must still land.
func TestCartAddsWhileAnotherLineIsRemoved(t *testing.T) {
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	products := demoProducts(t, shop)
	a, b := products[0], products[1]
	setCart(t, shop, s.ID, models.CartItem{ProductID: a.ID, Quantity: 5}, models.CartItem{ProductID: b.ID, Quantity: 1})

	statuses := s.concurrently(11, func(i int) *http.Request {
		if i == 0 {
			return s.cartRequest("/cart-delete-item", a.ID)
		}
		return s.cartRequest("/cart", b.ID)
	})
	expectAll(t, statuses, http.StatusSeeOther)
	want := []models.CartItem{{ProductID: b.ID, Quantity: 11}}
	if got := cartOf(t, shop, s.ID); !slices.Equal(got, want) {
		t.Fatalf("cart = %v, want %v", got, want)
	}
}

func TestCartLosesAProductItsOwnerDeletes(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	owner := demoShopper(t, shop)
	buyer := newShopper(t, shop, "buyer@example.com")
	products := demoProducts(t, shop)
	gone, kept := products[0], products[1]
	buyer.addToCart(gone.ID)
	buyer.addToCart(gone.ID)
	buyer.addToCart(kept.ID)

	expectRedirect(t, owner.post("/admin/delete-product", url.Values{"productId": {gone.ID.Hex()}}), "/admin/products")

	// At once, the pages leave the line out; then the cleanup job takes it out of the cart.
	page := buyer.Get("/cart")
	apptest.ExpectStatus(t, page, http.StatusOK)
	mustContain(t, page.Body, kept.Title, "Quantity: 1")
	mustNotContain(t, page.Body, gone.Title)
	checkout := buyer.Get("/checkout")
	mustContain(t, checkout.Body, kept.Title)
	mustNotContain(t, checkout.Body, gone.Title)
	want := []models.CartItem{{ProductID: kept.ID, Quantity: 1}}
	apptest.Eventually(t, "the deleted product's line leaves the buyer's cart", func() bool {
		return slices.Equal(cartOf(t, shop, buyer.ID), want)
	})
	expectRedirect(t, buyer.post("/create-order", nil), "/orders")
	orders := ordersOf(t, shop, buyer.ID)
	if len(orders) != 1 || len(orders[0].Products) != 1 || orders[0].Products[0].Product.ID != kept.ID {
		t.Fatalf("order = %+v, want only %s", orders, kept.Title)
	}
}

// An order placed before the cleanup job has run leaves the deleted product out too.
func TestOrderRightAfterADeleteLeavesTheDeletedProductOut(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	buyer := newShopper(t, shop, "quick.buyer@example.com")
	products := demoProducts(t, shop)
	gone, kept := products[0], products[1]
	buyer.addToCart(gone.ID)
	buyer.addToCart(kept.ID)
	// Deleted the way the admin page does, minus the cleanup job's wake-up: the line stays in
	// the stored cart, as it does until the job has run.
	if _, err := shop.Models.Products.DeleteOwned(context.Background(), gone.ID, gone.UserID); err != nil {
		t.Fatal(err)
	}

	mustNotContain(t, buyer.Get("/cart").Body, gone.Title)
	expectRedirect(t, buyer.post("/create-order", nil), "/orders")
	orders := ordersOf(t, shop, buyer.ID)
	if len(orders) != 1 || len(orders[0].Products) != 1 || orders[0].Products[0].Product.ID != kept.ID {
		t.Fatalf("order = %+v, want only %s", orders, kept.Title)
	}
	if items := cartOf(t, shop, buyer.ID); len(items) != 0 {
		t.Errorf("cart after the order = %v, want empty", items)
	}
	invoice := buyer.Get("/orders")
	mustContain(t, invoice.Body, kept.Title)
	mustNotContain(t, invoice.Body, gone.Title)
}

// A line whose product vanished some other way (deleted in mongosh, say) is skipped, not an
// error, and looking at the cart does not remove it.
func TestCartSkipsLinesOfMissingProducts(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	kept := demoProducts(t, shop)[1]
	setCart(t, shop, s.ID, models.CartItem{ProductID: bson.NewObjectID(), Quantity: 4}, models.CartItem{ProductID: kept.ID, Quantity: 2})
	before := dbState(t, shop)

	for _, path := range []string{"/cart", "/checkout"} {
		res := s.Get(path)
		apptest.ExpectStatus(t, res, http.StatusOK)
		mustContain(t, res.Body, kept.Title, "Quantity: 2")
		if n := countOf(res.Body, `class="cart__item"`); n != 1 {
			t.Errorf("%s shows %d lines, want 1", path, n)
		}
	}
	mustContain(t, s.Get("/checkout").Body, "Total: $19.00")
	expectUnchanged(t, shop, before, "GET /cart and /checkout")
}
