package models

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The cart lives in the user's document (cart.items[{productId, quantity}]) and every change is
// one conditional update, so simultaneous requests never lose a line or a unit.
//
// FerretDB v1 has no positional updates ("cart.items.$.quantity", arrayFilters) and its $pull
// only removes elements equal to a whole value, so the Mongoose course's read-modify-save of
// user.cart becomes: look at the cart, then change it with an update whose filter still holds
// only if the cart still looks that way (compare-and-swap), and look again if it does not.
// The same updates work unchanged on a real MongoDB.

// ErrCartBusy means a cart kept changing under an update for maxCartAttempts tries.
var ErrCartBusy = errors.New("the cart kept changing; try again")

// ErrEmptyCart means there was nothing in the cart to order.
var ErrEmptyCart = errors.New("the cart is empty")

// maxCartAttempts bounds the compare-and-swap loops. A retry happens only when another request
// moved or changed the same line in between, so a few tries are plenty.
const maxCartAttempts = 20

// AddToCart adds n units of a product to the user's cart: a new line if it is not there yet,
// else a higher quantity (req.user.addToCart(product) in the course). user.Cart is the cart as
// the request loaded it (req.user): only a first guess of where the line is, since every update
// checks that the cart still looks that way, and later tries read the cart again. With a good
// guess, adding costs one update.
func (m *UserModel) AddToCart(ctx context.Context, user User, productID bson.ObjectID, n int) error {
	items := user.Cart.Items
	for attempt := range maxCartAttempts {
		if attempt > 0 {
			var err error
			if items, err = m.CartItems(ctx, user.ID); err != nil {
				return err
			}
		}
		var res *mongo.UpdateResult
		var err error
		if i := cartIndex(items, productID); i >= 0 {
			// Already there: $inc its quantity at its index, provided the line is still there.
			res, err = m.coll.UpdateOne(ctx,
				bson.D{{Key: "_id", Value: user.ID}, {Key: itemPath(i, "productId"), Value: productID}},
				bson.D{{Key: "$inc", Value: bson.D{{Key: itemPath(i, "quantity"), Value: n}}}})
		} else {
			// Not in the cart: push a line, in the same update that checks it is still absent.
			// {$nor: [{"cart.items.productId": id}]} means "no line has it"; FerretDB v1 gets
			// {"cart.items.productId": {$ne: id}} wrong as soon as another line differs.
			res, err = m.coll.UpdateOne(ctx,
				bson.D{{Key: "_id", Value: user.ID}, {Key: "$nor", Value: bson.A{bson.D{{Key: "cart.items.productId", Value: productID}}}}},
				bson.D{{Key: "$push", Value: bson.D{{Key: "cart.items", Value: CartItem{ProductID: productID, Quantity: n}}}}})
		}
		if err != nil {
			return err
		}
		if res.MatchedCount == 1 {
			return nil
		}
	}
	return ErrCartBusy
}

// RemoveFromCart deletes a product's line from the user's cart (user.removeFromCart), or returns
// ErrNotFound if the cart has no such line.
func (m *UserModel) RemoveFromCart(ctx context.Context, userID, productID bson.ObjectID) error {
	for range maxCartAttempts {
		items, stored, err := m.storedCartItems(ctx, userID)
		if err != nil {
			return err
		}
		i := cartIndex(items, productID)
		if i < 0 {
			return ErrNotFound
		}
		// $pull removes the line only if it is exactly as read (with the _id mongoose gives
		// it, if any); if its quantity changed in between, nothing is modified and we look again.
		res, err := m.coll.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: userID}},
			bson.D{{Key: "$pull", Value: bson.D{{Key: "cart.items", Value: stored[i]}}}})
		if err != nil {
			return err
		}
		if res.ModifiedCount == 1 {
			return nil
		}
	}
	return ErrCartBusy
}

// RemoveFromAllCarts takes a deleted product out of every cart that holds it.
func (m *UserModel) RemoveFromAllCarts(ctx context.Context, productID bson.ObjectID) error {
	cur, err := m.coll.Find(ctx, bson.D{{Key: "cart.items.productId", Value: productID}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return err
	}
	var users []struct {
		ID bson.ObjectID `bson:"_id"`
	}
	if err := cur.All(ctx, &users); err != nil {
		return err
	}
	var errs []error
	for _, u := range users {
		if err := m.RemoveFromCart(ctx, u.ID, productID); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CartItems returns the lines of the user's cart as stored, or ErrNotFound if there is no such
// user.
func (m *UserModel) CartItems(ctx context.Context, userID bson.ObjectID) ([]CartItem, error) {
	items, _, err := m.storedCartItems(ctx, userID)
	return items, err
}

// storedCartItems returns the cart's lines, and each line exactly as stored: the Node course
// app's mongoose gives every line an _id (and may add more), which a $pull must match too.
func (m *UserModel) storedCartItems(ctx context.Context, userID bson.ObjectID) ([]CartItem, []bson.Raw, error) {
	var u struct {
		Cart struct {
			Items []bson.Raw `bson:"items"`
		} `bson:"cart"`
	}
	err := m.coll.FindOne(ctx, bson.D{{Key: "_id", Value: userID}},
		options.FindOne().SetProjection(bson.D{{Key: "cart", Value: 1}})).Decode(&u)
	if err != nil {
		return nil, nil, notFound(err)
	}
	items := make([]CartItem, len(u.Cart.Items))
	for i, raw := range u.Cart.Items {
		if err := bson.Unmarshal(raw, &items[i]); err != nil {
			return nil, nil, fmt.Errorf("cart line %d: %w", i, err)
		}
	}
	return items, u.Cart.Items, nil
}

// takeCart empties the user's cart and returns the user as it was, in one update, so an item
// added at the same moment is either in this order or stays in the cart. ErrEmptyCart if the
// cart had no lines.
func (m *UserModel) takeCart(ctx context.Context, userID bson.ObjectID) (User, error) {
	var u User
	err := m.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: userID}, {Key: "cart.items.0", Value: bson.D{{Key: "$exists", Value: true}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "cart.items", Value: bson.A{}}}}},
		// No projection: FerretDB v1's findAndModify does not implement "fields".
		options.FindOneAndUpdate().SetReturnDocument(options.Before),
	).Decode(&u)
	if errors.Is(notFound(err), ErrNotFound) {
		return User{}, ErrEmptyCart
	}
	return u, err
}

func cartIndex(items []CartItem, productID bson.ObjectID) int {
	return slices.IndexFunc(items, func(it CartItem) bool { return it.ProductID == productID })
}

// itemPath names a field of the i-th cart line ("cart.items.2.quantity"): FerretDB v1 accepts
// array indexes in paths, not the positional "$".
func itemPath(i int, field string) string { return fmt.Sprintf("cart.items.%d.%s", i, field) }

// CartLine is a cart line with its product, for the cart and checkout pages.
type CartLine struct {
	Product  Product
	Quantity int
}

// TotalCents is the line's price times its quantity, in cents.
func (l CartLine) TotalCents() int64 { return PriceCents(l.Product.Price) * int64(l.Quantity) }

// CartView is the user's cart with its products: lines whose product was deleted are left out.
type CartView struct {
	Lines []CartLine
}

// TotalCents is the sum of the lines, in cents, so no float rounding creeps into the total.
func (v CartView) TotalCents() int64 {
	var sum int64
	for _, l := range v.Lines {
		sum += l.TotalCents()
	}
	return sum
}

// TotalText is the total as the pages show it ("59.98").
func (v CartView) TotalText() string { return FormatCents(v.TotalCents()) }

// Cart returns the cart of the request's user (loaded by UserModel.ForRequest) with each line's
// product, in the order they were added (the course's req.user.populate('cart.items.productId')).
// The products come from the cached catalog, so the page needs no query of its own. It only
// reads: lines of deleted products are skipped, not removed.
func (m *Models) Cart(ctx context.Context, user User) (CartView, error) {
	lines, err := m.cartLines(ctx, user.Cart.Items)
	return CartView{Lines: lines}, err
}

// cartLines joins cart items with their products (one query), skipping deleted products.
func (m *Models) cartLines(ctx context.Context, items []CartItem) ([]CartLine, error) {
	ids := make([]bson.ObjectID, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	products, err := m.Products.byIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	lines := []CartLine{}
	for _, it := range items {
		if p, ok := products[it.ProductID]; ok && it.Quantity > 0 {
			lines = append(lines, CartLine{Product: p, Quantity: it.Quantity})
		}
	}
	return lines, nil
}
