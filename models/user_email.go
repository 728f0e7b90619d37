package models

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The userEmails index: one document per email as compared (NormalizeEmail), listing the
// accounts whose email it is: {_id: "bob@example.com", userIds: [ObjectId(...)]}. Usually one;
// more only where the Node course app made accounts that differ by case. A login reads it by
// _id, then each account by _id: two lookups that cost the same at 20 or 20,000 users on the
// embedded database, where a filter on email (or a case-insensitive regex) reads every user.
//
// Signup claims the entry first, then inserts the user; a process that dies in between leaves
// an id that points nowhere, which lookups skip and the reindexer drops after claimGrace.
// Accounts the Node app makes are added by the reindexer (reindex.go), which a login that
// finds nothing also runs (at most once per its gap).

// emailEntry is a document of userEmails.
type emailEntry struct {
	Key     string          `bson:"_id"`
	UserIDs []bson.ObjectID `bson:"userIds"`
}

// byEmailKey returns the live accounts listed under key whose email still has that key.
func (m *UserModel) byEmailKey(ctx context.Context, key string) ([]User, error) {
	var entry emailEntry
	err := m.emailReads.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&entry)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	users := []User{}
	for _, id := range entry.UserIDs {
		var u User
		err := m.reads.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&u)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // a claim whose signup is in flight or died
		}
		if err != nil {
			return nil, err
		}
		if NormalizeEmail(u.Email) == key {
			users = append(users, u)
		}
	}
	return users, nil
}

// claimEmail adds id under email's key, or answers ErrDuplicateEmail if a live account (or a
// signup younger than claimGrace) is already there. The $addToSet with upsert is one atomic
// write, so of two simultaneous signups the second sees the first's claim.
func (m *UserModel) claimEmail(ctx context.Context, email string, id bson.ObjectID) error {
	// An account the Node app made in another letter case must block this address too.
	if _, err := m.emailIndex.catchUp(ctx, time.Now()); err != nil {
		return err
	}
	key := NormalizeEmail(email)
	var before emailEntry
	err := m.emails.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "userIds", Value: id}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.Before)).Decode(&before)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return err
	}
	for _, other := range before.UserIDs {
		live, err := m.claimLive(ctx, key, other)
		if err != nil || live {
			undo := pullEntry(context.WithoutCancel(ctx), m.emails, key, "userIds", id)
			if err != nil {
				return errors.Join(err, undo)
			}
			return errors.Join(ErrDuplicateEmail, undo)
		}
	}
	return nil
}

// claimLive reports whether an entry's id is an account with that key, or a signup that may
// still be writing it.
func (m *UserModel) claimLive(ctx context.Context, key string, id bson.ObjectID) (bool, error) {
	var u User
	err := m.coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "email", Value: 1}})).Decode(&u)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return time.Since(id.Timestamp()) < claimGrace, nil
	}
	return err == nil && NormalizeEmail(u.Email) == key, err
}

// reindexEmails is the userEmails reindexer's pass: every account listed under its email's
// key, nothing else.
func (m *UserModel) reindexEmails(ctx context.Context) (int, error) {
	// Both reads through the pool: a pass must not hold the single writer connection.
	have, err := indexEntries[string](ctx, m.emailReads, "userIds")
	if err != nil {
		return 0, err
	}
	cur, err := m.reads.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "email", Value: 1}}))
	if err != nil {
		return 0, err
	}
	defer cur.Close(ctx)
	want := map[string]map[bson.ObjectID]bool{}
	docs := len(have)
	for cur.Next(ctx) {
		docs++
		var u struct {
			ID    bson.ObjectID `bson:"_id"`
			Email string        `bson:"email"`
		}
		if err := cur.Decode(&u); err != nil || u.Email == "" {
			continue // not an account Gin Shop can log in
		}
		key := NormalizeEmail(u.Email)
		if want[key] == nil {
			want[key] = map[bson.ObjectID]bool{}
		}
		want[key][u.ID] = true
	}
	if err := cur.Err(); err != nil {
		return 0, err
	}
	return docs, syncIndex(ctx, m.emails, "userIds", have, want)
}
