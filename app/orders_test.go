package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

func TestBuyFlowFromCartToInvoice(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	buyer := newShopper(t, shop, "buyer@example.com")
	products := demoProducts(t, shop)
	book, mug, camera := products[0], products[1], products[5]

	buyer.addToCart(book.ID)
	buyer.addToCart(book.ID)
	buyer.addToCart(mug.ID)
	expectRedirect(t, buyer.post("/cart-delete-item", url.Values{"productId": {mug.ID.Hex()}}), "/cart")
	buyer.addToCart(camera.ID)

	checkout := buyer.Get("/checkout")
	apptest.ExpectStatus(t, checkout, http.StatusOK)
	mustContain(t, checkout.Body, "A Book About Go", "Quantity: 2", "Camera", "Quantity: 1",
		"Total: $308.98", `action="/create-order"`) // 2 × 29.99 + 249
	mustNotContain(t, checkout.Body, "Coffee Mug")

	expectRedirect(t, buyer.post("/create-order", nil), "/orders")
	if items := cartOf(t, shop, buyer.ID); len(items) != 0 {
		t.Errorf("cart after ordering = %v, want empty", items)
	}
	orders := ordersOf(t, shop, buyer.ID)
	if len(orders) != 1 {
		t.Fatalf("%d orders, want 1", len(orders))
	}
	order := orders[0]
	id := order.ID.Hex()

	// The stored document has the course's shape, with a snapshot of each product.
	var doc bson.Raw
	if err := shop.DB.Database.Collection("orders").FindOne(context.Background(), bson.D{{Key: "_id", Value: order.ID}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	checks := map[string]any{
		"products.0.product.title":       book.Title,
		"products.0.product.price":       book.Price,
		"products.0.product.description": book.Description,
		"products.0.product.imageUrl":    book.ImageURL,
		"products.0.product._id":         book.ID,
		"products.0.quantity":            int32(2),
		"products.1.product.title":       camera.Title,
		"products.1.quantity":            int32(1),
		"user.email":                     "buyer@example.com",
		"user.userId":                    buyer.ID,
	}
	for path, want := range checks {
		v, err := doc.LookupErr(strings.Split(path, ".")...)
		if err != nil {
			t.Errorf("order has no %s", path)
			continue
		}
		var got any
		switch want.(type) {
		case string:
			got = v.StringValue()
		case float64:
			got = v.Double()
		case int32:
			got = v.Int32()
		case bson.ObjectID:
			got = v.ObjectID()
		}
		if got != want {
			t.Errorf("order %s = %v, want %v", path, got, want)
		}
	}
	if v, err := doc.LookupErr("createdAt"); err != nil || v.Type != bson.TypeDateTime {
		t.Errorf("order createdAt = %v (%v), want a date", v, err)
	}
	if _, err := doc.LookupErr("products", "2"); err == nil {
		t.Error("the deleted cart line was ordered too")
	}

	page := buyer.Get("/orders")
	apptest.ExpectStatus(t, page, http.StatusOK)
	mustContain(t, page.Body, "Order placed.", `class="orders__item"`, "Order - # "+id,
		`href="/orders/`+id+`"`, "A Book About Go (2)", "Camera (1)", "Total: $308.98")
	mustNotContain(t, buyer.Get("/orders").Body, "Order placed.") // a flash is shown once

	invoice := buyer.Get("/orders/" + id)
	apptest.ExpectStatus(t, invoice, http.StatusOK)
	if ct := invoice.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("invoice Content-Type = %q", ct)
	}
	if cd := invoice.Header.Get("Content-Disposition"); cd != `inline; filename="invoice-`+id+`.pdf"` {
		t.Errorf("invoice Content-Disposition = %q", cd)
	}
	if !strings.HasPrefix(invoice.Body, "%PDF") {
		t.Fatalf("invoice does not start with %%PDF: %q", invoice.Body[:min(20, len(invoice.Body))])
	}
	mustContain(t, invoice.Body, "Gin Shop", "Invoice", id, order.CreatedAt.UTC().Format("2 January 2006"),
		"A Book About Go", "$29.99", "$59.98", "Camera", "$249.00", "Total", "$308.98", "%%EOF")
}

func TestOrderingAnEmptyCartPlacesNoOrder(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	before := dbState(t, shop)

	checkout := s.Get("/checkout")
	apptest.ExpectStatus(t, checkout, http.StatusOK)
	mustContain(t, checkout.Body, "No Products in Cart!")
	mustNotContain(t, checkout.Body, `action="/create-order"`)

	expectRedirect(t, s.post("/create-order", nil), "/cart")
	page := s.Get("/cart")
	mustContain(t, page.Body, "Your cart is empty: add a product before ordering.", "No Products in Cart!")
	expectUnchanged(t, shop, before, "ordering an empty cart")

	// A cart whose only product was deleted is empty too.
	setCart(t, shop, s.ID, models.CartItem{ProductID: bson.NewObjectID(), Quantity: 1})
	expectRedirect(t, s.post("/create-order", nil), "/cart")
	if orders := ordersOf(t, shop, s.ID); len(orders) != 0 {
		t.Errorf("%d orders for a cart of deleted products, want none", len(orders))
	}
	mustContain(t, s.Get("/orders").Body, "Nothing there!")
}

// Two clicks on "Place Order" at once: one order, the second finds the cart already empty.
func TestSimultaneousOrdersOfOneCartPlaceOneOrder(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	product := demoProducts(t, shop)[0]
	setCart(t, shop, s.ID, models.CartItem{ProductID: product.ID, Quantity: 3})

	s.concurrently(2, func(int) *http.Request { return s.cartRequest("/create-order", product.ID) })
	orders := ordersOf(t, shop, s.ID)
	if len(orders) != 1 || len(orders[0].Products) != 1 || orders[0].Products[0].Quantity != 3 {
		t.Fatalf("orders = %+v, want one order of 3", orders)
	}
}

func TestOrdersAreNewestFirstAndKeepWhatWasBought(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	products := demoProducts(t, shop)
	book, mug := products[0], products[1]

	s.addToCart(book.ID)
	expectRedirect(t, s.post("/create-order", nil), "/orders")
	s.addToCart(mug.ID)
	expectRedirect(t, s.post("/create-order", nil), "/orders")
	orders := ordersOf(t, shop, s.ID)
	if len(orders) != 2 {
		t.Fatalf("%d orders, want 2", len(orders))
	}
	newer, older := orders[0].ID.Hex(), orders[1].ID.Hex()
	if orders[0].Products[0].Product.Title != mug.Title {
		t.Fatalf("newest order holds %q, want %q", orders[0].Products[0].Product.Title, mug.Title)
	}
	page := s.Get("/orders").Body
	if i, j := strings.Index(page, "Order - # "+newer), strings.Index(page, "Order - # "+older); i < 0 || j < 0 || i > j {
		t.Errorf("orders page does not list the newer order first (positions %d, %d)", i, j)
	}

	// The owner changes the book afterwards: the order still shows what was bought.
	res := s.postMultipart("/admin/edit-product", url.Values{"productId": {book.ID.Hex()}, "title": {"A Different Book"},
		"price": {"99.00"}, "description": {book.Description}}, nil)
	expectRedirect(t, res, "/admin/products")
	page = s.Get("/orders").Body
	mustContain(t, page, "A Book About Go (1)")
	mustNotContain(t, page, "A Different Book")
	invoice := s.Get("/orders/" + older)
	mustContain(t, invoice.Body, "A Book About Go", "$29.99")
	mustNotContain(t, invoice.Body, "99.00")
}

func TestOrdersAndInvoicesAreTheOwnersOnly(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	alice := demoShopper(t, shop)
	alice.addToCart(demoProducts(t, shop)[0].ID)
	expectRedirect(t, alice.post("/create-order", nil), "/orders")
	id := ordersOf(t, shop, alice.ID)[0].ID.Hex()
	bob := newShopper(t, shop, "bob@example.com")
	before := dbState(t, shop)
	res := bob.Get("/orders/" + id)
	apptest.ExpectStatus(t, res, http.StatusNotFound)
	mustContain(t, res.Body, "Page Not Found")
	mustNotContain(t, res.Body, "%PDF")
	orders := bob.Get("/orders")
	mustContain(t, orders.Body, "Nothing there!")
	mustNotContain(t, orders.Body, id)

	for _, bad := range []string{"abc", "000000000000000000000000", bson.NewObjectID().Hex(), id + "0", "%00"} {
		apptest.ExpectStatus(t, alice.Get("/orders/"+bad), http.StatusNotFound)
	}
	expectRedirect(t, shop.Client(t).Get("/orders/"+id), "/login")
	expectUnchanged(t, shop, before, "looking at orders and invoices")

	// The owner still gets it.
	apptest.ExpectStatus(t, alice.Get("/orders/"+id), http.StatusOK)
}
