package controllers

import (
	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/views"
)

type productListData struct {
	views.Page
	Products   []models.Product
	Pagination views.Pagination
}

type productDetailData struct {
	views.Page
	Product models.Product
}

// Index is GET /: the shop's front page, one page of products (exports.getIndex).
func (ctl *Controllers) Index(c *gin.Context) {
	ctl.productList(c, "shop/index", "Shop", "/")
}

// Products is GET /products: the same list under its own title (exports.getProducts).
func (ctl *Controllers) Products(c *gin.Context) {
	ctl.productList(c, "shop/product-list", "All Products", "/products")
}

func (ctl *Controllers) productList(c *gin.Context, view, title, path string) {
	page, err := ctl.Models.Products.Page(c.Request.Context(), pageNumber(c), ctl.Config.ItemsPerPage)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.render(c, 200, view, productListData{
		Page:       ctl.page(c, title, path),
		Products:   page.Products,
		Pagination: views.NewPagination(page.Number, page.Total, ctl.Config.ItemsPerPage),
	})
}

// ProductDetail is GET /products/:productId (exports.getProduct). A malformed or unknown id is
// the 404 page.
func (ctl *Controllers) ProductDetail(c *gin.Context) {
	id, err := models.ParseID(c.Param("productId"))
	if err != nil {
		ctl.NotFound(c)
		return
	}
	p, err := ctl.Models.Products.ByID(c.Request.Context(), id)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.render(c, 200, "shop/product-detail", productDetailData{Page: ctl.page(c, p.Title, "/products"), Product: p})
}
