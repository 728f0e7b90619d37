package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/public"
	"github.com/ginshop/ginshop/views"
)

// Rendering one page of the product list (six cards) into a buffer, without the database:
//
//	go test -run '^$' -bench 'RenderProductList|ProductsPage' ./bench/
func BenchmarkRenderProductList(b *testing.B) {
	assets, err := public.NewAssets()
	if err != nil {
		b.Fatal(err)
	}
	r, err := views.New(assets.URL)
	if err != nil {
		b.Fatal(err)
	}
	products := make([]models.Product, 6)
	for i := range products {
		products[i] = models.Product{ID: bson.NewObjectID(), Title: fmt.Sprintf("Product %d", i), Price: 9.99,
			Description: "A product of the benchmark.", ImageURL: "/images/products/book.svg"}
	}
	data := struct {
		views.Page
		Products   []models.Product
		Pagination views.Pagination
	}{views.NewPage("All Products", "/products", nil), products, views.NewPagination(1, 10, 6)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := r.Render("shop/product-list", data, func([]byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// The whole logged-in GET /products through the shop's handler: session, user, catalog, render.
func BenchmarkLoggedInProductsPage(b *testing.B) {
	shop := apptest.StartDefault(b)
	c := shop.Client(b)
	c.LoginDemo()
	cookie := c.Cookie("connect.sid")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, "/products", nil).WithContext(context.Background())
		req.AddCookie(cookie)
		w := httptest.NewRecorder()
		shop.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
