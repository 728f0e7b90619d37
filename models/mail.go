package models

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Mail is a document of the mails collection: the development outbox, where mail goes when no
// SMTP server is configured, so a student can read the reset link at /dev/mailbox.
type Mail struct {
	ID        bson.ObjectID `bson:"_id"`
	To        string        `bson:"to"`
	Subject   string        `bson:"subject"`
	Text      string        `bson:"text"`
	CreatedAt time.Time     `bson:"createdAt"`
}

// MailModel owns the queries on the outbox.
type MailModel struct {
	coll *mongo.Collection
}

// Add stores a mail in the outbox.
func (m *MailModel) Add(ctx context.Context, mail Mail) error {
	if mail.ID.IsZero() {
		mail.ID = bson.NewObjectID()
	}
	if mail.CreatedAt.IsZero() {
		mail.CreatedAt = time.Now()
	}
	_, err := m.coll.InsertOne(ctx, mail)
	return err
}

// Recent returns up to limit mails, newest first (ObjectIDs grow with time).
func (m *MailModel) Recent(ctx context.Context, limit int) ([]Mail, error) {
	cur, err := m.coll.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, err
	}
	mails := []Mail{}
	if err := cur.All(ctx, &mails); err != nil {
		return nil, err
	}
	return mails, nil
}
