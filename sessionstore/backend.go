package sessionstore

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// backend is where a Store keeps its documents: the MongoDB collection (connect-mongodb-session,
// New) or a map in this process (express-session's MemoryStore, NewMemory). Everything else, the
// signed cookie, the expiry rules and writing only what changed, is the same Store code for both.
// Errors other than errNoDocument are the database's own; the Store wraps them in ErrUnavailable.
type backend interface {
	find(ctx context.Context, id string) (bson.Raw, error) // errNoDocument when there is none
	insert(ctx context.Context, id string, doc bson.D) error
	update(ctx context.Context, id string, set bson.D, unset []string) (matched bool, err error)       // $set / $unset dotted paths; never inserts
	recordStart(ctx context.Context, id string, createdAt time.Time) error                             // set createdAt where it is missing
	touch(ctx context.Context, id string, expires time.Time, cookieToo bool) (matched bool, err error) // expires (and session.cookie.expires)
	delete(ctx context.Context, id string) error
	deleteUser(ctx context.Context, userID bson.ObjectID, exceptID string) (int64, error)
	sweep(ctx context.Context, now, createdBefore time.Time) (int64, error) // expires <= now or createdAt <= createdBefore
	ensureExpiryIndex(ctx context.Context) (ttl bool, err error)
}

// errNoDocument: no session document has that id.
var errNoDocument = errors.New("sessionstore: no session document")

// collection keeps the documents in MongoDB (or FerretDB), one per session, by _id.
type collection struct {
	coll  *mongo.Collection // writes
	reads *mongo.Collection // loading a session on each request (the pooled read client)
}

func (c collection) find(ctx context.Context, id string) (bson.Raw, error) {
	return findRaw(ctx, c.reads, id)
}

func findRaw(ctx context.Context, coll *mongo.Collection, id string) (bson.Raw, error) {
	raw, err := coll.FindOne(ctx, byID(id)).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, errNoDocument
	}
	return raw, err
}

func (c collection) insert(ctx context.Context, _ string, doc bson.D) error {
	_, err := c.coll.InsertOne(ctx, doc) // the unique _id: it can never overwrite another session
	return err
}

// update sets and unsets only the given fields (session.<key>, expires): what the request did
// not change, and fields another app added, stay as they are.
func (c collection) update(ctx context.Context, id string, set bson.D, unset []string) (bool, error) {
	upd := bson.D{{Key: "$set", Value: set}}
	if len(unset) > 0 {
		u := make(bson.D, len(unset))
		for i, k := range unset {
			u[i] = bson.E{Key: k, Value: ""}
		}
		upd = append(upd, bson.E{Key: "$unset", Value: u})
	}
	res, err := c.coll.UpdateOne(ctx, byID(id), upd)
	if err != nil {
		return false, err
	}
	return res.MatchedCount > 0, nil
}

func (c collection) recordStart(ctx context.Context, id string, createdAt time.Time) error {
	_, err := c.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "createdAt", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "createdAt", Value: createdAt}}}})
	return err
}

func (c collection) touch(ctx context.Context, id string, expires time.Time, cookieToo bool) (bool, error) {
	set := bson.D{{Key: "expires", Value: expires}}
	if cookieToo {
		set = append(set, bson.E{Key: "session.cookie.expires", Value: expires})
	}
	res, err := c.coll.UpdateOne(ctx, byID(id), bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return false, err
	}
	return res.MatchedCount > 0, nil
}

func (c collection) delete(ctx context.Context, id string) error {
	_, err := c.coll.DeleteOne(ctx, byID(id))
	return err
}

// deleteUser filters on session.user._id, which scans the collection on FerretDB v1; that is
// fine for a rare operation (a password reset).
func (c collection) deleteUser(ctx context.Context, userID bson.ObjectID, exceptID string) (int64, error) {
	filter := bson.D{{Key: "session.user._id", Value: userID}}
	if exceptID != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$ne", Value: exceptID}}})
	}
	res, err := c.coll.DeleteMany(ctx, filter)
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

// sweep finds the expired sessions through the read pool and deletes them one by one, by _id.
// On the embedded database a filter other than exactly {_id: value} reads the whole collection;
// as one DeleteMany that scan would hold the single writer connection (every write of the shop
// waits behind it, and at 100,000 sessions it outlasts the operation timeout). Reading on the
// pool and deleting by _id keeps each write short. An expired session can never come back to
// life (loading refuses it), so deleting it after the read is safe.
func (c collection) sweep(ctx context.Context, now, createdBefore time.Time) (int64, error) {
	filter := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "expires", Value: bson.D{{Key: "$lte", Value: now}}}},
		bson.D{{Key: "createdAt", Value: bson.D{{Key: "$lte", Value: createdBefore}}}},
	}}}
	cur, err := c.reads.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return 0, err
	}
	var expired []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &expired); err != nil {
		return 0, err
	}
	var n int64
	for _, e := range expired {
		res, err := c.coll.DeleteOne(ctx, byID(e.ID))
		if err != nil {
			return n, err
		}
		n += res.DeletedCount
	}
	return n, nil
}

// ensureExpiryIndex creates the TTL index {expires: 1} with expireAfterSeconds: 0; a server that
// answers with an error (FerretDB v1: NotImplemented) gets (false, nil).
func (c collection) ensureExpiryIndex(ctx context.Context) (bool, error) {
	_, err := c.coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expires", Value: 1}},
		Options: options.Index().SetName("expires_ttl").SetExpireAfterSeconds(0),
	})
	if err == nil {
		return true, nil
	}
	var serverErr mongo.ServerError
	if errors.As(err, &serverErr) {
		return false, nil // the server answered, but will not expire documents itself
	}
	return false, err
}

func byID(id string) bson.D {
	return bson.D{{Key: "_id", Value: id}}
}
