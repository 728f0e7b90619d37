package app_test

// Documents as the Node course app (mongoose) writes them, put into the database directly:
// Gin Shop must read and change them without losing anything. interop/ does the same with the
// real Express app running beside the shop.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
)

// insertNodeUser stores a user as mongoose does: the email as typed, cart lines with an _id
// and int32 quantities, and __v.
func insertNodeUser(t *testing.T, shop *apptest.Shop, email string, lines ...bson.D) bson.ObjectID {
	t.Helper()
	items := bson.A{}
	for _, l := range lines {
		items = append(items, l)
	}
	id := bson.NewObjectID()
	_, err := shop.DB.Database.Collection("users").InsertOne(context.Background(), bson.D{
		{Key: "_id", Value: id},
		{Key: "email", Value: email},
		{Key: "password", Value: cheapHash(t)},
		{Key: "cart", Value: bson.D{{Key: "items", Value: items}}},
		{Key: "__v", Value: int32(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// mongooseLine is a cart line as mongoose stores it.
func mongooseLine(productID bson.ObjectID, quantity int32) bson.D {
	return bson.D{{Key: "productId", Value: productID}, {Key: "quantity", Value: quantity}, {Key: "_id", Value: bson.NewObjectID()}}
}

// storedCartLines reads a user's cart lines as raw documents.
func storedCartLines(t *testing.T, shop *apptest.Shop, userID bson.ObjectID) []bson.Raw {
	t.Helper()
	var u struct {
		Cart struct {
			Items []bson.Raw `bson:"items"`
		} `bson:"cart"`
	}
	if err := shop.DB.Database.Collection("users").FindOne(context.Background(), bson.D{{Key: "_id", Value: userID}}).Decode(&u); err != nil {
		t.Fatal(err)
	}
	return u.Cart.Items
}

func TestUserStoredWithMixedCaseEmailLogsInWithAnyCase(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	insertNodeUser(t, shop, "Mixed.Case@Example.test")
	for _, typed := range []string{"Mixed.Case@Example.test", "mixed.case@example.test", " MIXED.CASE@EXAMPLE.TEST "} {
		c := shop.Client(t)
		res := c.Submit("/login", "/login", url.Values{"email": {typed}, "password": {shopperPassword}})
		expectSeeOther(t, res, "/")
		if !navShowsLogout(t, c) {
			t.Fatalf("logged in as %q, but the page shows no logout", typed)
		}
	}
	// The stored address is left as the Node app wrote it.
	if n := countUsers(t, shop, "Mixed.Case@Example.test"); n != 1 {
		t.Fatalf("%d users with the original spelling", n)
	}
}

func TestSignupRefusesAnEmailThatDiffersOnlyByCase(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	insertNodeUser(t, shop, "Mixed.Case@Example.test")
	before := dbState(t, shop)
	c := shop.Client(t)
	res := c.Submit("/signup", "/signup", url.Values{
		"email": {"mixed.case@example.test"}, "password": {"another-password-1"}, "confirmPassword": {"another-password-1"}})
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	if !strings.Contains(alertText(t, res.Body), "E-Mail exists already") {
		t.Fatalf("message: %q", alertText(t, res.Body))
	}
	expectUnchanged(t, shop, before, "a signup differing only by case")
}

func TestCartLineWithMongooseIDIsRemoved(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	products := demoProducts(t, shop)
	id := insertNodeUser(t, shop, "node.user@example.test", mongooseLine(products[0].ID, 2), mongooseLine(products[1].ID, 1))
	s := loggedIn(t, shop, id, "node.user@example.test")

	res := s.post("/cart-delete-item", url.Values{"productId": {products[0].ID.Hex()}})
	expectRedirect(t, res, "/cart")
	lines := storedCartLines(t, shop, id)
	if len(lines) != 1 || lines[0].Lookup("productId").ObjectID() != products[1].ID {
		t.Fatalf("cart after removal: %v", lines)
	}
	if _, err := lines[0].LookupErr("_id"); err != nil {
		t.Fatalf("the other line lost its mongoose _id: %s", lines[0])
	}
	page := s.Get("/cart")
	if strings.Contains(page.Body, products[0].Title) || !strings.Contains(page.Body, products[1].Title) {
		t.Fatalf("the cart page does not show what is stored")
	}
}

func TestAddingToAMongooseCartLineRaisesItsQuantityAndKeepsItsID(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	p := demoProducts(t, shop)[0]
	line := mongooseLine(p.ID, 2)
	id := insertNodeUser(t, shop, "node.user@example.test", line)
	s := loggedIn(t, shop, id, "node.user@example.test")
	s.addToCart(p.ID)
	lines := storedCartLines(t, shop, id)
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1: %v", len(lines), lines)
	}
	if q, _ := lines[0].Lookup("quantity").AsInt64OK(); q != 3 {
		t.Fatalf("quantity %d, want 3", q)
	}
	if got := lines[0].Lookup("_id").ObjectID(); got != line[2].Value.(bson.ObjectID) {
		t.Fatalf("line _id changed: %s", lines[0])
	}
}

func TestDeletingAProductRemovesMongooseCartLinesEverywhere(t *testing.T) {
	t.Parallel()
	// The Node app's /cart crashes on a line whose product is gone, so deleting on Gin Shop
	// must take those lines out too.
	shop := apptest.StartDefault(t)
	owner := demoShopper(t, shop)
	products := demoProducts(t, shop)
	gone, kept := products[0], products[1]
	buyer := insertNodeUser(t, shop, "node.user@example.test", mongooseLine(gone.ID, 1), mongooseLine(kept.ID, 4))

	res := owner.post("/admin/delete-product", url.Values{"productId": {gone.ID.Hex()}})
	expectRedirect(t, res, "/admin/products")
	var lines []bson.Raw
	apptest.Eventually(t, "the cleanup job takes the deleted product's line out", func() bool {
		lines = storedCartLines(t, shop, buyer)
		return len(lines) == 1
	})
	if lines[0].Lookup("productId").ObjectID() != kept.ID || lines[0].Lookup("_id").ObjectID().IsZero() {
		t.Fatalf("buyer's cart after the delete: %v", lines)
	}
}

func TestOrderWithoutCreatedAtIsDatedByItsObjectID(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	p := demoProducts(t, shop)[0]
	id := insertNodeUser(t, shop, "node.user@example.test")
	placed := time.Date(2024, 3, 5, 14, 30, 0, 0, time.UTC)
	orderID := bson.NewObjectIDFromTimestamp(placed)
	// The Node app's order: product is {...productDoc._doc} (with userId and __v), no createdAt.
	_, err := shop.DB.Database.Collection("orders").InsertOne(context.Background(), bson.D{
		{Key: "_id", Value: orderID},
		{Key: "products", Value: bson.A{bson.D{
			{Key: "product", Value: bson.D{{Key: "_id", Value: p.ID}, {Key: "title", Value: p.Title}, {Key: "price", Value: p.Price},
				{Key: "description", Value: p.Description}, {Key: "imageUrl", Value: p.ImageURL}, {Key: "userId", Value: p.UserID}, {Key: "__v", Value: int32(0)}}},
			{Key: "quantity", Value: int32(2)},
			{Key: "_id", Value: bson.NewObjectID()},
		}}},
		{Key: "user", Value: bson.D{{Key: "email", Value: "node.user@example.test"}, {Key: "userId", Value: id}}},
		{Key: "__v", Value: int32(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := loggedIn(t, shop, id, "node.user@example.test")
	s.addToCart(p.ID)
	expectRedirect(t, s.post("/create-order", nil), "/orders")

	// The Node app's order is listed once the userOrders reindexer has seen it (about 2 s on a
	// small shop; docs/OPERATIONS.md).
	var page *apptest.Response
	apptest.Eventually(t, "the Node app's order is not listed", func() bool {
		page = s.Get("/orders")
		return page.StatusCode == http.StatusOK && strings.Contains(page.Body, "5 March 2024")
	})
	if strings.Contains(page.Body, "January 0001") || !strings.Contains(page.Body, "5 March 2024, 14:30 UTC") {
		t.Fatalf("the Node order's date is not shown:\n%s", page.Body)
	}
	// Newest first: the order just placed on Gin Shop comes before the 2024 one.
	if strings.Index(page.Body, "5 March 2024") < strings.Index(page.Body, time.Now().UTC().Format("2 January 2006")) {
		t.Fatal("the older Node order is listed first")
	}
	invoice := s.Get("/orders/" + orderID.Hex())
	apptest.ExpectStatus(t, invoice, http.StatusOK)
}

func TestProductImageURLIsShownAsTheNodeAppStoresIt(t *testing.T) {
	t.Parallel()
	// The course's product form takes an image URL and stores it as typed.
	shop := apptest.StartDefault(t)
	owner := demoShopper(t, shop)
	const img = "https://images.example.test/books/go.png?size=large&v=2"
	res, err := shop.DB.Database.Collection("products").InsertOne(context.Background(), bson.D{
		{Key: "title", Value: "Node Book"}, {Key: "price", Value: int32(12)}, {Key: "description", Value: "Added on the Node app"},
		{Key: "imageUrl", Value: img}, {Key: "userId", Value: owner.ID}, {Key: "__v", Value: int32(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := res.InsertedID.(bson.ObjectID)
	shop.Models.Products.InvalidateCatalog() // written behind the app's back, as the Node app would
	page := owner.Get("/products/" + id.Hex())
	apptest.ExpectStatus(t, page, http.StatusOK)
	doc := parseHTML(t, page.Body)
	var srcs []string
	for _, n := range htmlElements(doc, htmlTag("img")) {
		src, _ := htmlAttr(n, "src")
		srcs = append(srcs, src)
	}
	if !strings.Contains(strings.Join(srcs, " "), img) {
		t.Fatalf("img src %v, want %s", srcs, img)
	}
	if !strings.Contains(page.Body, "12.00") {
		t.Fatal("an integer price (int32 from JavaScript) is not shown")
	}
	// Editing without a new image keeps the URL as stored.
	edit := owner.postMultipart("/admin/edit-product", url.Values{"productId": {id.Hex()}, "title": {"Node Book 2"}, "price": {"13"}, "description": {"Edited on Gin Shop"}}, nil)
	expectRedirect(t, edit, "/admin/products")
	if got := productByID(t, shop, id).ImageURL; got != img {
		t.Fatalf("imageUrl after edit = %q", got)
	}
}

// A user document with no cart field at all (written by hand or an older Node app): ordering
// finds an empty cart and places nothing, and adding to the cart starts one.
func TestUserWithoutACartFieldOrdersNothingThenAddsALine(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	ctx := context.Background()
	id := bson.NewObjectID()
	_, err := shop.DB.Database.Collection("users").InsertOne(ctx, bson.D{
		{Key: "_id", Value: id}, {Key: "email", Value: "no.cart@example.test"}, {Key: "password", Value: cheapHash(t)},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := loggedIn(t, shop, id, "no.cart@example.test")
	expectRedirect(t, s.post("/create-order", nil), "/cart")
	if orders := ordersOf(t, shop, id); len(orders) != 0 {
		t.Fatalf("%d orders from a user without a cart", len(orders))
	}
	book := demoProducts(t, shop)[0]
	s.addToCart(book.ID)
	if items := cartOf(t, shop, id); len(items) != 1 || items[0].ProductID != book.ID || items[0].Quantity != 1 {
		t.Fatalf("cart %+v, want one %s", items, book.Title)
	}
}

// A new line goes after the Node app's lines, which keep their _id and quantity.
func TestAddingANewProductToAMongooseCartKeepsItsLines(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	products := demoProducts(t, shop)
	line := mongooseLine(products[0].ID, 3)
	id := insertNodeUser(t, shop, "node.cart@example.test", line)
	s := loggedIn(t, shop, id, "node.cart@example.test")
	s.addToCart(products[1].ID)
	lines := storedCartLines(t, shop, id)
	if len(lines) != 2 {
		t.Fatalf("cart lines %v, want 2", lines)
	}
	if got := lines[0].Lookup("_id").ObjectID(); got != line[2].Value.(bson.ObjectID) || lines[0].Lookup("quantity").AsInt64() != 3 {
		t.Errorf("the Node app's line changed: %s", lines[0])
	}
	if lines[1].Lookup("productId").ObjectID() != products[1].ID || lines[1].Lookup("quantity").AsInt64() != 1 {
		t.Errorf("new line %s", lines[1])
	}
}
