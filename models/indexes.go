package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ginshop/ginshop/database"
)

// Every MongoDB index the app relies on, declared here and nowhere else (the sessions
// collection's expiry index belongs to sessionstore). Every query the models send is served
// by one of these or by _id: app/indexes_test.go records the queries the pages send over the
// wire and fails on one that no index serves.
//
// The embedded database (FerretDB v1 on SQLite) accepts these indexes but uses none of them:
// it answers only a filter that is exactly {_id: value} without reading the whole collection
// (database/embedded indexes that). So every query on a page's path is by _id: the catalog
// is cached in memory (catalog.go), and what MongoDB would find by a secondary index (a user's
// orders, an email's account) is found through an index document kept beside the data
// (userOrders, userEmails; reindex.go; resetTokens, user_reset.go). Writes that MongoDB makes
// conditional (the cart's compare-and-swap) are made by _id under a lock in the process there
// (cart.go), and a deleted product leaves the carts in a background job.

// Index is one declared index.
type Index struct {
	Collection string
	Keys       bson.D
	Name       string
	Unique     bool
	Why        string // the query it serves
}

// Indexes is the list EnsureIndexes creates.
var Indexes = []Index{
	{Collection: database.Users, Keys: bson.D{{Key: "email", Value: 1}}, Name: "email_unique", Unique: true,
		Why: "no two accounts with exactly the same email (signup's last line of defence); the reindexer's scan"},
	{Collection: database.Users, Keys: bson.D{{Key: "resetToken", Value: 1}}, Name: "resetToken",
		Why: "the Node course app's User.findOne({resetToken}) (Gin Shop finds a token in resetTokens by _id)"},
	{Collection: database.Users, Keys: bson.D{{Key: "cart.items.productId", Value: 1}}, Name: "cart_productId",
		Why: "the cart cleanup job after a product is deleted (RemoveFromAllCarts)"},
	{Collection: database.Products, Keys: bson.D{{Key: "userId", Value: 1}, {Key: "_id", Value: 1}}, Name: "userId_id",
		Why: "ByOwner when the catalog is too large to cache"},
	{Collection: database.Products, Keys: bson.D{{Key: "imageUrl", Value: 1}}, Name: "imageUrl",
		Why: "ImagesInUse, the image sweeper"},
	{Collection: database.Orders, Keys: bson.D{{Key: "user.userId", Value: 1}}, Name: "user_userId",
		Why: "the Node course app's Order.find({'user.userId'}) (Gin Shop lists a user's orders in userOrders)"},
	{Collection: database.LoginAttempts, Keys: bson.D{{Key: "expires", Value: 1}}, Name: "expires",
		Why: "the throttle sweeper"},
	{Collection: database.ResetRequests, Keys: bson.D{{Key: "expires", Value: 1}}, Name: "expires",
		Why: "the throttle sweeper"},
	{Collection: database.ResetTokens, Keys: bson.D{{Key: "expires", Value: 1}}, Name: "expires",
		Why: "the reset-token sweeper"},
	{Collection: database.AddressLimits, Keys: bson.D{{Key: "expires", Value: 1}}, Name: "expires",
		Why: "the address-limit sweeper"},
	{Collection: database.LessonTraces, Keys: bson.D{{Key: "expires", Value: 1}}, Name: "expires",
		Why: "the lesson-trace sweeper"},
	{Collection: database.ImageFiles, Keys: bson.D{{Key: "filename", Value: 1}, {Key: "uploadDate", Value: 1}}, Name: "filename_1_uploadDate_1",
		Why: "GridFS's own index (the driver and mongofiles expect it)"},
	{Collection: database.ImageFiles, Keys: bson.D{{Key: "uploadDate", Value: 1}}, Name: "uploadDate",
		Why: "the image sweeper's old files"},
	{Collection: database.ImageChunks, Keys: bson.D{{Key: "files_id", Value: 1}, {Key: "n", Value: 1}}, Name: "files_id_1_n_1", Unique: true,
		Why: "GridFS's own index: an image's chunks in order, the sweeper's unfinished uploads"},
}

// WholeCollectionReads are the collections read whole by design (no filter), each with why
// that is bounded: never per page view.
var WholeCollectionReads = map[string]string{
	database.Products:     "the catalog cache, read in the background at most every max(1 s, 10 × its read time)",
	database.Users:        "the userEmails reindexer (reindex.go)",
	database.UserEmails:   "the userEmails reindexer",
	database.Orders:       "the userOrders reindexer",
	database.UserOrders:   "the userOrders reindexer",
	database.Mails:        "the development outbox, newest first by _id with a limit",
	database.CartCleanups: "the cart cleanup job: the products deleted since its last run, a handful",
}

// EnsureIndexes creates the declared indexes (an existing one with the same name and keys is
// left alone). Building an index over a large collection for the first time (an upgraded shop
// with many images) takes far longer than one operation's usual timeout, hence its own.
func EnsureIndexes(ctx context.Context, db *mongo.Database) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for _, ix := range Indexes {
		opts := options.Index().SetName(ix.Name)
		if ix.Unique {
			opts.SetUnique(true)
		}
		_, err := db.Collection(ix.Collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.Keys, Options: opts})
		if err != nil {
			return fmt.Errorf("create index %s on %s: %w", ix.Name, ix.Collection, err)
		}
	}
	return nil
}

// Served reports whether a query on coll whose filter has these top-level fields can be
// answered from an index: by _id, by a declared index whose first key is one of the fields, or
// (no fields) as one of the WholeCollectionReads.
func Served(coll string, fields []string) bool {
	if len(fields) == 0 {
		_, ok := WholeCollectionReads[coll]
		return ok
	}
	if slices.Contains(fields, "_id") {
		return true
	}
	for _, ix := range Indexes {
		if ix.Collection == coll && slices.Contains(fields, ix.Keys[0].Key) {
			return true
		}
	}
	return false
}
