package controllers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/views"
)

// Flash messages of the order pages.
const (
	msgOrderPlaced = "Order placed."
	msgEmptyCart   = "Your cart is empty: add a product before ordering."
)

type ordersData struct {
	views.Page
	Orders []models.Order
}

// PostOrder is POST /create-order (exports.postOrder): the cart becomes an order and is
// emptied. An empty cart places no order and says so.
func (ctl *Controllers) PostOrder(c *gin.Context) {
	_, err := ctl.Models.PlaceOrder(c.Request.Context(), currentUser(c).ID)
	if errors.Is(err, models.ErrEmptyCart) {
		flash(c, msgEmptyCart)
		ctl.redirect(c, "/cart")
		return
	}
	if err != nil {
		ctl.fail(c, err)
		return
	}
	flash(c, msgOrderPlaced)
	ctl.redirect(c, "/orders")
}

// GetOrders is GET /orders (exports.getOrders): the user's orders, newest first.
func (ctl *Controllers) GetOrders(c *gin.Context) {
	orders, err := ctl.Models.Orders.ByUser(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.render(c, http.StatusOK, "shop/orders", ordersData{Page: ctl.page(c, "Your Orders", "/orders"), Orders: orders})
}
