package controllers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/views"
)

type cartData struct {
	views.Page
	Cart models.CartView
}

// GetCart is GET /cart (exports.getCart): the cart's lines with their products. Lines whose
// product its owner deleted are left out.
func (ctl *Controllers) GetCart(c *gin.Context) {
	ctl.cartPage(c, "shop/cart", "Your Cart", "/cart")
}

// GetCheckout is GET /checkout (exports.getCheckout): the lines and the total, and the button
// that places the order.
func (ctl *Controllers) GetCheckout(c *gin.Context) {
	ctl.cartPage(c, "shop/checkout", "Checkout", "/checkout")
}

func (ctl *Controllers) cartPage(c *gin.Context, view, title, path string) {
	cart, err := ctl.Models.Cart(c.Request.Context(), currentUser(c))
	if err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.render(c, http.StatusOK, view, cartData{Page: ctl.page(c, title, path), Cart: cart})
}

// PostCart is POST /cart (exports.postCart): one more of the product in the cart. An id that
// names no product is the 404 page and changes nothing.
func (ctl *Controllers) PostCart(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := models.ParseID(postForm(c, "productId"))
	if err != nil {
		ctl.NotFound(c)
		return
	}
	if _, err := ctl.Models.Products.ByID(ctx, id); err != nil {
		ctl.fail(c, err)
		return
	}
	if err := ctl.Models.Users.AddToCart(ctx, currentUser(c), id, 1); err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.redirect(c, "/cart")
}

// PostCartDeleteProduct is POST /cart-delete-item (exports.postCartDeleteProduct): the line
// goes, whatever its quantity. A product that is not in the cart is the 404 page.
func (ctl *Controllers) PostCartDeleteProduct(c *gin.Context) {
	id, err := models.ParseID(postForm(c, "productId"))
	if err != nil {
		ctl.NotFound(c)
		return
	}
	if err := ctl.Models.Users.RemoveFromCart(c.Request.Context(), currentUser(c).ID, id); err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.redirect(c, "/cart")
}

// currentUser is the logged-in user (req.user); RequireLogin guarantees one on the routes that
// call it.
func currentUser(c *gin.Context) models.User {
	u, _ := middleware.UserFrom(c)
	return u
}
