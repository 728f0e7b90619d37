package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/database/embedded/inprocess"
	"github.com/ginshop/ginshop/models"
	"github.com/ginshop/ginshop/uploads"
	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/crypto/bcrypt"
)

// fill writes a shop of the given size into dir's embedded database, as Gin Shop itself would
// have written it (index documents included), in bulk.
func fill(dir string, s shopSize) (filled, error) {
	ctx := context.Background()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		return filled{}, err
	}
	cfg.DataDir, cfg.EmbeddedMongoAddr = dir, "127.0.0.1:0"
	db, err := database.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), database.EmbeddedServer(inprocess.Start))
	if err != nil {
		return filled{}, err
	}
	defer db.Close(ctx)
	d := db.Database
	var f filled
	hash, err := bcrypt.GenerateFromPassword([]byte(scalePassword), config.DefaultBcryptCost)
	if err != nil {
		return f, err
	}
	f.bcryptHash = string(hash)
	// User 1's hash has bcrypt's lowest cost (about 1 ms): its login times the shop's own work.
	cheap, err := bcrypt.GenerateFromPassword([]byte(scalePassword), bcrypt.MinCost)
	if err != nil {
		return f, err
	}
	insert := func(coll string, n int, doc func(i int) any) error {
		const batch = 1000
		for from := 0; from < n; from += batch {
			docs := make([]any, 0, batch)
			for i := from; i < min(from+batch, n); i++ {
				docs = append(docs, doc(i))
			}
			if _, err := d.Collection(coll).InsertMany(ctx, docs); err != nil {
				return fmt.Errorf("%s: %w", coll, err)
			}
		}
		return nil
	}

	// Users: the shopper is user 0; everyone has the same hash (bcrypt is timed apart).
	userIDs := make([]bson.ObjectID, s.users)
	for i := range userIDs {
		userIDs[i] = bson.NewObjectID()
	}
	email := func(i int) string {
		if i == 0 {
			return scaleEmail
		}
		return fmt.Sprintf("user%d@example.test", i)
	}
	// Products: the shopper owns the first ownedProducts, the rest are spread over the others.
	productIDs := make([]bson.ObjectID, s.products)
	for i := range productIDs {
		productIDs[i] = bson.NewObjectID()
	}
	cart := bson.A{}
	for i := range min(3, s.products) {
		cart = append(cart, bson.D{{Key: "productId", Value: productIDs[s.products-1-i]}, {Key: "quantity", Value: 1}})
	}
	err = insert(database.Users, s.users, func(i int) any {
		items := bson.A{}
		if i == 0 {
			items = cart
		}
		hash := f.bcryptHash
		if i == 1 {
			hash = string(cheap)
		}
		return bson.D{{Key: "_id", Value: userIDs[i]}, {Key: "email", Value: email(i)}, {Key: "password", Value: hash},
			{Key: "cart", Value: bson.D{{Key: "items", Value: items}}}}
	})
	if err == nil {
		err = insert(database.UserEmails, s.users, func(i int) any {
			return bson.D{{Key: "_id", Value: strings.ToLower(email(i))}, {Key: "userIds", Value: bson.A{userIDs[i]}}}
		})
	}
	if err != nil {
		return f, err
	}

	// Images first, so products can show them.
	pic := noisePNG()
	img, err := uploads.Check(pic)
	if err != nil {
		return f, err
	}
	store := uploads.New(d, db.Reads, 5<<20)
	imageURLs := make([]string, s.images)
	for i := range imageURLs {
		if imageURLs[i], err = store.Save(ctx, img); err != nil {
			return f, err
		}
	}
	f.imageURL = imageURLs[len(imageURLs)/2]
	owner := func(i int) bson.ObjectID {
		if i < ownedProducts {
			return userIDs[0]
		}
		return userIDs[1+i%max(1, s.users-1)]
	}
	err = insert(database.Products, s.products, func(i int) any {
		return bson.D{{Key: "_id", Value: productIDs[i]}, {Key: "title", Value: fmt.Sprintf("Product %d", i)},
			{Key: "price", Value: float64(1+i%500) + 0.99}, {Key: "description", Value: strings.Repeat("A fine thing to own. ", 10)},
			{Key: "imageUrl", Value: imageURLs[i%len(imageURLs)]}, {Key: "userId", Value: owner(i)}}
	})
	if err != nil {
		return f, err
	}
	f.productID = productIDs[len(productIDs)/2].Hex()

	// Orders: the shopper has shopperOrders, the rest are spread over the other users.
	orderIDs := make([]bson.ObjectID, s.orders)
	byUser := map[bson.ObjectID]bson.A{}
	for i := range orderIDs {
		orderIDs[i] = bson.NewObjectID()
		u := userIDs[0]
		if i >= shopperOrders {
			u = userIDs[1+i%max(1, s.users-1)]
		}
		byUser[u] = append(byUser[u], orderIDs[i])
	}
	err = insert(database.Orders, s.orders, func(i int) any {
		u := userIDs[0]
		if i >= shopperOrders {
			u = userIDs[1+i%max(1, s.users-1)]
		}
		p := productIDs[i%len(productIDs)]
		return bson.D{{Key: "_id", Value: orderIDs[i]},
			{Key: "products", Value: bson.A{bson.D{{Key: "product", Value: bson.D{{Key: "title", Value: "Product"}, {Key: "price", Value: 9.99},
				{Key: "description", Value: "A fine thing to own."}, {Key: "imageUrl", Value: imageURLs[0]}, {Key: "_id", Value: p}}},
				{Key: "quantity", Value: 2}}}},
			{Key: "user", Value: bson.D{{Key: "email", Value: email(0)}, {Key: "userId", Value: u}}},
			{Key: "createdAt", Value: time.Now().UTC()}}
	})
	if err != nil {
		return f, err
	}
	owners := make([]bson.ObjectID, 0, len(byUser))
	for u := range byUser {
		owners = append(owners, u)
	}
	err = insert(database.UserOrders, len(owners), func(i int) any {
		return bson.D{{Key: "_id", Value: owners[i]}, {Key: "orderIds", Value: byUser[owners[i]]}}
	})
	if err != nil {
		return f, err
	}

	// Sessions of other visitors, logged in, in connect-mongodb-session's shape.
	expires := time.Now().Add(24 * time.Hour).UTC()
	err = insert(database.Sessions, s.sessions, func(i int) any {
		u := userIDs[i%len(userIDs)]
		return bson.D{{Key: "_id", Value: fmt.Sprintf("bench-session-%d-%x", i, rand.Uint64())}, {Key: "expires", Value: expires},
			{Key: "session", Value: bson.D{
				{Key: "cookie", Value: bson.D{{Key: "originalMaxAge", Value: int64(7200000)}, {Key: "expires", Value: expires},
					{Key: "httpOnly", Value: true}, {Key: "path", Value: "/"}, {Key: "sameSite", Value: "lax"}, {Key: "secure", Value: false}}},
				{Key: "isLoggedIn", Value: true},
				{Key: "user", Value: bson.D{{Key: "_id", Value: u}, {Key: "email", Value: email(i % len(userIDs))}}}}}}
	})
	if err != nil {
		return f, err
	}

	// The shop's declared indexes, built over the full data: what an upgrade that brings them to
	// a grown shop costs once. (A shop that grew under Gin Shop built them empty at its first
	// start; either way its starts from here on find them in place.)
	began := time.Now()
	err = models.EnsureIndexes(ctx, d)
	f.indexBuild = time.Since(began)
	return f, err
}

// noisePNG is a 200 KB PNG of random pixels (noise does not compress).
func noisePNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 256, 200))
	for i := range img.Pix {
		img.Pix[i] = byte(rand.IntN(256))
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

var pageCount = regexp.MustCompile(`\?page=(\d+)"`)
