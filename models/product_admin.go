package models

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The admin pages change only the logged-in user's own products: every query here filters on
// userId as well as _id, so someone else's product is simply not found (the course's
// Product.deleteOne({ _id: prodId, userId: req.user._id })).

// Create stores a new product owned by p.UserID and returns it with its new id.
func (m *ProductModel) Create(ctx context.Context, p Product) (Product, error) {
	p.ID = bson.NewObjectID()
	defer m.InvalidateCatalog()
	_, err := m.coll.InsertOne(ctx, p)
	return p, err
}

// ByOwner returns the user's products, oldest first.
func (m *ProductModel) ByOwner(ctx context.Context, userID bson.ObjectID) ([]Product, error) {
	return m.find(ctx, bson.D{{Key: "userId", Value: userID}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// OwnedByID returns the user's product with that id, or ErrNotFound (also when someone else
// owns it).
func (m *ProductModel) OwnedByID(ctx context.Context, id, userID bson.ObjectID) (Product, error) {
	var p Product
	err := m.coll.FindOne(ctx, ownedFilter(id, userID)).Decode(&p)
	return p, notFound(err)
}

// UpdateOwned sets the title, price and description of the user's product, and its image when
// imageURL is not empty. It returns the product as it was before, so the caller can delete a
// replaced image; ErrNotFound if the user owns no such product.
func (m *ProductModel) UpdateOwned(ctx context.Context, id, userID bson.ObjectID, fields Product, imageURL string) (Product, error) {
	set := bson.D{
		{Key: "title", Value: fields.Title},
		{Key: "price", Value: fields.Price},
		{Key: "description", Value: fields.Description},
	}
	if imageURL != "" {
		set = append(set, bson.E{Key: "imageUrl", Value: imageURL})
	}
	var before Product
	defer m.InvalidateCatalog()
	err := m.coll.FindOneAndUpdate(ctx, ownedFilter(id, userID), bson.D{{Key: "$set", Value: set}},
		options.FindOneAndUpdate().SetReturnDocument(options.Before)).Decode(&before)
	return before, notFound(err)
}

// DeleteOwned deletes the user's product and returns it, or ErrNotFound.
func (m *ProductModel) DeleteOwned(ctx context.Context, id, userID bson.ObjectID) (Product, error) {
	var p Product
	defer m.InvalidateCatalog()
	err := m.coll.FindOneAndDelete(ctx, ownedFilter(id, userID)).Decode(&p)
	return p, notFound(err)
}

func ownedFilter(id, userID bson.ObjectID) bson.D {
	return bson.D{{Key: "_id", Value: id}, {Key: "userId", Value: userID}}
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
