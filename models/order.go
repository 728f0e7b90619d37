package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Order is a document of the orders collection. It keeps a copy of each product as it was
// when ordered, so editing or deleting the product later does not change the order.
type Order struct {
	ID        bson.ObjectID `bson:"_id"`
	Products  []OrderItem   `bson:"products"`
	User      OrderUser     `bson:"user"`
	CreatedAt time.Time     `bson:"createdAt"`
}

// OrderItem is one line of an order: the product snapshot and how many.
type OrderItem struct {
	Product  ProductSnapshot `bson:"product"`
	Quantity int             `bson:"quantity"`
}

// ProductSnapshot is the product as it was when ordered (the course's { ...i.productId._doc }).
type ProductSnapshot struct {
	Title       string        `bson:"title"`
	Price       float64       `bson:"price"`
	Description string        `bson:"description"`
	ImageURL    string        `bson:"imageUrl"`
	ID          bson.ObjectID `bson:"_id"`
}

// OrderUser is who ordered.
type OrderUser struct {
	Email  string        `bson:"email"`
	UserID bson.ObjectID `bson:"userId"`
}

// PriceText is the unit price with two decimals.
func (i OrderItem) PriceText() string { return FormatCents(PriceCents(i.Product.Price)) }

// TotalCents is the line's total in cents.
func (i OrderItem) TotalCents() int64 { return PriceCents(i.Product.Price) * int64(i.Quantity) }

// TotalCents is the order's total in cents.
func (o Order) TotalCents() int64 {
	var sum int64
	for _, it := range o.Products {
		sum += it.TotalCents()
	}
	return sum
}

// TotalText is the order's total with two decimals.
func (o Order) TotalText() string { return FormatCents(o.TotalCents()) }

// OrderModel owns the queries on orders.
type OrderModel struct {
	coll  *mongo.Collection // writes
	reads *mongo.Collection // the pages' reads (pooled)
	// The userOrders index, {_id: userId, orderIds: [...]}: a user's orders are found by _id,
	// not by a filter on user.userId that reads every order on the embedded database.
	byUser      *mongo.Collection
	byUserReads *mongo.Collection

	index reindexer // adds the Node app's orders (reindex.go)
}

// ByUser returns the user's orders (Order.find({'user.userId': req.user._id})), newest first:
// the user's userOrders entry, then each order by _id. An id whose order does not exist (its
// placing died between the two writes) is skipped. Orders the Node app placed show once the
// reindexer has listed them (see docs/OPERATIONS.md).
func (m *OrderModel) ByUser(ctx context.Context, userID bson.ObjectID) ([]Order, error) {
	var entry struct {
		OrderIDs []bson.ObjectID `bson:"orderIds"`
	}
	err := m.byUserReads.FindOne(ctx, bson.D{{Key: "_id", Value: userID}}).Decode(&entry)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, err
	}
	orders := []Order{}
	for _, id := range entry.OrderIDs {
		o, err := m.OwnedByID(ctx, id, userID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	// Sorted here, not in the query: orders the Node app wrote have no createdAt, and a query
	// would sort them as null instead of by the time their ObjectID holds.
	slices.SortStableFunc(orders, func(a, b Order) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(b.ID[:], a.ID[:])
	})
	return orders, nil
}

// listOrder adds an order to its user's userOrders entry (one upsert, atomic on its document).
func (m *OrderModel) listOrder(ctx context.Context, userID, orderID bson.ObjectID) error {
	_, err := m.byUser.UpdateOne(ctx, bson.D{{Key: "_id", Value: userID}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "orderIds", Value: orderID}}}}, options.UpdateOne().SetUpsert(true))
	return err
}

// reindex is the userOrders reindexer's pass: every order listed under its user, nothing else.
func (m *OrderModel) reindex(ctx context.Context) (int, error) {
	// Both reads through the pool: a pass must not hold the single writer connection.
	have, err := indexEntries[bson.ObjectID](ctx, m.byUserReads, "orderIds")
	if err != nil {
		return 0, err
	}
	cur, err := m.reads.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "user.userId", Value: 1}}))
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	want := map[bson.ObjectID]map[bson.ObjectID]bool{}
	docs := len(have)
	for cur.Next(ctx) {
		docs++
		var o struct {
			ID   bson.ObjectID `bson:"_id"`
			User struct {
				UserID bson.ObjectID `bson:"userId"`
			} `bson:"user"`
		}
		if err := cur.Decode(&o); err != nil || o.User.UserID.IsZero() {
			continue // not an order of a Gin Shop user
		}
		if want[o.User.UserID] == nil {
			want[o.User.UserID] = map[bson.ObjectID]bool{}
		}
		want[o.User.UserID][o.ID] = true
	}
	if err := cur.Err(); err != nil {
		return 0, err
	}
	return docs, syncIndex(ctx, m.byUser, "orderIds", have, want)
}

// fillCreatedAt dates an order the Node course app wrote (its schema has no createdAt) by
// its ObjectID, which holds the second it was made.
func (o *Order) fillCreatedAt() {
	if o.CreatedAt.IsZero() {
		o.CreatedAt = o.ID.Timestamp().UTC()
	}
}

// OwnedByID returns the user's order with that id, or ErrNotFound (also when it is someone
// else's). The order is read by _id and its owner checked here: on the embedded database a
// filter on user.userId as well would read every order.
func (m *OrderModel) OwnedByID(ctx context.Context, id, userID bson.ObjectID) (Order, error) {
	var o Order
	if err := m.reads.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&o); err != nil {
		return Order{}, notFound(err)
	}
	if o.User.UserID != userID {
		return Order{}, ErrNotFound
	}
	o.fillCreatedAt()
	return o, nil
}

// PlaceOrder turns the user's cart into an order and empties the cart (the course's
// postOrder: populate the cart, new Order({...}).save(), user.clearCart()). The cart is taken
// and emptied in one update first, so a double click cannot order it twice; if the order then
// cannot be stored, the lines go back into the cart. ErrEmptyCart if there is nothing to order.
func (m *Models) PlaceOrder(ctx context.Context, userID bson.ObjectID) (Order, error) {
	user, err := m.Users.takeCart(ctx, userID)
	if err != nil {
		return Order{}, err
	}
	lines, err := m.cartLines(ctx, user.Cart.Items)
	if err != nil {
		return Order{}, errors.Join(err, m.restoreCart(ctx, userID, user.Cart.Items))
	}
	if len(lines) == 0 {
		return Order{}, ErrEmptyCart // only deleted products were left: dropping them is right
	}
	order := Order{
		ID:        bson.NewObjectID(),
		Products:  make([]OrderItem, len(lines)),
		User:      OrderUser{Email: user.Email, UserID: userID},
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond), // BSON dates keep milliseconds
	}
	for i, l := range lines {
		p := l.Product
		order.Products[i] = OrderItem{
			Product:  ProductSnapshot{Title: p.Title, Price: p.Price, Description: p.Description, ImageURL: p.ImageURL, ID: p.ID},
			Quantity: l.Quantity,
		}
	}
	// Listed first, stored second: if the process dies in between, the list has an id that
	// points nowhere (skipped, then dropped by the reindexer), never an order nobody can see.
	if err := m.Orders.listOrder(ctx, userID, order.ID); err != nil {
		return Order{}, errors.Join(err, m.restoreCart(ctx, userID, user.Cart.Items))
	}
	if _, err := m.Orders.coll.InsertOne(ctx, order); err != nil {
		return Order{}, errors.Join(err, m.restoreCart(ctx, userID, user.Cart.Items))
	}
	return order, nil
}

// restoreCart adds taken lines back, even if the request was cancelled meanwhile.
func (m *Models) restoreCart(ctx context.Context, userID bson.ObjectID, items []CartItem) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, it := range items {
		if err := m.Users.AddToCart(ctx, User{ID: userID}, it.ProductID, it.Quantity); err != nil {
			return fmt.Errorf("restore cart: %w", err)
		}
	}
	return nil
}
