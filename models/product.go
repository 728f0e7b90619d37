package models

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ginshop/ginshop/database"
)

// Product is a document of the products collection, as the course's Mongoose schema has it.
type Product struct {
	ID          bson.ObjectID `bson:"_id"`
	Title       string        `bson:"title"`
	Price       float64       `bson:"price"`
	Description string        `bson:"description"`
	ImageURL    string        `bson:"imageUrl"`
	UserID      bson.ObjectID `bson:"userId"`
}

// PriceText is the price as the shop shows it: two decimals, no currency rounding surprises.
func (p Product) PriceText() string { return FormatPrice(p.Price) }

// FormatPrice prints an amount with two decimals.
func FormatPrice(v float64) string { return fmt.Sprintf("%.2f", v) }

// ProductModel owns the queries on products.
type ProductModel struct {
	coll     *mongo.Collection // writes
	reads    *mongo.Collection // the pages' reads (pooled)
	versions *mongo.Collection // the catalog's version document: writes (catalog.go)
	// snapshots: the catalog saved for the next start, written by SaveCatalogSnapshot
	snapshots *mongo.Collection
	source    catalogSource // what the catalog reads (pooled)
	catalog   catalogCache  // see catalog.go
}

// ProductPage is one page of the product list.
type ProductPage struct {
	Products []Product
	Total    int64 // products in the whole list
	Number   int   // the page shown: the one asked for, or the last one if that was past the end
}

// Page returns page number n (from 1) of the products, oldest first like the course's
//
//	Product.find().countDocuments().then(n => Product.find().skip((page - 1) * ITEMS_PER_PAGE).limit(ITEMS_PER_PAGE))
//
// A page past the end gives the last page. The page is cut out of the cached catalog
// (catalog.go): no database command at all while the cache is fresh. Only a catalog too large
// to cache is queried the course's way, count and find.
func (m *ProductModel) Page(ctx context.Context, n, perPage int) (ProductPage, error) {
	cat, err := m.catalog.get(ctx, m.source)
	if err != nil {
		return ProductPage{}, err
	}
	if cat.complete {
		return cat.page(n, perPage), nil
	}
	total, err := m.reads.CountDocuments(ctx, bson.D{})
	if err != nil {
		return ProductPage{}, err
	}
	n = clampPage(n, total, perPage)
	opts := options.Find().
		SetSort(bson.D{{Key: "_id", Value: 1}}).
		SetSkip(int64((n - 1) * perPage)).
		SetLimit(int64(perPage))
	products, err := m.find(ctx, bson.D{}, opts)
	return ProductPage{Products: products, Total: total, Number: n}, err
}

// ByID returns one product, or ErrNotFound (the course's Product.findById), from the cached
// catalog when it can.
func (m *ProductModel) ByID(ctx context.Context, id bson.ObjectID) (Product, error) {
	found, err := m.byIDs(ctx, []bson.ObjectID{id})
	if err != nil {
		return Product{}, err
	}
	p, ok := found[id]
	if !ok {
		return Product{}, ErrNotFound
	}
	return p, nil
}

// byIDs returns the products with these ids that still exist, by id (the cart's
// populate('cart.items.productId')). An id the cached copy lacks (a product made on another
// instance or by the Node app since the copy was read) is asked for by _id, so it shows at once.
func (m *ProductModel) byIDs(ctx context.Context, ids []bson.ObjectID) (map[bson.ObjectID]Product, error) {
	found := map[bson.ObjectID]Product{}
	if len(ids) == 0 {
		return found, nil
	}
	cat, err := m.catalog.get(ctx, m.source)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if i, ok := cat.byID[id]; ok {
			found[id] = cat.products[i]
			continue
		}
		// One lookup by _id each: the one query the embedded database answers from an index
		// ({_id: {$in: ids}} would read the whole collection there).
		var p Product
		err := m.reads.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found[id] = p
	}
	return found, nil
}

// Any reports whether at least one product exists: one document asked for without filter or
// sort, which even the embedded database answers without reading the whole collection (a
// count would).
func (m *ProductModel) Any(ctx context.Context) (bool, error) {
	err := m.coll.FindOne(ctx, bson.D{}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, err
}

// WarmCatalog reads the catalog (on a restart, its snapshot) ahead of the first page, which
// then waits for this read instead of starting its own; then it checks the copy at once, in the
// background, as a page would a second later: a snapshot keeps the time its copy was read, so
// what the Node app wrote while this process was down is read now, during the start, not
// while the first visitors browse. An error only means that the first page reads it again.
func (m *ProductModel) WarmCatalog(ctx context.Context) {
	if _, err := m.catalog.get(ctx, m.source); err != nil {
		return
	}
	m.catalog.check(database.Background(ctx), m.source)
}

// InvalidateCatalog makes the next page read the catalog from the database. The model calls it
// after its own writes; a test that writes products behind the app's back calls it too (another
// instance's write would show within a second without it).
func (m *ProductModel) InvalidateCatalog() { m.catalog.invalidate() }

// Insert stores new products, giving each an id if it has none.
func (m *ProductModel) Insert(ctx context.Context, products ...Product) error {
	docs := make([]any, len(products))
	for i := range products {
		if products[i].ID.IsZero() {
			products[i].ID = bson.NewObjectID()
		}
		docs[i] = products[i]
	}
	if _, err := m.coll.InsertMany(ctx, docs); err != nil {
		m.InvalidateCatalog() // some may be stored: read them
		return err
	}
	// One version bump for the whole insert (the demo seed's ten products): other instances
	// re-read the catalog once either way.
	version := bumpVersion(ctx, m.versions)
	for _, p := range products {
		m.catalog.apply(p, false, version)
	}
	return nil
}

// changed tells the catalog about a product this instance wrote (or deleted): its own copy at
// once, the other instances through the version document.
func (m *ProductModel) changed(ctx context.Context, p Product, removed bool) {
	m.catalog.apply(p, removed, bumpVersion(ctx, m.versions))
}

func (m *ProductModel) find(ctx context.Context, filter any, opts ...options.Lister[options.FindOptions]) ([]Product, error) {
	cur, err := m.reads.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	products := []Product{}
	if err := cur.All(ctx, &products); err != nil {
		return nil, err
	}
	return products, nil
}
