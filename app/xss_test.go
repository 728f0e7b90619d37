package app_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/net/html"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

const (
	xssTitle       = `<script class="evil">alert(1)</script>`
	xssDescription = `"><img src=x onerror=alert(1)>`
)

// expectInert fails the test if the page has the payloads as markup (a script.evil element, an
// element with an onerror handler) and checks that each of texts is a text node of the page,
// i.e. what a visitor reads is exactly the payload.
func expectInert(t *testing.T, page string, body string, texts ...string) {
	t.Helper()
	doc := parseHTML(t, body)
	if n := len(htmlElements(doc, func(n *html.Node) bool { return n.Data == "script" && htmlHasClass(n, "evil") })); n != 0 {
		t.Errorf("%s: %d script.evil elements", page, n)
	}
	for _, n := range htmlElements(doc, func(*html.Node) bool { return true }) {
		if _, ok := htmlAttr(n, "onerror"); ok {
			t.Errorf("%s: <%s> with an onerror attribute", page, n.Data)
		}
	}
	shown := visibleTexts(doc)
	for _, want := range texts {
		if !slices.Contains(shown, want) {
			t.Errorf("%s: no text node equals %q", page, want)
		}
	}
}

func hasRoute(shop *apptest.Shop, method, path string) bool {
	for _, r := range shop.Engine.Routes() {
		if r.Method == method && r.Path == path {
			return true
		}
	}
	return false
}

// TestProductTextIsEscapedOnEveryPage stores a product whose title and description are markup,
// straight in the database as a careless import might, and opens every page that shows it.
func TestProductTextIsEscapedOnEveryPage(t *testing.T) {
	t.Parallel()
	shop := cheapDemoHash(t, apptest.StartDefault(t))
	demo := storedUser(t, shop, models.DemoEmail)
	// The oldest id, so the product comes first in every list.
	id := bson.NewObjectIDFromTimestamp(time.Unix(1, 0))
	_, err := shop.DB.Database.Collection("products").InsertOne(context.Background(), bson.D{
		{Key: "_id", Value: id}, {Key: "title", Value: xssTitle}, {Key: "price", Value: 9.99},
		{Key: "description", Value: xssDescription}, {Key: "imageUrl", Value: "/images/products/book.svg"},
		{Key: "userId", Value: demo.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	shop.Models.Products.InvalidateCatalog() // written behind the app's back

	c := shop.Client(t)
	check := func(path string, texts ...string) {
		t.Helper()
		res := c.Get(path)
		apptest.ExpectStatus(t, res, http.StatusOK)
		expectInert(t, path, res.Body, texts...)
	}
	detail := "/products/" + id.Hex()
	for _, p := range []string{"/", "/products", detail} {
		check(p, xssTitle, xssDescription)
	}

	// The same pages logged in (with the add-to-cart forms), then every page of the cart,
	// orders and admin that exists.
	c.LoginDemo()
	for _, p := range []string{"/", "/products", detail} {
		check(p, xssTitle, xssDescription)
	}
	if hasRoute(shop, http.MethodPost, "/cart") {
		res := c.Submit("/", "/cart", url.Values{"productId": {id.Hex()}})
		if res.StatusCode >= 400 {
			t.Fatalf("add to cart: %d", res.StatusCode)
		}
		check("/cart", xssTitle)
		if hasRoute(shop, http.MethodGet, "/checkout") {
			check("/checkout", xssTitle)
		}
		if hasRoute(shop, http.MethodPost, "/create-order") {
			res := c.Submit("/cart", "/create-order", nil)
			if res.StatusCode >= 400 {
				t.Fatalf("create order: %d", res.StatusCode)
			}
			check("/orders", xssTitle+" (1)")
		}
	}
	if hasRoute(shop, http.MethodGet, "/admin/products") {
		check("/admin/products", xssTitle, xssDescription)
	}
	if hasRoute(shop, http.MethodGet, "/admin/edit-product/:productId") {
		path := "/admin/edit-product/" + id.Hex() + "?edit=true"
		res := c.Get(path)
		apptest.ExpectStatus(t, res, http.StatusOK)
		expectInert(t, path, res.Body, xssDescription) // the textarea's text
		if v, _ := htmlAttr(formField(t, parseHTML(t, res.Body), "title"), "value"); v != xssTitle {
			t.Errorf("%s: title field value %q", path, v)
		}
	}
	if strings.Contains(c.Get("/").Body, xssTitle) {
		t.Error("the raw payload appears unescaped in the page source")
	}
}
