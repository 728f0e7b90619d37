package interop

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
)

// nodeAppPublic is a copy of the fixture's public/ folder: Gin Shop writes its images into the
// Node app's public folder, and the repository's copy must stay as it is.
func nodeAppPublic(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("express", "public"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBesideNodeApp starts a shop told the Node app's public folder (NODE_APP_PUBLIC_DIR).
func startBesideNodeApp(t *testing.T, publicDir string) *apptest.Shop {
	t.Helper()
	cfg := apptest.Config(t)
	cfg.NodeAppPublicDir = publicDir
	return apptest.Start(t, cfg)
}

var imgSrc = regexp.MustCompile(`<img[^>]*\ssrc="([^"]*)"`)

// imageSources is the src of every <img> of a page, as a browser reads the attribute.
func imageSources(body string) []string {
	var srcs []string
	for _, m := range imgSrc.FindAllStringSubmatch(body, -1) {
		srcs = append(srcs, html.UnescapeString(m[1]))
	}
	return srcs
}

// onlyImageOf returns the one <img src> of a product page (pageURL is where it was loaded,
// for the error message).
func onlyImageOf(t *testing.T, pageURL string, res *apptest.Response) string {
	t.Helper()
	apptest.ExpectStatus(t, res, http.StatusOK)
	srcs := imageSources(res.Body)
	if len(srcs) != 1 {
		t.Fatalf("%s: want one <img>, got %q", pageURL, srcs)
	}
	return srcs[0]
}

// loadImage fetches src the way a browser does for a page at pageURL (resolving a relative
// src against it) and fails unless the answer is 200 with wantType; it returns the bytes.
func loadImage(t *testing.T, v *visitor, pageURL, src, wantType string) []byte {
	t.Helper()
	base, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := url.Parse(src)
	if err != nil {
		t.Fatalf("%s: src %q: %v", pageURL, src, err)
	}
	u := base.ResolveReference(ref)
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res := v.Do(req)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != wantType {
		t.Fatalf("the image %s of %s: %d %q, want 200 %q", u, pageURL, res.StatusCode, res.Header.Get("Content-Type"), wantType)
	}
	return []byte(res.Body)
}

// status is the status code of a GET of u.
func status(t *testing.T, v *visitor, u string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.Do(req).StatusCode
}

// pngOf is a small PNG of one colour, so two calls with different colours are different files.
func pngOf(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// submitProductForm sends Gin Shop's product form (multipart, with a PNG) with a token from
// page, as a browser does, and expects the redirect to /admin/products.
func (v *visitor) submitProductForm(page, action string, fields url.Values, image []byte) {
	v.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields.Set("_csrf", v.CSRF(page))
	for k, vs := range fields {
		for _, val := range vs {
			if err := w.WriteField(k, val); err != nil {
				v.t.Fatal(err)
			}
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="image"; filename=%q`, "photo.png"))
	h.Set("Content-Type", "image/png")
	part, err := w.CreatePart(h)
	if err != nil {
		v.t.Fatal(err)
	}
	if _, err := io.Copy(part, bytes.NewReader(image)); err != nil {
		v.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		v.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, action, &buf)
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	res := v.Do(req)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/products" {
		v.t.Fatalf("POST %s: %d %s, want 303 to /admin/products", action, res.StatusCode, res.Header.Get("Location"))
	}
}

// productTitled reads a product from the database by its title.
func productTitled(t *testing.T, shop *apptest.Shop, title string) models.Product {
	t.Helper()
	var p models.Product
	err := shop.DB.Database.Collection("products").FindOne(context.Background(), bson.D{{Key: "title", Value: title}}).Decode(&p)
	if err != nil {
		t.Fatalf("product %q: %v", title, err)
	}
	return p
}
