package app_test

// Helpers of the cart, order and admin tests: a logged-in shopper that posts forms with its
// CSRF token, multipart uploads, real test images, and a snapshot of the database to prove
// that a refused request changed nothing.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/crypto/bcrypt"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/uploads"
)

// shopper is a logged-in visitor.
type shopper struct {
	*apptest.Client
	t    *testing.T
	shop *apptest.Shop
	ID   bson.ObjectID
	csrf string
}

// shopperPassword is every test shopper's password, hashed at bcrypt's lowest cost: these tests
// are about the shop, and cost 12 takes seconds under -race.
const shopperPassword = "shopper-password"

// demoShopper logs in as the demo user, who owns the ten seeded products.
func demoShopper(t *testing.T, shop *apptest.Shop) *shopper {
	t.Helper()
	u, err := shop.Models.Users.ByEmail(context.Background(), models.DemoEmail)
	if err != nil {
		t.Fatal(err)
	}
	_, err = shop.DB.Database.Collection("users").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: u.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "password", Value: cheapHash(t)}}}})
	if err != nil {
		t.Fatal(err)
	}
	return loggedIn(t, shop, u.ID, models.DemoEmail)
}

// newShopper creates another user and logs in.
func newShopper(t *testing.T, shop *apptest.Shop, email string) *shopper {
	t.Helper()
	u, err := shop.Models.Users.Create(context.Background(), email, cheapHash(t))
	if err != nil {
		t.Fatal(err)
	}
	return loggedIn(t, shop, u.ID, email)
}

func cheapHash(t *testing.T) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(shopperPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(hash)
}

func loggedIn(t *testing.T, shop *apptest.Shop, id bson.ObjectID, email string) *shopper {
	t.Helper()
	c := shop.Client(t)
	c.Login(email, shopperPassword)
	return &shopper{Client: c, t: t, shop: shop, ID: id, csrf: c.CSRF("/")}
}

// post sends a urlencoded form with the session's CSRF token.
func (s *shopper) post(path string, form url.Values) *apptest.Response {
	s.t.Helper()
	f := url.Values{"_csrf": {s.csrf}}
	for k, v := range form {
		f[k] = v
	}
	return s.PostForm(path, f)
}

// addToCart clicks "Add to Cart" and expects the redirect to the cart.
func (s *shopper) addToCart(productID bson.ObjectID) {
	s.t.Helper()
	res := s.post("/cart", url.Values{"productId": {productID.Hex()}})
	expectRedirect(s.t, res, "/cart")
}

// upload is a file part of a multipart form.
type upload struct {
	Name        string // file name the browser sends
	ContentType string // what the browser claims
	Data        []byte
}

// postMultipart sends a multipart form (as the product form does) with the CSRF token.
func (s *shopper) postMultipart(path string, form url.Values, file *upload) *apptest.Response {
	s.t.Helper()
	body, contentType := multipartBody(s.t, s.csrf, form, file)
	req, err := http.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return s.Do(req)
}

func multipartBody(t *testing.T, csrf string, form url.Values, file *upload) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields := url.Values{"_csrf": {csrf}}
	for k, v := range form {
		fields[k] = v
	}
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="image"; filename=%q`, file.Name))
		h.Set("Content-Type", file.ContentType)
		part, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := part.Write(file.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// deleteProduct sends what public/js/admin.js sends: DELETE with the token in a header.
func (s *shopper) deleteProduct(id, token string) *apptest.Response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodDelete, "/admin/product/"+id, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("X-CSRF-Token", token)
	req.Header.Set("Accept", "application/json")
	return s.Do(req)
}

// concurrently sends n requests at the same moment and returns their statuses. It uses the
// HTTP client directly: t.Fatal must not be called from these goroutines.
func (s *shopper) concurrently(n int, newRequest func(i int) *http.Request) []int {
	s.t.Helper()
	statuses := make([]int, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		req := newRequest(i)
		wg.Go(func() {
			<-start
			res, err := s.HTTP.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			s.t.Fatal(err)
		}
	}
	return statuses
}

// cartRequest builds a POST of the cart forms for concurrently.
func (s *shopper) cartRequest(path string, productID bson.ObjectID) *http.Request {
	s.t.Helper()
	form := url.Values{"_csrf": {s.csrf}, "productId": {productID.Hex()}}
	req, err := http.NewRequest(http.MethodPost, s.shop.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func expectRedirect(t *testing.T, res *apptest.Response, to string) {
	t.Helper()
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != to {
		t.Fatalf("%s %s redirects to %q, want %q", res.Request.Method, res.Request.URL.Path, loc, to)
	}
}

// demoProducts returns the seeded products in their order.
func demoProducts(t *testing.T, shop *apptest.Shop) []models.Product {
	t.Helper()
	page, err := shop.Models.Products.Page(context.Background(), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	return page.Products
}

func productByID(t *testing.T, shop *apptest.Shop, id bson.ObjectID) models.Product {
	t.Helper()
	var p models.Product
	err := shop.DB.Database.Collection("products").FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Decode(&p)
	if err != nil {
		t.Fatalf("product %s: %v", id.Hex(), err)
	}
	return p
}

func cartOf(t *testing.T, shop *apptest.Shop, userID bson.ObjectID) []models.CartItem {
	t.Helper()
	items, err := shop.Models.Users.CartItems(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// setCart stores a cart directly, to set up a case.
func setCart(t *testing.T, shop *apptest.Shop, userID bson.ObjectID, items ...models.CartItem) {
	t.Helper()
	if items == nil {
		items = []models.CartItem{}
	}
	_, err := shop.DB.Database.Collection("users").UpdateOne(context.Background(),
		bson.D{{Key: "_id", Value: userID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "cart.items", Value: items}}}})
	if err != nil {
		t.Fatal(err)
	}
}

func ordersOf(t *testing.T, shop *apptest.Shop, userID bson.ObjectID) []models.Order {
	t.Helper()
	orders, err := shop.Models.Orders.ByUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return orders
}

// dbState is every product, user (with its cart) and order as extended JSON: two equal states
// mean nothing the shop keeps has changed. Sessions are left out: visiting touches them.
func dbState(t *testing.T, shop *apptest.Shop) string {
	t.Helper()
	var b strings.Builder
	for _, coll := range []string{"products", "users", "orders"} {
		cur, err := shop.DB.Database.Collection(coll).Find(context.Background(), bson.D{},
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.Raw
		if err := cur.All(context.Background(), &docs); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:\n", coll)
		for _, d := range docs {
			b.WriteString(d.String() + "\n")
		}
	}
	return b.String()
}

func expectUnchanged(t *testing.T, shop *apptest.Shop, before, what string) {
	t.Helper()
	if after := dbState(t, shop); after != before {
		t.Errorf("%s changed the database:\nbefore:\n%s\nafter:\n%s", what, before, after)
	}
}

// storedImages lists the images in GridFS (the _ids of images.files, which are their names),
// read back from the database. Chunks that belong to no listed file fail the test: an upload
// that was refused or deleted must leave nothing behind.
func storedImages(t *testing.T, shop *apptest.Shop) []string {
	t.Helper()
	ctx := context.Background()
	db := shop.DB.Database
	cur, err := db.Collection(uploads.Bucket+".files").Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var files []struct {
		Name string `bson:"_id"`
	}
	if err := cur.All(ctx, &files); err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, f := range files {
		names = append(names, f.Name)
	}
	cur, err = db.Collection(uploads.Bucket+".chunks").Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "files_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var chunks []struct {
		FileID string `bson:"files_id"`
	}
	if err := cur.All(ctx, &chunks); err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if !slices.Contains(names, c.FileID) {
			t.Errorf("images.chunks holds a chunk of %q, which images.files does not list", c.FileID)
		}
	}
	return names
}

// testImage is a small picture with a few colours.
func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for x := range 8 {
		for y := range 6 {
			img.Set(x, y, color.RGBA{R: uint8(30 * x), G: uint8(40 * y), B: 120, A: 255})
		}
	}
	return img
}

// encodeImage writes testImage in one format, as a browser would upload it.
func encodeImage(t *testing.T, encode func(io.Writer, image.Image) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngBytes(t *testing.T) []byte { return encodeImage(t, png.Encode) }

func jpegBytes(t *testing.T) []byte {
	return encodeImage(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
}

func gifBytes(t *testing.T) []byte {
	return encodeImage(t, func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) })
}

// expectAll fails the test unless every status is want.
func expectAll(t *testing.T, statuses []int, want int) {
	t.Helper()
	for i, st := range statuses {
		if st != want {
			t.Errorf("request %d: status %d, want %d", i, st, want)
		}
	}
}

func countOf(body, s string) int { return strings.Count(body, s) }
