package database

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// The writer lease: where updates are not atomic across connections (FerretDB), two instances
// writing to one database would lose each other's updates without an error (the first attempt
// kept 28 of 50 "add to cart" clicks). So such a database has one writer, recorded in the leases
// collection as {_id: "writer", holder, expires}. An instance takes the lease at start-up, or
// refuses to start; it renews the lease every LeaseTTL/3 (the app's periodic jobs) and gives
// it up when it closes. The lease of an instance that was killed (kill -9, a crash, a lost
// machine) lapses by itself: another instance can start at most DefaultLeaseTTL after the last
// renewal. A shop that starts its embedded server itself takes the lease at once: whoever held it
// was connected to the previous server on those files, which died with its process (a crash and
// a restart must not wait). Each step is a single insert, update or delete, so two instances starting at once
// cannot both win: the insert of _id "writer" is the one that decides. (One case is left: a
// holder frozen for longer than the lease whose renewal lands while another instance takes the
// lapsed lease over; the renewal after that reports the loss in the log.) Times are each
// machine's own clock: instances on machines whose clocks disagree belong on MongoDB anyway.

// DefaultLeaseTTL is how long the writer lease lasts without being renewed.
const DefaultLeaseTTL = 15 * time.Second

// ErrWriterTaken is Open's error when another instance holds the writer lease.
var ErrWriterTaken = errors.New("another instance writes to this database")

const writerLeaseID = "writer"

type leaseDoc struct {
	ID      string    `bson:"_id"`
	Holder  string    `bson:"holder"`
	Expires time.Time `bson:"expires"`
}

type writerLease struct {
	coll   *mongo.Collection
	ttl    time.Duration
	holder string // host, process id and a random part: unique to this DB value
	now    func() time.Time
}

func newWriterLease(coll *mongo.Collection, ttl time.Duration) *writerLease {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &writerLease{coll: coll, ttl: ttl, holder: fmt.Sprintf("%s/pid %d/%s", host, os.Getpid(), hex.EncodeToString(b)), now: time.Now}
}

// take renews the lease if this instance holds it, or takes it if nobody does or its holder
// let it lapse; otherwise it answers an error wrapping ErrWriterTaken that names the holder.
func (l *writerLease) take(ctx context.Context) error {
	now := l.now().UTC().Truncate(time.Millisecond)
	expires := now.Add(l.ttl)
	id := bson.D{{Key: "_id", Value: writerLeaseID}}
	res, err := l.coll.UpdateOne(ctx, append(id, bson.E{Key: "holder", Value: l.holder}),
		bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: expires}}}})
	if err != nil {
		return fmt.Errorf("writer lease: %w", err)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	if _, err := l.coll.DeleteOne(ctx, append(id, bson.E{Key: "expires", Value: bson.D{{Key: "$lte", Value: now}}})); err != nil {
		return fmt.Errorf("writer lease: %w", err)
	}
	_, err = l.coll.InsertOne(ctx, leaseDoc{ID: writerLeaseID, Holder: l.holder, Expires: expires})
	if !mongo.IsDuplicateKeyError(err) {
		if err != nil {
			return fmt.Errorf("writer lease: %w", err)
		}
		return nil
	}
	var other leaseDoc
	if err := l.coll.FindOne(ctx, id).Decode(&other); err != nil {
		return fmt.Errorf("%w (and reading its lease failed: %v)", ErrWriterTaken, err)
	}
	return fmt.Errorf("%w: %s holds the writer lease until %s; this server's updates are not atomic across connections, "+
		"so only one instance may write: stop that instance (a killed one's lease lapses after %s), or run several instances on MongoDB",
		ErrWriterTaken, other.Holder, other.Expires.Format(time.RFC3339), l.ttl)
}

// forget deletes the lease whoever holds it: only for a server this process has just started.
func (l *writerLease) forget(ctx context.Context) error {
	_, err := l.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: writerLeaseID}})
	return err
}

// release gives the lease up, if this instance still holds it.
func (l *writerLease) release(ctx context.Context) error {
	_, err := l.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: writerLeaseID}, {Key: "holder", Value: l.holder}})
	return err
}

// RenewWriterLease keeps this instance the only writer; the app runs it every
// WriterLeaseRenewal. An error means the lease could not be renewed: the database did not
// answer, or (after this process was frozen for longer than the lease) another instance took it.
func (db *DB) RenewWriterLease(ctx context.Context) (int64, error) {
	if db.lease == nil {
		return 0, nil
	}
	return 0, db.lease.take(ctx)
}

// WriterLeaseRenewal is how often RenewWriterLease must run: a third of the lease, so two
// renewals may fail before it lapses. Zero when this instance holds no lease.
func (db *DB) WriterLeaseRenewal() time.Duration {
	if db.lease == nil {
		return 0
	}
	return db.lease.ttl / 3
}
