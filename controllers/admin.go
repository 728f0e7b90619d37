package controllers

import (
	"context"
	"errors"
	"mime/multipart"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/middleware"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/uploads"
	"github.com/ginshop/ginshop/views"
)

// MaxImageBytes is the largest product image accepted. routes.go sizes the admin routes' body
// limit from it (the image plus the form's text fields).
const MaxImageBytes = 5 << 20

// Messages of the admin pages.
const (
	msgProductAdded   = "Product added."
	msgProductUpdated = "Product updated."
	msgProductDeleted = "Product deleted."
	msgNotAnImage     = "Attached file is not an image."
	msgTooManyPixels  = "The image is too large: at most 24 megapixels (6000 × 4000)."
	msgImageRequired  = "Please attach an image (PNG, JPEG, WebP or GIF)."
	msgDeleteOK       = "Success!"
	msgDeleteFailed   = "Deleting product failed."
)

// productFormData is what admin/edit-product.html needs: the course's editing, hasError,
// product (oldInput) and validationErrors.
type productFormData struct {
	views.Page
	Editing bool
	Product productFormValues
	Invalid map[string]bool // fields that failed a rule get the "invalid" class
}

// productFormValues are the form's values as typed (or as stored, when editing starts).
type productFormValues struct {
	ID          string
	Title       string
	Price       string
	Description string
	ImageURL    string // the current image, when editing
}

type adminProductsData struct {
	views.Page
	Products []models.Product
}

// GetAddProduct is GET /admin/add-product (exports.getAddProduct): the empty form.
func (ctl *Controllers) GetAddProduct(c *gin.Context) {
	ctl.render(c, http.StatusOK, "admin/edit-product", productFormData{Page: ctl.page(c, "Add Product", "/admin/add-product")})
}

// PostAddProduct is POST /admin/add-product (exports.postAddProduct): check the form and the
// image, store the image, then the product, owned by the logged-in user.
func (ctl *Controllers) PostAddProduct(c *gin.Context) {
	fields, img, ok := ctl.readProductForm(c, productFormValues{}, true)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	url, err := ctl.Images.Save(ctx, img)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	fields.ImageURL = url
	fields.UserID = currentUser(c).ID
	if _, err := ctl.Models.Products.Create(ctx, fields); err != nil {
		ctl.removeImage(ctx, url) // no orphan; if this fails too, the image sweeper takes it
		ctl.fail(c, err)
		return
	}
	flash(c, msgProductAdded)
	ctl.redirect(c, "/admin/products")
}

// GetAdminProducts is GET /admin/products (exports.getProducts of the admin controller): the
// user's own products, each with Edit and Delete.
func (ctl *Controllers) GetAdminProducts(c *gin.Context) {
	products, err := ctl.Models.Products.ByOwner(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	data := adminProductsData{Page: ctl.page(c, "Admin Products", "/admin/products"), Products: products}
	data.Scripts = []string{"/js/admin.js"} // DELETE without a reload, like the course's admin.js
	ctl.render(c, http.StatusOK, "admin/products", data)
}

// GetEditProduct is GET /admin/edit-product/:productId?edit=true (exports.getEditProduct).
// Without edit=true it goes back to the shop, as in the course; someone else's product is the
// 404 page.
func (ctl *Controllers) GetEditProduct(c *gin.Context) {
	if c.Query("edit") != "true" {
		ctl.redirect(c, "/")
		return
	}
	id, err := models.ParseID(c.Param("productId"))
	if err != nil {
		ctl.NotFound(c)
		return
	}
	p, err := ctl.Models.Products.OwnedByID(c.Request.Context(), id, currentUser(c).ID)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	ctl.render(c, http.StatusOK, "admin/edit-product", productFormData{
		Page:    ctl.page(c, "Edit Product", "/admin/edit-product"),
		Editing: true,
		Product: productFormValues{ID: p.ID.Hex(), Title: p.Title, Price: p.PriceText(),
			Description: p.Description, ImageURL: p.ImageURL},
	})
}

// PostEditProduct is POST /admin/edit-product (exports.postEditProduct). The product must be
// the user's (checked before anything else is read); without a new file the old image stays,
// with one the old file is deleted once the product points to the new one.
func (ctl *Controllers) PostEditProduct(c *gin.Context) {
	ctx := c.Request.Context()
	user := currentUser(c)
	id, err := models.ParseID(postForm(c, "productId"))
	if err != nil {
		ctl.NotFound(c)
		return
	}
	current, err := ctl.Models.Products.OwnedByID(ctx, id, user.ID)
	if err != nil {
		ctl.fail(c, err)
		return
	}
	fields, img, ok := ctl.readProductForm(c, productFormValues{ID: id.Hex(), ImageURL: current.ImageURL}, false)
	if !ok {
		return
	}
	url := ""
	if img != nil {
		if url, err = ctl.Images.Save(ctx, img); err != nil {
			ctl.fail(c, err)
			return
		}
	}
	before, err := ctl.Models.Products.UpdateOwned(ctx, id, user.ID, fields, url)
	if err != nil {
		ctl.removeImage(ctx, url)
		ctl.fail(c, err)
		return
	}
	if url != "" {
		ctl.removeImage(ctx, before.ImageURL)
	}
	flash(c, msgProductUpdated)
	ctl.redirect(c, "/admin/products")
}

// PostDeleteProduct is POST /admin/delete-product: the form behind each Delete button, for
// browsers without JavaScript.
func (ctl *Controllers) PostDeleteProduct(c *gin.Context) {
	if err := ctl.deleteProduct(c.Request.Context(), postForm(c, "productId"), currentUser(c).ID); err != nil {
		ctl.fail(c, err)
		return
	}
	flash(c, msgProductDeleted)
	ctl.redirect(c, "/admin/products")
}

// DeleteProduct is DELETE /admin/product/:productId (exports.deleteProduct), called by
// public/js/admin.js: a JSON answer instead of a page, so the script can remove the card.
func (ctl *Controllers) DeleteProduct(c *gin.Context) {
	err := ctl.deleteProduct(c.Request.Context(), c.Param("productId"), currentUser(c).ID)
	switch {
	case err == nil:
		c.JSON(http.StatusOK, gin.H{"message": msgDeleteOK})
	case errors.Is(err, models.ErrNotFound):
		c.JSON(http.StatusNotFound, gin.H{"message": msgDeleteFailed})
	case isUnavailable(err): // the same 503 as the pages, as JSON
		ctl.Logger.Error("request failed", "requestId", middleware.RequestID(c), "status", http.StatusServiceUnavailable, "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"message": errorMessage(http.StatusServiceUnavailable)})
	default:
		ctl.Logger.Error("request failed", "requestId", middleware.RequestID(c), "status", http.StatusInternalServerError, "err", err)
		c.JSON(http.StatusInternalServerError, gin.H{"message": msgDeleteFailed})
	}
}

// deleteProduct deletes the user's product, takes it out of every cart and deletes its image.
// ErrNotFound for a malformed id or a product the user does not own.
func (ctl *Controllers) deleteProduct(ctx context.Context, rawID string, userID bson.ObjectID) error {
	id, err := models.ParseID(rawID)
	if err != nil {
		return err
	}
	p, err := ctl.Models.Products.DeleteOwned(ctx, id, userID)
	if err != nil {
		return err
	}
	// The product is gone whatever happens next; carts skip missing products anyway.
	if err := ctl.Models.Users.RemoveFromAllCarts(ctx, id); err != nil {
		ctl.Logger.Error("remove deleted product from carts", "product", id.Hex(), "err", err)
	}
	ctl.removeImage(ctx, p.ImageURL)
	return nil
}

// readProductForm reads and checks the product form. On failure it answers itself (413 for an
// oversized image, 422 with the form again) and returns ok false; otherwise the product's
// fields and the checked image (nil when none was attached, allowed only when editing).
func (ctl *Controllers) readProductForm(c *gin.Context, values productFormValues, imageRequired bool) (models.Product, *uploads.Image, bool) {
	in := models.ProductInput{Title: postForm(c, "title"), Price: postForm(c, "price"), Description: postForm(c, "description")}
	values.Title, values.Price, values.Description = in.Title, in.Price, in.Description

	var errs []models.FieldError
	var img *uploads.Image
	if fh := formFile(c, "image"); fh != nil {
		var err error
		img, err = ctl.Images.Read(fh)
		switch {
		case errors.Is(err, uploads.ErrTooLarge):
			ctl.Abort(c, http.StatusRequestEntityTooLarge, err)
			return models.Product{}, nil, false
		case errors.Is(err, uploads.ErrNotImage):
			errs = append(errs, models.FieldError{Field: "image", Message: msgNotAnImage})
		case errors.Is(err, uploads.ErrTooManyPixels):
			errs = append(errs, models.FieldError{Field: "image", Message: msgTooManyPixels})
		case err != nil:
			ctl.serverError(c, err)
			return models.Product{}, nil, false
		}
	} else if imageRequired {
		errs = append(errs, models.FieldError{Field: "image", Message: msgImageRequired})
	}
	// The image is checked first, as the course's postAddProduct does before validationResult.
	fields, fieldErrs := in.Validate()
	errs = append(errs, fieldErrs...)
	if len(errs) == 0 {
		return fields, img, true
	}

	editing := values.ID != ""
	title, path := "Add Product", "/admin/add-product"
	if editing {
		title, path = "Edit Product", "/admin/edit-product"
	}
	data := productFormData{Page: ctl.page(c, title, path), Editing: editing, Product: values, Invalid: map[string]bool{}}
	data.ErrorMessage = errs[0].Message
	for _, e := range errs {
		data.Invalid[e.Field] = true
	}
	ctl.render(c, http.StatusUnprocessableEntity, "admin/edit-product", data)
	return models.Product{}, nil, false
}

// formFile returns the uploaded file of a multipart field, or nil. A browser sends an empty,
// nameless part when no file was chosen: that counts as none.
func formFile(c *gin.Context, name string) *multipart.FileHeader {
	mf := c.Request.MultipartForm
	if mf == nil {
		return nil
	}
	for _, fh := range mf.File[name] {
		if fh.Filename != "" || fh.Size > 0 {
			return fh
		}
	}
	return nil
}

// removeImage deletes an uploaded image that no product uses any more. It runs even if the
// visitor has gone (the request's context cancelled); a failure costs only storage and the
// image sweeper retries it, so it is logged, not shown.
func (ctl *Controllers) removeImage(ctx context.Context, url string) {
	if url == "" {
		return
	}
	if err := ctl.Images.Remove(context.WithoutCancel(ctx), url); err != nil {
		ctl.Logger.Error("remove image", "url", url, "err", err)
	}
}
