package models

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
	coll *mongo.Collection
}

// ProductPage is one page of the product list.
type ProductPage struct {
	Products []Product
	Total    int64 // products in the whole list
	Number   int   // the page shown: the one asked for, or the last one if that was past the end
}

// Page returns page number n (from 1) of the products, oldest first like the course's
// Product.find().skip().limit(). A page past the end gives the last page.
func (m *ProductModel) Page(ctx context.Context, n, perPage int) (ProductPage, error) {
	total, err := m.coll.CountDocuments(ctx, bson.D{})
	if err != nil {
		return ProductPage{}, err
	}
	if last := int((total + int64(perPage) - 1) / int64(perPage)); n > last {
		n = max(last, 1)
	}
	opts := options.Find().
		SetSort(bson.D{{Key: "_id", Value: 1}}).
		SetSkip(int64((n - 1) * perPage)).
		SetLimit(int64(perPage))
	products, err := m.find(ctx, bson.D{}, opts)
	return ProductPage{Products: products, Total: total, Number: n}, err
}

// ByID returns one product, or ErrNotFound.
func (m *ProductModel) ByID(ctx context.Context, id bson.ObjectID) (Product, error) {
	var p Product
	err := m.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p)
	return p, notFound(err)
}

// Count returns how many products exist.
func (m *ProductModel) Count(ctx context.Context) (int64, error) {
	return m.coll.CountDocuments(ctx, bson.D{})
}

// Insert stores new products, giving each an id if it has none.
func (m *ProductModel) Insert(ctx context.Context, products ...Product) error {
	docs := make([]any, len(products))
	for i := range products {
		if products[i].ID.IsZero() {
			products[i].ID = bson.NewObjectID()
		}
		docs[i] = products[i]
	}
	_, err := m.coll.InsertMany(ctx, docs)
	return err
}

func (m *ProductModel) find(ctx context.Context, filter any, opts ...options.Lister[options.FindOptions]) ([]Product, error) {
	cur, err := m.coll.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	products := []Product{}
	if err := cur.All(ctx, &products); err != nil {
		return nil, err
	}
	return products, nil
}
