package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// throttleKey is the _id of a throttle document: a hash of its parts, so every lookup is by _id
// (fast on the embedded server) and the collection holds no email addresses or IPs in clear.
func throttleKey(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// countInWindow adds one to the counter field of the document key and decodes the document as
// it is after that into out. A window that is over (and has no running lockedUntil) starts
// again at now. Each write is atomic on its own and conditional, never a blind read-then-write,
// so simultaneous requests never lose a count: the $inc is the one upsert that decides.
func countInWindow(ctx context.Context, coll *mongo.Collection, key, field string, now time.Time, window time.Duration, out any) error {
	// Count first, by _id: one command in the usual case. Only a window found over is restarted,
	// with a conditional delete (a read of the whole collection on the embedded database, so it
	// is sent only then) and the count again.
	var raw bson.Raw
	if err := increment(ctx, coll, key, field, now, window, &raw); err != nil {
		return err
	}
	var cur struct {
		WindowStart time.Time `bson:"windowStart"`
		LockedUntil time.Time `bson:"lockedUntil"`
	}
	if err := bson.Unmarshal(raw, &cur); err != nil {
		return err
	}
	if cur.WindowStart.After(now.Add(-window)) || cur.LockedUntil.After(now) {
		return bson.Unmarshal(raw, out)
	}
	_, err := coll.DeleteOne(ctx, bson.D{
		{Key: "_id", Value: key},
		{Key: "windowStart", Value: bson.D{{Key: "$lte", Value: now.Add(-window)}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "lockedUntil", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "lockedUntil", Value: bson.D{{Key: "$lte", Value: now}}}},
		}},
	})
	if err != nil {
		return err
	}
	return increment(ctx, coll, key, field, now, window, out)
}

// increment is countInWindow's upsert.
func increment(ctx context.Context, coll *mongo.Collection, key, field string, now time.Time, window time.Duration, out any) error {
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: field, Value: 1}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "windowStart", Value: now}, {Key: "expires", Value: now.Add(window)}}},
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: key}}, update, opts).Decode(out)
	if mongo.IsDuplicateKeyError(err) {
		// Two first upserts raced on a MongoDB with several writers: the document exists now.
		err = coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: key}}, update, opts).Decode(out)
	}
	return err
}

// deleteExpired removes the throttle documents whose window and lockout are over.
func deleteExpired(ctx context.Context, coll *mongo.Collection, now time.Time) (int64, error) {
	res, err := coll.DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: now}}}})
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}
