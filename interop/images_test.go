package interop

import (
	"bytes"
	"context"
	"image/color"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/app"
	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
)

func TestImageUploadedOnGinShopShowsOnTheNodeApp(t *testing.T) {
	shop := startBesideNodeApp(t, nodeAppPublic(t))
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	v.LoginDemo()

	first := pngOf(t, color.RGBA{R: 200, A: 255})
	v.submitProductForm("/admin/add-product", "/admin/add-product",
		url.Values{"title": {"Red Square"}, "price": {"12.50"}, "description": {"A red square, uploaded on Gin Shop."}}, first)
	p := productTitled(t, shop, "Red Square")
	id := p.ID.Hex()

	// The Node app's product page prints imageUrl as stored, and the picture loads from it.
	nodePage := express.URL + "/products/" + id
	src := onlyImageOf(t, nodePage, v.onExpress(http.MethodGet, "/products/"+id, nil, nil))
	if got := loadImage(t, v, nodePage, src, "image/png"); !bytes.Equal(got, first) {
		t.Fatalf("the Node app's page shows %d other bytes, not the uploaded %d", len(got), len(first))
	}
	// Gin Shop's own page shows the same URL, loading from Gin Shop.
	shopPage := shop.URL + "/products/" + id
	if got := onlyImageOf(t, shopPage, v.Get("/products/"+id)); got != src {
		t.Fatalf("Gin Shop's page shows %q, the Node app's %q", got, src)
	}
	loadImage(t, v, shopPage, src, "image/png")

	// A new image on edit: the Node app shows it, and the old one is gone from both apps.
	second := pngOf(t, color.RGBA{B: 200, A: 255})
	v.submitProductForm("/admin/edit-product/"+id+"?edit=true", "/admin/edit-product",
		url.Values{"productId": {id}, "title": {"Red Square"}, "price": {"12.50"}, "description": {"Now blue."}}, second)
	newSrc := onlyImageOf(t, nodePage, v.onExpress(http.MethodGet, "/products/"+id, nil, nil))
	if newSrc == src {
		t.Fatal("the product still points to its old image")
	}
	if got := loadImage(t, v, nodePage, newSrc, "image/png"); !bytes.Equal(got, second) {
		t.Fatal("the Node app's page does not show the new image")
	}
	if s := status(t, v, express.URL+src); s != http.StatusNotFound {
		t.Fatalf("the old image on the Node app: %d, want 404", s)
	}

	// Deleting the product deletes the Node app's copy too.
	res := v.Submit("/admin/products", "/admin/delete-product", url.Values{"productId": {id}})
	apptest.ExpectStatus(t, res, http.StatusSeeOther)
	if s := status(t, v, express.URL+newSrc); s != http.StatusNotFound {
		t.Fatalf("a deleted product's image on the Node app: %d, want 404", s)
	}
}

func TestDemoProductImagesShowOnTheNodeApp(t *testing.T) {
	shop := startBesideNodeApp(t, nodeAppPublic(t))
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	res := v.onExpress(http.MethodGet, "/products", nil, nil)
	apptest.ExpectStatus(t, res, http.StatusOK)
	srcs := imageSources(res.Body)
	n, err := shop.DB.Database.Collection("products").CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || len(srcs) != int(n) || !slices.Contains(srcs, "/images/products/book.svg") {
		t.Fatalf("the Node app lists the images %q, want the %d demo products'", srcs, n)
	}
	for _, src := range srcs {
		loadImage(t, v, express.URL+"/products", src, "image/svg+xml")
	}
}

func TestImageOfANodeAppProductShowsOnGinShop(t *testing.T) {
	public := nodeAppPublic(t)
	shop := startBesideNodeApp(t, public)
	express := startExpress(t, shop)
	v := newVisitor(t, shop, express)
	v.expressSignupAndLogin("node.seller@example.test", password)
	var created struct {
		ID string `json:"_id"`
	}
	res := v.onExpress(http.MethodPost, "/admin/add-product", url.Values{"title": {"Node Book"}, "imageUrl": {"/images/book.svg"},
		"price": {"19.99"}, "description": {"Added on the Node app."}}, &created)
	apptest.ExpectStatus(t, res, http.StatusCreated)

	// The Node app's own page loads it (the fixture is the course's express.static) ...
	nodePage := express.URL + "/products/" + created.ID
	src := onlyImageOf(t, nodePage, v.onExpress(http.MethodGet, "/products/"+created.ID, nil, nil))
	if src != "/images/book.svg" {
		t.Fatalf("the Node app shows %q", src)
	}
	want, err := os.ReadFile(filepath.Join(public, "images", "book.svg"))
	if err != nil {
		t.Fatal(err)
	}
	loadImage(t, v, nodePage, src, "image/svg+xml")

	// ... and so does Gin Shop's, from the same folder, on the product page and in the list.
	shopPage := shop.URL + "/products/" + created.ID
	if got := onlyImageOf(t, shopPage, v.Get("/products/"+created.ID)); got != src {
		t.Fatalf("Gin Shop shows %q, want %q", got, src)
	}
	if got := loadImage(t, v, shopPage, src, "image/svg+xml"); !bytes.Equal(got, want) {
		t.Fatalf("Gin Shop serves %q, want the Node app's file", got)
	}
}

// The fallback serves pictures of the folder and nothing else: each request below gets the 404
// page, and the secret next to (or outside) the folder is never in an answer.
func TestNodeAppFolderServesOnlyItsPictures(t *testing.T) {
	outside := t.TempDir()
	const secret = "secret-bytes-that-must-not-leak"
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(outside, "outside.png"), secret)
	public := filepath.Join(outside, "public")
	write(filepath.Join(public, "images", "book.svg"), `<svg xmlns="http://www.w3.org/2000/svg"/>`)
	write(filepath.Join(public, "notes.txt"), secret)
	write(filepath.Join(public, "js", "node-only.js"), secret)
	write(filepath.Join(public, ".hidden.png"), secret)
	write(filepath.Join(public, ".git", "logo.png"), secret)
	if err := os.Mkdir(filepath.Join(public, "folder.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "outside.png"), filepath.Join(public, "link.png")); err != nil {
		t.Fatal(err)
	}
	shop := startBesideNodeApp(t, public)
	v := newVisitor(t, shop, nil)

	res := v.Get("/images/book.svg")
	apptest.ExpectStatus(t, res, http.StatusOK)
	if ct, csp := res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"); ct != "image/svg+xml" || !strings.Contains(csp, "sandbox") {
		t.Fatalf("a picture of the folder: Content-Type %q, CSP %q", ct, csp)
	}
	head, err := http.NewRequest(http.MethodHead, "/images/book.svg", nil)
	if err != nil {
		t.Fatal(err)
	}
	apptest.ExpectStatus(t, v.Do(head), http.StatusOK)

	for _, path := range []string{
		"/notes.txt", "/js/node-only.js", "/.hidden.png", "/.git/logo.png", "/folder.png", "/link.png",
		"/../outside.png", "/images/../../outside.png", "/..%2foutside.png", "/%2e%2e/outside.png",
		"/images/%2e%2e/%2e%2e/outside.png", "/images/missing.png",
	} {
		res := v.Get(path)
		if res.StatusCode != http.StatusNotFound || strings.Contains(res.Body, secret) {
			t.Errorf("GET %s: %d, secret shown: %v; want the 404 page", path, res.StatusCode, strings.Contains(res.Body, secret))
		}
	}
	// Read-only: a POST to a picture's URL is not served (nor does it change the file).
	res = v.PostForm("/images/book.svg", url.Values{"x": {"y"}})
	if res.StatusCode == http.StatusOK || strings.Contains(res.Body, "<svg") {
		t.Fatalf("POST to a picture: %d", res.StatusCode)
	}
	if b, _ := os.ReadFile(filepath.Join(public, "images", "book.svg")); !strings.HasPrefix(string(b), "<svg") {
		t.Fatal("the picture changed")
	}
}

func TestWithoutNodeAppFolderTheNodeAppsPicturesAreNotServed(t *testing.T) {
	shop := apptest.StartDefault(t)
	v := newVisitor(t, shop, nil)
	apptest.ExpectStatus(t, v.Get("/images/book.svg"), http.StatusNotFound)
}

// A shop told the folder later (or a second instance) copies at start-up what the database
// holds, deletes copies of images that are gone, and leaves the Node app's own files alone.
func TestStartUpCopiesStoredImagesIntoTheNodeAppFolder(t *testing.T) {
	first := apptest.StartDefault(t) // not told the folder
	v := newVisitor(t, first, nil)
	v.LoginDemo()
	img := pngOf(t, color.RGBA{G: 200, A: 255})
	v.submitProductForm("/admin/add-product", "/admin/add-product",
		url.Values{"title": {"Green Square"}, "price": {"3"}, "description": {"Uploaded before the folder was set."}}, img)
	imageURL := productTitled(t, first, "Green Square").ImageURL

	public := nodeAppPublic(t)
	stale := filepath.Join(public, "images", "uploads", "0123456789abcdef0123456789abcdef.png")
	nodeOwn := filepath.Join(public, "images", "uploads", "logo.png")
	nodeBook := filepath.Join(public, "images", "products", "book.svg")
	for path, content := range map[string]string{stale: "gone from GridFS", nodeOwn: "the Node app's", nodeBook: "the Node app's book"} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := first.Config
	cfg.MongoURI = apptest.Embedded().URI(first.Config.MongoDB)
	cfg.DataDir = t.TempDir()
	cfg.NodeAppPublicDir = public
	apptest.StartExternal(t, cfg, database.SharedWriterForTests()) // a second instance, as apptest.StartBeside starts it

	if got, err := os.ReadFile(filepath.Join(public, filepath.FromSlash(imageURL))); err != nil || !bytes.Equal(got, img) {
		t.Fatalf("the stored image's copy: %v (%d bytes, want %d)", err, len(got), len(img))
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("a copy of an image GridFS no longer has is still there: %v", err)
	}
	for path, want := range map[string]string{nodeOwn: "the Node app's", nodeBook: "the Node app's book"} {
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("%s: %q, want the Node app's file untouched", path, got)
		}
	}
	if _, err := os.Stat(filepath.Join(public, "images", "products", "camera.svg")); err != nil {
		t.Fatalf("the demo pictures were not copied: %v", err)
	}
}

// A folder Gin Shop cannot write its copies into stops start-up with a line naming the variable.
func TestStartUpFailsWhenTheNodeAppFolderCannotTakeTheCopies(t *testing.T) {
	public := t.TempDir()
	// "images" is a file, so images/products and images/uploads cannot be made (root or not).
	if err := os.WriteFile(filepath.Join(public, "images"), []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := apptest.Config(t)
	cfg.MongoDB = apptest.DatabaseName(t)
	cfg.MongoURI = apptest.Embedded().URI(cfg.MongoDB)
	cfg.NodeAppPublicDir = public
	ctx := context.Background()
	db, err := database.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Database.Drop(ctx) })
	shop, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler), db) // closes db when it fails
	if err == nil {
		_ = shop.Close(ctx)
		t.Fatal("the shop started with a folder it cannot write to")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "NODE_APP_PUBLIC_DIR: ") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q, want one line starting NODE_APP_PUBLIC_DIR:", msg)
	}
}
