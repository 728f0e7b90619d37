package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/uploads"
)

// imageRequest fetches an uploaded image with a method and extra headers.
func imageRequest(t *testing.T, c *apptest.Client, method, path string, header map[string]string) *apptest.Response {
	t.Helper()
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.Do(req)
}

func TestUploadedImageIsServedFromGridFSWithCachingHeaders(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	p := newShopper(t, shop, "maker@example.com").addProduct("Photo Frame", "15")
	data := string(pngBytes(t))
	visitor := shop.Client(t)

	img := visitor.Get(p.ImageURL)
	apptest.ExpectStatus(t, img, http.StatusOK)
	etag := img.Header.Get("ETag")
	name := strings.TrimPrefix(p.ImageURL, uploads.URLPrefix)
	if img.Body != data || etag != `"`+strings.TrimSuffix(name, ".png")+`"` {
		t.Fatalf("GET: %d bytes, ETag %q", len(img.Body), etag)
	}
	for header, want := range map[string]string{
		"Content-Type":           "image/png",
		"Content-Length":         strconv.Itoa(len(data)),
		"Cache-Control":          "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := img.Header.Get(header); got != want {
			t.Errorf("GET %s = %q, want %q", header, got, want)
		}
	}
	if _, err := http.ParseTime(img.Header.Get("Last-Modified")); err != nil {
		t.Errorf("Last-Modified %q: %v", img.Header.Get("Last-Modified"), err)
	}

	// The browser's revalidation: 304, no body, the same validators.
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		res := imageRequest(t, visitor, http.MethodGet, p.ImageURL, map[string]string{"If-None-Match": inm})
		apptest.ExpectStatus(t, res, http.StatusNotModified)
		if res.Body != "" || res.Header.Get("ETag") != etag || res.Header.Get("Cache-Control") == "" {
			t.Errorf("If-None-Match %s: body %d bytes, ETag %q, Cache-Control %q", inm, len(res.Body), res.Header.Get("ETag"), res.Header.Get("Cache-Control"))
		}
	}
	res := imageRequest(t, visitor, http.MethodGet, p.ImageURL, map[string]string{"If-None-Match": `"something-else"`})
	apptest.ExpectStatus(t, res, http.StatusOK)
	if res.Body != data {
		t.Error("a stale ETag did not get the image")
	}

	// HEAD: the headers of GET, no body.
	head := imageRequest(t, visitor, http.MethodHead, p.ImageURL, nil)
	apptest.ExpectStatus(t, head, http.StatusOK)
	if head.Body != "" || head.Header.Get("Content-Type") != "image/png" || head.Header.Get("ETag") != etag ||
		head.Header.Get("Content-Length") != strconv.Itoa(len(data)) {
		t.Errorf("HEAD: body %q, headers %v", head.Body, head.Header)
	}
	apptest.ExpectStatus(t, imageRequest(t, visitor, http.MethodHead, "/images/uploads/0123456789abcdef0123456789abcdef.png", nil), http.StatusNotFound)

	// A part of the image (browsers resume downloads this way).
	part := imageRequest(t, visitor, http.MethodGet, p.ImageURL, map[string]string{"Range": "bytes=0-9"})
	apptest.ExpectStatus(t, part, http.StatusPartialContent)
	if part.Body != data[:10] {
		t.Errorf("Range 0-9 gave %q", part.Body)
	}

	// The type comes from the stored metadata, not from the name.
	_, err := shop.DB.Database.Collection("images.files").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: name}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "metadata.contentType", Value: "image/gif"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if ct := visitor.Get(p.ImageURL).Header.Get("Content-Type"); ct != "image/gif" {
		t.Errorf("Content-Type %q, want the metadata's image/gif", ct)
	}
}

func TestFailedProductInsertLeavesNoImage(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	s := newShopper(t, shop, "maker@example.com")
	// Make the product's insert fail after its image is stored: a unique index on titles, and a
	// title the demo data already has.
	_, err := shop.DB.Database.Collection("products").Indexes().CreateOne(context.Background(), mongo.IndexModel{
		Keys: bson.D{{Key: "title", Value: 1}}, Options: options.Index().SetUnique(true)})
	if err != nil {
		t.Fatal(err)
	}
	before := dbState(t, shop)
	res := s.postMultipart("/admin/add-product", url.Values{"title": {"A Book About Go"}, "price": {"5"}, "description": {"A second copy."}},
		&upload{Name: "book.png", ContentType: "image/png", Data: pngBytes(t)})
	apptest.ExpectStatus(t, res, http.StatusInternalServerError)
	expectUnchanged(t, shop, before, "a failed insert")
	if files := storedImages(t, shop); len(files) != 0 {
		t.Errorf("GridFS holds %v after the insert failed, want nothing", files)
	}
}

func TestImageSweeperDeletesImagesNoProductUses(t *testing.T) {
	t.Parallel()
	shop := apptest.StartDefault(t)
	ctx := context.Background()
	p := newShopper(t, shop, "maker@example.com").addProduct("Kept Thing", "3")
	// The image of a product whose insert never happened (the process died in between).
	img, err := uploads.Check(pngBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := shop.Images.Save(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	// Fresh, it could be a product being saved right now: kept.
	if n, err := shop.Images.SweepOrphans(ctx, time.Hour, shop.Models.Products.ImagesInUse); err != nil || n != 0 {
		t.Fatalf("sweep of fresh images: %d, %v", n, err)
	}
	// Past the grace period: the orphan goes, the product's image stays.
	if n, err := shop.Images.SweepOrphans(ctx, -time.Minute, shop.Models.Products.ImagesInUse); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want the orphan deleted", n, err)
	}
	if files := storedImages(t, shop); len(files) != 1 || uploads.URLPrefix+files[0] != p.ImageURL {
		t.Errorf("GridFS holds %v, want only %s (not %s)", files, p.ImageURL, orphan)
	}
	apptest.ExpectStatus(t, shop.Client(t).Get(p.ImageURL), http.StatusOK)
}
