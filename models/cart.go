package models

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The cart lives in the user's document (cart.items[{productId, quantity}]), and simultaneous
// requests must never lose a line or a unit. How depends on the database:
//
//   - Where updates are atomic across connections (MongoDB), every change is one conditional
//     update: look at the cart, then change it with an update whose filter still holds only if
//     the cart still looks that way (compare-and-swap), and look again if it does not.
//   - On the embedded FerretDB v1, a filter with anything beside _id reads the whole users
//     collection, so such an update costs more with every user. There, one instance writes
//     (database's writer lease), so a lock in this process (cartLocks) keeps one user's cart
//     changes apart, and each change is a read and an update by _id alone.
//
// FerretDB v1 has no positional updates ("cart.items.$.quantity", arrayFilters) and its $pull
// only removes elements equal to a whole value, so the Mongoose course's read-modify-save of
// user.cart becomes: read the cart, then $inc the line at its index, $push a new one, or $pull
// the line exactly as read. The same updates work unchanged on a real MongoDB.

// cartLocks serialises the cart writes of one user inside this process where updates are not
// atomic across connections. The locks are striped by user id: a fixed array, so memory stays
// the same whatever the number of users, at the price of two users sometimes sharing a stripe
// (and waiting a few milliseconds for each other).
type cartLocks struct {
	atomic  bool // updates are atomic: the conditional updates need no lock
	stripes [64]sync.Mutex
}

// lock takes the user's stripe (nothing where updates are atomic) and returns its unlock.
func (l *cartLocks) lock(userID bson.ObjectID) (unlock func()) {
	if l.atomic {
		return func() {}
	}
	h := fnv.New32a()
	h.Write(userID[:])
	mu := &l.stripes[h.Sum32()%uint32(len(l.stripes))]
	mu.Lock()
	return mu.Unlock
}

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
	if !m.carts.atomic {
		return m.addToLockedCart(ctx, user.ID, productID, n)
	}
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

// addToLockedCart is AddToCart where updates are not atomic: under the user's lock nothing else
// in the shop changes the cart between the read and the update, so both go by _id alone. $inc
// and $push leave the other lines as stored (the _id mongoose gives a line, say).
func (m *UserModel) addToLockedCart(ctx context.Context, userID, productID bson.ObjectID, n int) error {
	defer m.carts.lock(userID)()
	items, err := m.CartItems(ctx, userID)
	if err != nil {
		return err
	}
	update := bson.D{{Key: "$push", Value: bson.D{{Key: "cart.items", Value: CartItem{ProductID: productID, Quantity: n}}}}}
	if i := cartIndex(items, productID); i >= 0 {
		update = bson.D{{Key: "$inc", Value: bson.D{{Key: itemPath(i, "quantity"), Value: n}}}}
	}
	res, err := m.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: userID}}, update)
	if err == nil && res.MatchedCount == 0 {
		return ErrNotFound
	}
	return err
}

// RemoveFromCart deletes a product's line from the user's cart (user.removeFromCart), or returns
// ErrNotFound if the cart has no such line.
func (m *UserModel) RemoveFromCart(ctx context.Context, userID, productID bson.ObjectID) error {
	// Under the lock (where updates are not atomic) the line cannot change before the $pull,
	// so the first try removes it.
	defer m.carts.lock(userID)()
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

// RemoveFromAllCarts takes a deleted product out of every cart that holds it: it notes the
// product in cartCleanups (one write by _id) and wakes the cart cleanup job, which finds the
// carts and removes the lines in the background. Finding them is a filter on
// cart.items.productId, a read of every user on the embedded database: never in a request.
// Until the job is done, the cart, checkout and order skip the line (cartLines), as they skip
// any line whose product is gone.
func (m *UserModel) RemoveFromAllCarts(ctx context.Context, productID bson.ObjectID) error {
	_, err := m.cartCleanups.UpdateOne(ctx, bson.D{{Key: "_id", Value: productID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "deleted", Value: time.Now().UTC().Truncate(time.Millisecond)}}}},
		options.UpdateOne().SetUpsert(true))
	select {
	case m.cleanupNow <- struct{}{}:
	default: // a wake-up is already pending
	}
	return err
}

// CartCleanupJob is the periodic job that finishes RemoveFromAllCarts: wake tells it a product
// was just deleted; run takes the noted products out of every cart, then forgets them. A note
// whose run failed (or a process that died) is finished by the next run.
func (m *UserModel) CartCleanupJob() (wake <-chan struct{}, run func(context.Context) (int64, error)) {
	return m.cleanupNow, m.cleanCarts
}

func (m *UserModel) cleanCarts(ctx context.Context) (int64, error) {
	cur, err := m.cartCleanups.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return 0, err
	}
	var notes []struct {
		ID bson.ObjectID `bson:"_id"`
	}
	if err := cur.All(ctx, &notes); err != nil || len(notes) == 0 {
		return 0, err
	}
	var removed int64
	for _, note := range notes {
		// Through the writer, in step with the carts' own writes.
		cur, err := m.coll.Find(ctx, bson.D{{Key: "cart.items.productId", Value: note.ID}},
			options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return removed, err
		}
		var users []struct {
			ID bson.ObjectID `bson:"_id"`
		}
		if err := cur.All(ctx, &users); err != nil {
			return removed, err
		}
		for _, u := range users {
			switch err := m.RemoveFromCart(ctx, u.ID, note.ID); {
			case err == nil:
				removed++
			case !errors.Is(err, ErrNotFound):
				return removed, err
			}
		}
		if _, err := m.cartCleanups.DeleteOne(ctx, bson.D{{Key: "_id", Value: note.ID}}); err != nil {
			return removed, err
		}
	}
	return removed, nil
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

// takeCart empties the user's cart and returns the user as it was, in one update by _id, so an
// item added at the same moment is either in this order or stays in the cart, and of two
// simultaneous orders only one gets the lines. ErrEmptyCart if the cart had no lines.
func (m *UserModel) takeCart(ctx context.Context, userID bson.ObjectID) (User, error) {
	// The lock keeps an add that has read the cart from $inc-ing a line this just took.
	defer m.carts.lock(userID)()
	var u User
	err := m.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: userID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "cart.items", Value: bson.A{}}}}},
		// No projection: FerretDB v1's findAndModify does not implement "fields".
		options.FindOneAndUpdate().SetReturnDocument(options.Before),
	).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && len(u.Cart.Items) == 0) {
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
