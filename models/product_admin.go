package models

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The admin pages change only the logged-in user's own products: someone else's product is
// simply not found (the course's Product.deleteOne({ _id: prodId, userId: req.user._id })).
// The owner is checked in Go on a product found by _id, and the write then filters on _id
// alone: on the embedded database any other filter reads the whole collection, and a
// product's userId never changes, so the check cannot go stale between the two.

// Create stores a new product owned by p.UserID and returns it with its new id.
func (m *ProductModel) Create(ctx context.Context, p Product) (Product, error) {
	p.ID = bson.NewObjectID()
	if _, err := m.coll.InsertOne(ctx, p); err != nil {
		m.InvalidateCatalog() // the insert may have happened
		return Product{}, err
	}
	m.changed(ctx, p, false)
	return p, nil
}

// ByOwner returns the user's products, oldest first (Product.find({userId: req.user._id})),
// cut out of the cached catalog; only a catalog too large to cache is queried.
func (m *ProductModel) ByOwner(ctx context.Context, userID bson.ObjectID) ([]Product, error) {
	cat, err := m.catalog.get(ctx, m.source)
	if err != nil {
		return nil, err
	}
	if cat.complete {
		return cat.owned(userID), nil
	}
	return m.find(ctx, bson.D{{Key: "userId", Value: userID}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// OwnedByID returns the user's product with that id, or ErrNotFound (also when someone else
// owns it).
func (m *ProductModel) OwnedByID(ctx context.Context, id, userID bson.ObjectID) (Product, error) {
	p, err := m.ByID(ctx, id)
	if err == nil && p.UserID != userID {
		return Product{}, ErrNotFound
	}
	return p, err
}

// ownedForWrite reads the product through the writer, in step with the write that follows,
// and checks its owner.
func (m *ProductModel) ownedForWrite(ctx context.Context, id, userID bson.ObjectID) error {
	var p Product
	if err := m.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p); err != nil {
		return notFound(err)
	}
	if p.UserID != userID {
		return ErrNotFound
	}
	return nil
}

// UpdateOwned sets the title, price and description of the user's product, and its image when
// imageURL is not empty. It returns the product as it was before, so the caller can delete a
// replaced image; ErrNotFound if the user owns no such product.
func (m *ProductModel) UpdateOwned(ctx context.Context, id, userID bson.ObjectID, fields Product, imageURL string) (Product, error) {
	if err := m.ownedForWrite(ctx, id, userID); err != nil {
		return Product{}, err
	}
	set := bson.D{
		{Key: "title", Value: fields.Title},
		{Key: "price", Value: fields.Price},
		{Key: "description", Value: fields.Description},
	}
	if imageURL != "" {
		set = append(set, bson.E{Key: "imageUrl", Value: imageURL})
	}
	var before Product
	err := m.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}},
		options.FindOneAndUpdate().SetReturnDocument(options.Before)).Decode(&before)
	if err != nil {
		m.InvalidateCatalog()
		return Product{}, notFound(err)
	}
	after := before
	after.Title, after.Price, after.Description = fields.Title, fields.Price, fields.Description
	if imageURL != "" {
		after.ImageURL = imageURL
	}
	m.changed(ctx, after, false)
	return before, nil
}

// DeleteOwned deletes the user's product and returns it, or ErrNotFound.
func (m *ProductModel) DeleteOwned(ctx context.Context, id, userID bson.ObjectID) (Product, error) {
	if err := m.ownedForWrite(ctx, id, userID); err != nil {
		return Product{}, err
	}
	var p Product
	err := m.coll.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&p)
	if err != nil {
		m.InvalidateCatalog()
		return Product{}, notFound(err)
	}
	m.changed(ctx, p, true)
	return p, nil
}

// ImagesInUse reports which of the image URLs some product's imageUrl still is. The image
// sweeper asks it before deleting images that look orphaned.
func (m *ProductModel) ImagesInUse(ctx context.Context, urls []string) (map[string]bool, error) {
	used := map[string]bool{}
	if len(urls) == 0 {
		return used, nil
	}
	// Through the read pool: it only matters for images older than the sweeper's grace period,
	// which no product write in progress can start to use.
	cur, err := m.reads.Find(ctx, bson.D{{Key: "imageUrl", Value: bson.D{{Key: "$in", Value: urls}}}},
		options.Find().SetProjection(bson.D{{Key: "imageUrl", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var found []Product
	if err := cur.All(ctx, &found); err != nil {
		return nil, err
	}
	for _, p := range found {
		used[p.ImageURL] = true
	}
	return used, nil
}
