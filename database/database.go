// Package database connects Gin Shop to MongoDB: either the server named by MONGODB_URI, or an
// embedded FerretDB that it starts itself. Either way the app talks to it with the official
// driver over the wire protocol, so both modes run the same code.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ginshop/ginshop/config"
)

// Collection names, the same as the Node course's Mongoose models produce.
const (
	Products      = "products"
	Users         = "users"
	Orders        = "orders"
	Sessions      = "sessions"
	Mails         = "mails"
	LoginAttempts = "loginAttempts"
)

// collections the app creates up front, so their indexes (and the embedded server's SQLite
// _id index) exist before the first request.
var collections = []string{Products, Users, Orders, Sessions, Mails, LoginAttempts}

// DB is an open connection to the shop's database, and the embedded server if the app started one.
type DB struct {
	Client   *mongo.Client
	Database *mongo.Database
	// URI is where mongosh or Compass can open the same data (credentials left out).
	URI string

	embedded     *Embedded
	ownsEmbedded bool // stop the embedded server on Close
}

// Embedded reports whether the database is the app's own FerretDB.
func (db *DB) Embedded() bool { return db.embedded != nil }

// Open connects to MONGODB_URI, or starts the embedded server when it is empty, then makes sure
// the collections and indexes exist. It fails within a few seconds if the server does not answer.
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger) (*DB, error) {
	if !cfg.Embedded() {
		return connect(ctx, cfg.MongoURI, cfg.MongoDB, nil)
	}
	emb, err := StartEmbedded(ctx, cfg.DataDir, cfg.EmbeddedMongoAddr, logger)
	if err != nil {
		return nil, err
	}
	db, err := OpenEmbedded(ctx, emb, cfg.MongoDB)
	if err != nil {
		emb.Stop()
		return nil, err
	}
	db.ownsEmbedded = true
	return db, nil
}

// OpenEmbedded connects to database dbName on an embedded server that is already running (tests
// share one server between many databases). Closing the DB leaves the server running.
func OpenEmbedded(ctx context.Context, emb *Embedded, dbName string) (*DB, error) {
	return connect(ctx, emb.URI(dbName), dbName, emb)
}

func connect(ctx context.Context, uri, dbName string, emb *Embedded) (*DB, error) {
	db := &DB{URI: redact(uri), embedded: emb}
	opts := options.Client().
		SetConnectTimeout(3 * time.Second).
		// A request waits at most this long for a server: a dead database gives a 503 page
		// quickly instead of a hanging tab.
		SetServerSelectionTimeout(time.Second).
		// Every operation without a shorter deadline gives up after this: a stalled server
		// fails the request with a 503 instead of hanging it.
		SetTimeout(3 * time.Second)
	if emb != nil {
		// FerretDB v1 applies concurrent updates non-atomically; one connection serialises
		// them (and is faster there).
		opts.SetMaxPoolSize(1)
	}
	client, err := mongo.Connect(opts.ApplyURI(uri))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", db.URI, err)
	}
	db.Client = client
	db.Database = client.Database(dbName)

	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx, nil); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("the database at %s does not answer: %w", db.URI, err)
	}
	if err := db.prepare(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return db, nil
}

// Ping asks the server for a sign of life; /healthz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.Client.Ping(ctx, nil) }

// Close disconnects and then stops the embedded server, so every acknowledged write is on disk.
func (db *DB) Close(ctx context.Context) error {
	var err error
	if db.Client != nil {
		err = db.Client.Disconnect(ctx)
	}
	if db.ownsEmbedded {
		db.embedded.Stop()
	}
	return err
}

// prepare creates the collections and the indexes the app relies on.
func (db *DB) prepare(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	existing, err := db.Database.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("list collections: %w", err)
	}
	for _, name := range collections {
		if contains(existing, name) {
			continue
		}
		if err := db.Database.CreateCollection(ctx, name); err != nil && !isNamespaceExists(err) {
			return fmt.Errorf("create collection %s: %w", name, err)
		}
	}
	// Emails are stored lower-cased, so a plain unique index makes them unique case-insensitively;
	// it also decides between two simultaneous signups.
	_, err = db.Database.Collection(Users).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "email", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("email_unique"),
	})
	if err != nil {
		return fmt.Errorf("create unique index on users.email: %w", err)
	}
	if db.embedded != nil {
		if err := db.embedded.IndexIDs(ctx, db.Database.Name()); err != nil {
			return fmt.Errorf("index _id in the embedded database: %w", err)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 48
}
