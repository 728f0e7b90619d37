package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/controllers"
	"github.com/ginshop/ginshop/models"
)

var uploadedURL = regexp.MustCompile(`^/images/uploads/[0-9a-f]{32}\.(png|jpg|gif|webp)$`)

// addProduct fills in the add-product form with a PNG and returns the stored product.
func (s *shopper) addProduct(title, price string) models.Product {
	s.t.Helper()
	res := s.postMultipart("/admin/add-product", url.Values{"title": {title}, "price": {price}, "description": {"Made for the tests."}},
		&upload{Name: "photo.png", ContentType: "image/png", Data: pngBytes(s.t)})
	expectRedirect(s.t, res, "/admin/products")
	products, err := s.shop.Models.Products.ByOwner(context.Background(), s.ID)
	if err != nil || len(products) == 0 {
		s.t.Fatalf("no product after adding one: %v", err)
	}
	return products[len(products)-1]
}

func TestAdminAddsAProductWithAnUploadedPNG(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := newShopper(t, shop, "maker@example.com")

	form := s.Get("/admin/add-product")
	apptest.ExpectStatus(t, form, http.StatusOK)
	mustContain(t, form.Body, `class="product-form" action="/admin/add-product" method="POST" enctype="multipart/form-data"`,
		`name="title"`, `type="file" name="image"`, `name="price"`, `name="description"`, "Add Product")
	mustNotContain(t, form.Body, `name="productId"`, "user-message--error")

	data := pngBytes(t)
	res := s.postMultipart("/admin/add-product",
		url.Values{"title": {"  Tea Pot  "}, "price": {"12.50"}, "description": {"Brews four cups of tea."}},
		&upload{Name: "teapot.png", ContentType: "image/png", Data: data})
	expectRedirect(t, res, "/admin/products")

	products, err := shop.Models.Products.ByOwner(context.Background(), s.ID)
	if err != nil || len(products) != 1 {
		t.Fatalf("products of the user = %v, %v; want the new one", products, err)
	}
	p := products[0]
	if p.Title != "Tea Pot" || p.Price != 12.5 || p.Description != "Brews four cups of tea." || p.UserID != s.ID {
		t.Errorf("stored product = %+v", p)
	}
	if !uploadedURL.MatchString(p.ImageURL) || !strings.HasSuffix(p.ImageURL, ".png") {
		t.Fatalf("imageUrl = %q, want /images/uploads/<random>.png", p.ImageURL)
	}
	if files := storedImages(t, shop); len(files) != 1 || "/images/uploads/"+files[0] != p.ImageURL {
		t.Errorf("GridFS holds %v, want only the new image", files)
	}

	img := shop.Client(t).Get(p.ImageURL) // images are public
	apptest.ExpectStatus(t, img, http.StatusOK)
	if img.Body != string(data) {
		t.Error("the served image is not the uploaded file")
	}
	for header, want := range map[string]string{
		"Content-Type":           "image/png",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "public, max-age=31536000, immutable",
	} {
		if got := img.Header.Get(header); got != want {
			t.Errorf("image %s = %q, want %q", header, got, want)
		}
	}

	list := s.Get("/admin/products")
	apptest.ExpectStatus(t, list, http.StatusOK)
	mustContain(t, list.Body, "Product added.", `<h1 class="product__title">Tea Pot</h1>`, "$12.50",
		`src="`+p.ImageURL+`"`, `href="/admin/edit-product/`+p.ID.Hex()+`?edit=true"`,
		`<form action="/admin/delete-product" method="POST">`, `data-delete-product data-product-id="`+p.ID.Hex()+`"`,
		`data-csrf="`, `<script src="/js/admin.js?v=`)
	if n := countCards(list.Body); n != 1 {
		t.Errorf("admin products lists %d cards, want only the user's own 1", n)
	}
	mustNotContain(t, s.Get("/admin/products").Body, "Product added.")
	mustContain(t, s.Get("/products/"+p.ID.Hex()).Body, "Tea Pot", `src="`+p.ImageURL+`"`)

	// Only stored images are served from there.
	for _, path := range []string{
		"/images/uploads/0123456789abcdef0123456789abcdef.png", // well-formed, not stored
		strings.ToUpper(p.ImageURL),
		"/images/uploads/..%2fsession-secret",
		"/images/uploads/session-secret",
		"/images/uploads/",
	} {
		apptest.ExpectStatus(t, s.Get(path), http.StatusNotFound)
	}
}

func TestAdminEditKeepsOrReplacesTheImage(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]

	expectRedirect(t, s.Get("/admin/edit-product/"+book.ID.Hex()), "/") // no ?edit=true, as in the course
	form := s.Get("/admin/edit-product/" + book.ID.Hex() + "?edit=true")
	apptest.ExpectStatus(t, form, http.StatusOK)
	mustContain(t, form.Body, `action="/admin/edit-product"`, `value="A Book About Go"`, `value="29.99"`,
		">"+book.Description+"</textarea>", `value="`+book.ID.Hex()+`" name="productId"`, "Update Product",
		`class="image-preview" src="/images/products/book.svg"`)

	edit := func(title string, file *upload) models.Product {
		t.Helper()
		res := s.postMultipart("/admin/edit-product", url.Values{"productId": {book.ID.Hex()}, "title": {title},
			"price": {"31"}, "description": {"A newer edition."}}, file)
		expectRedirect(t, res, "/admin/products")
		return productByID(t, shop, book.ID)
	}

	// No file: the old image stays.
	p := edit("A Book About Go, 2nd ed.", nil)
	if p.Title != "A Book About Go, 2nd ed." || p.Price != 31 || p.Description != "A newer edition." || p.ImageURL != book.ImageURL {
		t.Fatalf("after editing without a file: %+v", p)
	}
	mustContain(t, s.Get("/admin/products").Body, "Product updated.", "A Book About Go, 2nd ed.", "$31.00")

	// A PNG replaces the demo picture (which is part of the binary, so nothing to delete).
	p = edit("With a photo", &upload{Name: "a.png", ContentType: "image/png", Data: pngBytes(t)})
	first := p.ImageURL
	if !uploadedURL.MatchString(first) {
		t.Fatalf("imageUrl after upload = %q", first)
	}
	// A JPEG replaces the PNG, and the PNG's file is deleted.
	p = edit("With another photo", &upload{Name: "b.jpeg", ContentType: "image/jpeg", Data: jpegBytes(t)})
	if p.ImageURL == first || !strings.HasSuffix(p.ImageURL, ".jpg") {
		t.Fatalf("imageUrl after the second upload = %q", p.ImageURL)
	}
	if files := storedImages(t, shop); len(files) != 1 || "/images/uploads/"+files[0] != p.ImageURL {
		t.Errorf("GridFS holds %v, want only %s", files, p.ImageURL)
	}
	apptest.ExpectStatus(t, s.Get(first), http.StatusNotFound)
	jpg := s.Get(p.ImageURL)
	apptest.ExpectStatus(t, jpg, http.StatusOK)
	if ct := jpg.Header.Get("Content-Type"); ct != "image/jpeg" {
		t.Errorf("JPEG served as %q", ct)
	}
	// A GIF, claimed to be a PNG by its name: the content decides.
	p = edit("With a GIF", &upload{Name: "c.png", ContentType: "image/png", Data: gifBytes(t)})
	if !strings.HasSuffix(p.ImageURL, ".gif") {
		t.Errorf("a GIF was stored as %q", p.ImageURL)
	}
}

func TestAdminDeletesByFormAndByDELETE(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := newShopper(t, shop, "maker@example.com")
	buyer := newShopper(t, shop, "buyer@example.com")
	first := s.addProduct("First Thing", "5")
	second := s.addProduct("Second Thing", "6")
	buyer.addToCart(first.ID)
	buyer.addToCart(second.ID)

	// The form (no JavaScript).
	expectRedirect(t, s.post("/admin/delete-product", url.Values{"productId": {first.ID.Hex()}}), "/admin/products")
	if _, err := shop.Models.Products.ByID(context.Background(), first.ID); err == nil {
		t.Error("the product is still there")
	}
	list := s.Get("/admin/products")
	mustContain(t, list.Body, "Product deleted.", "Second Thing")
	mustNotContain(t, list.Body, "First Thing")
	mustNotContain(t, s.Get("/admin/products").Body, "Product deleted.")
	if files := storedImages(t, shop); len(files) != 1 || "/images/uploads/"+files[0] != second.ImageURL {
		t.Errorf("GridFS holds %v after deleting, want only %s", files, second.ImageURL)
	}
	// The cart page leaves it out at once; the cart cleanup job takes the line out soon after.
	mustNotContain(t, buyer.Get("/cart").Body, "First Thing")
	apptest.Eventually(t, "the deleted product leaves the buyer's cart", func() bool {
		items := cartOf(t, shop, buyer.ID)
		return len(items) == 1 && items[0].ProductID == second.ID
	})

	// DELETE without the token, or with a wrong one: refused, nothing changed.
	before := dbState(t, shop)
	apptest.ExpectStatus(t, s.deleteProduct(second.ID.Hex(), ""), http.StatusForbidden)
	apptest.ExpectStatus(t, s.deleteProduct(second.ID.Hex(), "forged"), http.StatusForbidden)
	expectUnchanged(t, shop, before, "DELETE without a valid token")

	// The script's request.
	res := s.deleteProduct(second.ID.Hex(), s.csrf)
	expectJSON(t, res, http.StatusOK, "Success!")
	if _, err := shop.Models.Products.ByID(context.Background(), second.ID); err == nil {
		t.Error("the product is still there after DELETE")
	}
	if files := storedImages(t, shop); len(files) != 0 {
		t.Errorf("GridFS holds %v, want nothing", files)
	}
	apptest.Eventually(t, "the deleted product leaves the buyer's cart", func() bool {
		return len(cartOf(t, shop, buyer.ID)) == 0
	})
	expectJSON(t, s.deleteProduct(second.ID.Hex(), s.csrf), http.StatusNotFound, "Deleting product failed.")
	mustContain(t, s.Get("/admin/products").Body, "No Products Found!")
}

func expectJSON(t *testing.T, res *apptest.Response, status int, message string) {
	t.Helper()
	apptest.ExpectStatus(t, res, status)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var body struct{ Message string }
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || body.Message != message {
		t.Errorf("body = %s, want message %q", res.Body, message)
	}
}

func TestAdminCannotTouchSomeoneElsesProduct(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	bob := newShopper(t, shop, "bob@example.com")
	book := demoProducts(t, shop)[0]
	id := book.ID.Hex()
	before := dbState(t, shop)

	res := bob.Get("/admin/edit-product/" + id + "?edit=true")
	apptest.ExpectStatus(t, res, http.StatusNotFound)
	mustNotContain(t, res.Body, book.Description)

	res = bob.postMultipart("/admin/edit-product", url.Values{"productId": {id}, "title": {"Mine now"}, "price": {"1"},
		"description": {"Taken over by bob."}}, &upload{Name: "x.png", ContentType: "image/png", Data: pngBytes(t)})
	apptest.ExpectStatus(t, res, http.StatusNotFound)
	// Even an invalid form about someone else's product is a 404, not a form showing it.
	res = bob.postMultipart("/admin/edit-product", url.Values{"productId": {id}, "title": {"x"}}, nil)
	apptest.ExpectStatus(t, res, http.StatusNotFound)
	apptest.ExpectStatus(t, bob.post("/admin/delete-product", url.Values{"productId": {id}}), http.StatusNotFound)
	expectJSON(t, bob.deleteProduct(id, bob.csrf), http.StatusNotFound, "Deleting product failed.")

	expectUnchanged(t, shop, before, "someone else's product")
	if files := storedImages(t, shop); len(files) != 0 {
		t.Errorf("GridFS holds %v, want nothing", files)
	}
	list := bob.Get("/admin/products")
	mustContain(t, list.Body, "No Products Found!")
	mustNotContain(t, list.Body, book.Title)
}

func TestAdminBadIDsAre404(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	before := dbState(t, shop)
	unknown := bson.NewObjectID().Hex()
	valid := url.Values{"title": {"Fine Title"}, "price": {"3"}, "description": {"Fine description."}}

	for _, id := range []string{"abc", unknown, "zzzzzzzzzzzzzzzzzzzzzzzz"} {
		apptest.ExpectStatus(t, s.Get("/admin/edit-product/"+id+"?edit=true"), http.StatusNotFound)
		expectJSON(t, s.deleteProduct(id, s.csrf), http.StatusNotFound, "Deleting product failed.")
	}
	for _, id := range []string{"", "abc", unknown} {
		form := url.Values{"productId": {id}}
		for k, v := range valid {
			form[k] = v
		}
		apptest.ExpectStatus(t, s.postMultipart("/admin/edit-product", form, nil), http.StatusNotFound)
		apptest.ExpectStatus(t, s.post("/admin/delete-product", url.Values{"productId": {id}}), http.StatusNotFound)
	}
	expectUnchanged(t, shop, before, "bad product ids")
}

func TestAdminFormValidation(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := newShopper(t, shop, "maker@example.com")
	png := &upload{Name: "ok.png", ContentType: "image/png", Data: pngBytes(t)}
	const (
		titleMsg = "Title must be 3 to 100 characters long."
		priceMsg = "Price must be a positive amount below 1,000,000 with at most two decimals, like 12.99."
		descMsg  = "Description must be 5 to 400 characters long."
	)
	type tc struct {
		name    string
		title   string
		price   string
		desc    string
		file    *upload
		message string
		invalid []string
	}
	cases := []tc{
		{"short title", "ab", "10", "Long enough.", png, titleMsg, []string{"title"}},
		{"blank title", "      ab     ", "10", "Long enough.", png, titleMsg, []string{"title"}},
		{"long title", strings.Repeat("t", 101), "10", "Long enough.", png, titleMsg, []string{"title"}},
		{"short description", "Fine Title", "10", "abcd", png, descMsg, []string{"description"}},
		{"blank description", "Fine Title", "10", "        ", png, descMsg, []string{"description"}},
		{"long description", "Fine Title", "10", strings.Repeat("d", 401), png, descMsg, []string{"description"}},
		{"no image", "Fine Title", "10", "Long enough.", nil, "Please attach an image (PNG, JPEG, WebP or GIF).", []string{"image"}},
		{"empty file", "Fine Title", "10", "Long enough.", &upload{Name: "empty.png", ContentType: "image/png"}, "Attached file is not an image.", []string{"image"}},
		{"text named .png", "Fine Title", "10", "Long enough.", &upload{Name: "photo.png", ContentType: "image/png", Data: []byte("I am not a picture, just text.")}, "Attached file is not an image.", []string{"image"}},
		{"PNG signature then junk", "Fine Title", "10", "Long enough.", &upload{Name: "broken.png", ContentType: "image/png", Data: append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 64)...)}, "Attached file is not an image.", []string{"image"}},
		{"HTML named .gif", "Fine Title", "10", "Long enough.", &upload{Name: "x.gif", ContentType: "image/gif", Data: []byte("<html><script>alert(1)</script></html>")}, "Attached file is not an image.", []string{"image"}},
		{"several at once: first message wins", "ab", "abc", "abcd", png, titleMsg, []string{"title", "price", "description"}},
		{"typed HTML is kept, escaped", "<b>x</b>", "<i>1</i>", "Long <i>enough</i>.", png, priceMsg, []string{"price"}},
	}
	for _, price := range []string{"-1", "0", "0.00", "abc", "NaN", "Inf", "1e309", "0x1p3", "1_000", "12.345", "", "1000000", "+5", "1,50", ".5", "5."} {
		cases = append(cases, tc{"price " + price, "Fine Title", price, "Long enough.", png, priceMsg, []string{"price"}})
	}
	fieldTag := map[string]string{
		"title":       `class="invalid" type="text" name="title"`,
		"image":       `class="invalid" type="file" name="image"`,
		"price":       `class="invalid" type="number" name="price"`,
		"description": `<textarea class="invalid" name="description"`,
	}
	before := dbState(t, shop)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := s.postMultipart("/admin/add-product", url.Values{"title": {c.title}, "price": {c.price}, "description": {c.desc}}, c.file)
			apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
			mustContain(t, res.Body, `<div class="user-message user-message--error" role="alert">`+escaped(c.message)+`</div>`,
				`action="/admin/add-product"`, `value="`+escaped(c.title)+`"`, `value="`+escaped(c.price)+`"`,
				">"+escaped(c.desc)+"</textarea>")
			for field, tag := range fieldTag {
				if strings.Contains(res.Body, tag) != contains(c.invalid, field) {
					t.Errorf("field %s: marked invalid = %v, want %v", field, !contains(c.invalid, field), contains(c.invalid, field))
				}
			}
			if n := strings.Count(res.Body, "user-message--error"); n != 1 {
				t.Errorf("%d error messages, want the first one only", n)
			}
		})
	}
	expectUnchanged(t, shop, before, "invalid product forms")
	if files := storedImages(t, shop); len(files) != 0 {
		t.Errorf("GridFS holds %v after refused forms, want nothing", files)
	}
}

// escaped is a typed value as html/template writes it back into the page.
func escaped(s string) string { return strings.ReplaceAll(html.EscapeString(s), "+", "&#43;") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestAdminEditValidationKeepsTheProduct(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	book := demoProducts(t, shop)[0]
	before := dbState(t, shop)

	res := s.postMultipart("/admin/edit-product", url.Values{"productId": {book.ID.Hex()}, "title": {"ab"}, "price": {"12.345"},
		"description": {"Still long enough."}}, nil)
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	mustContain(t, res.Body, "Title must be 3 to 100 characters long.", `action="/admin/edit-product"`, "Update Product",
		`value="`+book.ID.Hex()+`" name="productId"`, `value="ab"`, `value="12.345"`, ">Still long enough.</textarea>",
		`class="invalid" type="text" name="title"`, `class="invalid" type="number" name="price"`)

	res = s.postMultipart("/admin/edit-product", url.Values{"productId": {book.ID.Hex()}, "title": {"Good Title"}, "price": {"12"},
		"description": {"Still long enough."}}, &upload{Name: "fake.png", ContentType: "image/png", Data: []byte("GIF89a\x02\x00\x02\x00 but not really")})
	apptest.ExpectStatus(t, res, http.StatusUnprocessableEntity)
	mustContain(t, res.Body, "Attached file is not an image.", `value="Good Title"`)

	expectUnchanged(t, shop, before, "invalid edits")
	if files := storedImages(t, shop); len(files) != 0 {
		t.Errorf("GridFS holds %v, want nothing", files)
	}
}

func TestAdminIgnoresExtraFieldsInTheForm(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := newShopper(t, shop, "maker@example.com")
	demo := demoShopper(t, shop)
	forgedID := bson.NewObjectID()

	res := s.postMultipart("/admin/add-product", url.Values{"title": {"Honest Product"}, "price": {"4"}, "description": {"Nothing to hide."},
		"userId": {demo.ID.Hex()}, "_id": {forgedID.Hex()}, "imageUrl": {"/images/products/book.svg"}},
		&upload{Name: "p.png", ContentType: "image/png", Data: pngBytes(t)})
	expectRedirect(t, res, "/admin/products")
	products, err := shop.Models.Products.ByOwner(context.Background(), s.ID)
	if err != nil || len(products) != 1 {
		t.Fatalf("products of the user = %v, %v", products, err)
	}
	p := products[0]
	if p.ID == forgedID || p.UserID != s.ID || !uploadedURL.MatchString(p.ImageURL) {
		t.Errorf("extra fields were used: %+v", p)
	}

	res = s.postMultipart("/admin/edit-product", url.Values{"productId": {p.ID.Hex()}, "title": {"Honest Product"}, "price": {"4"},
		"description": {"Nothing to hide."}, "userId": {demo.ID.Hex()}, "_id": {forgedID.Hex()}}, nil)
	expectRedirect(t, res, "/admin/products")
	if after := productByID(t, shop, p.ID); after.UserID != s.ID || after.ImageURL != p.ImageURL {
		t.Errorf("extra fields changed the product: %+v", after)
	}
}

func TestAdminOversizedUploadsAre413AndLeaveNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where net/http spools multipart files above 1 MB
	shop := apptest.StartDefault(t)
	s := newShopper(t, shop, "maker@example.com")
	before := dbState(t, shop)
	fields := url.Values{"title": {"Huge Picture"}, "price": {"10"}, "description": {"Far too many pixels."}}

	// A file just over the image limit, in a body the admin routes still read.
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, controllers.MaxImageBytes)...)
	res := s.postMultipart("/admin/add-product", fields, &upload{Name: "huge.png", ContentType: "image/png", Data: big})
	apptest.ExpectStatus(t, res, http.StatusRequestEntityTooLarge)
	mustContain(t, res.Body, "That form or upload is larger than the shop accepts.")

	// A body over the admin routes' limit: refused before it is read.
	body, contentType := multipartBody(t, s.csrf, fields, &upload{Name: "huger.png", ContentType: "image/png",
		Data: make([]byte, controllers.MaxImageBytes+1<<20)})
	req, err := http.NewRequest(http.MethodPost, "/admin/add-product", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Expect", "100-continue") // the client waits for the answer instead of sending 6 MB into a closed door
	apptest.ExpectStatus(t, s.Do(req), http.StatusRequestEntityTooLarge)

	// The same on edit, for the user's own product.
	book := demoProducts(t, shop)[0]
	demo := demoShopper(t, shop)
	before = dbState(t, shop)
	edit := url.Values{"productId": {book.ID.Hex()}}
	for k, v := range fields {
		edit[k] = v
	}
	res = demo.postMultipart("/admin/edit-product", edit, &upload{Name: "huge.png", ContentType: "image/png", Data: big})
	apptest.ExpectStatus(t, res, http.StatusRequestEntityTooLarge)

	// An ordinary form has a much smaller limit.
	res = demo.post("/cart", url.Values{"productId": {book.ID.Hex()}, "padding": {strings.Repeat("x", 70<<10)}})
	apptest.ExpectStatus(t, res, http.StatusRequestEntityTooLarge)

	expectUnchanged(t, shop, before, "oversized uploads")
	if files := storedImages(t, shop); len(files) != 0 {
		t.Errorf("GridFS holds %v, want nothing", files)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "multipart-") {
			t.Errorf("temporary upload %s left behind", e.Name())
		}
	}
}

// GET pages only read: not the cart, not the orders, not the products, not the image files.
func TestShopAndAdminPagesChangeNothingOnGET(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := demoShopper(t, shop)
	products := demoProducts(t, shop)
	p := s.addProduct("Own Upload", "8")
	s.addToCart(products[0].ID)
	expectRedirect(t, s.post("/create-order", nil), "/orders")
	s.addToCart(products[1].ID)
	setCart(t, shop, s.ID, append(cartOf(t, shop, s.ID), models.CartItem{ProductID: bson.NewObjectID(), Quantity: 2})...)
	orderID := ordersOf(t, shop, s.ID)[0].ID.Hex()
	before, files := dbState(t, shop), storedImages(t, shop)

	for _, path := range []string{"/cart", "/checkout", "/orders", "/orders/" + orderID, "/admin/products", "/admin/add-product",
		"/admin/edit-product/" + p.ID.Hex() + "?edit=true", "/admin/edit-product/" + p.ID.Hex(), p.ImageURL} {
		if res := s.Get(path); res.StatusCode >= 400 {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}
	// The state-changing URLs do nothing on GET.
	for _, path := range []string{"/create-order", "/cart-delete-item", "/admin/delete-product", "/admin/product/" + p.ID.Hex()} {
		apptest.ExpectStatus(t, s.Get(path), http.StatusNotFound)
	}
	expectUnchanged(t, shop, before, "GET requests")
	if after := storedImages(t, shop); strings.Join(after, ",") != strings.Join(files, ",") {
		t.Errorf("image files changed: %v → %v", files, after)
	}
}
