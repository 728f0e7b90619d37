// Package database connects Gin Shop to MongoDB: either the server named by MONGODB_URI, or an
// embedded FerretDB that it starts itself. Either way the app talks to it with the official
// driver over the wire protocol, so both modes run the same code.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
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
	// One counter document per email and per client address, keyed by a hash, like loginAttempts.
	ResetRequests = "resetRequests"
	// The GridFS bucket "images" of uploaded product pictures (see uploads/).
	ImageFiles  = "images.files"
	ImageChunks = "images.chunks"
	// Index documents the models keep beside the data, so hot lookups are by _id (models/indexes.go).
	UserEmails = "userEmails"
	UserOrders = "userOrders"
	// Version counters, {_id: "products", v}: how instances learn of each other's product writes.
	Versions = "versions"
)

// collections the app creates up front, so their indexes (and the embedded server's SQLite
// _id index) exist before the first request.
var collections = []string{Products, Users, Orders, Sessions, Mails, LoginAttempts, ResetRequests, ImageFiles, ImageChunks, UserEmails, UserOrders, Versions}

// Server names the kind of server at the other end, from its buildInfo.
type Server string

const (
	MongoDB  Server = "MongoDB"
	FerretDB Server = "FerretDB"
)

// DB is an open connection to the shop's database, and the embedded server if the app started one.
//
// It has two handles on the same database, because FerretDB v1 applies an update as "read the
// document, change it in Go, write it back": two connections updating one document at once
// lose one of the updates. So on FerretDB (embedded or external) every write goes through a
// client with a single connection, which makes each write atomic, while the pages' reads use a
// pool and run in parallel. A read on the pool sees every write acknowledged before it (FerretDB
// commits each write to SQLite before answering), so a redirect after "add to cart" shows the
// item. On a real MongoDB each update is atomic on the server and both handles share one pool.
type DB struct {
	// Database takes the writes, and the reads that must happen in step with them
	// (read-modify-write loops). On FerretDB its client has exactly one connection.
	Database *mongo.Database
	// Reads takes the read-only queries of the pages: sessions, users, products, orders.
	Reads *mongo.Database
	// Client is Database's client; readClient is Reads' (the same one on MongoDB).
	Client     *mongo.Client
	readClient *mongo.Client
	// Server is what buildInfo says the server is.
	Server Server
	// URI is where mongosh or Compass can open the same data (credentials left out).
	URI string

	// reachable is what the driver's server monitor last saw: false once no server is usable
	// (the database went away), true again when a heartbeat finds one. See RequestContext.
	reachable atomic.Bool

	embedded     *Embedded
	ownsEmbedded bool // stop the embedded server on Close
}

// Embedded reports whether the database is the app's own FerretDB.
func (db *DB) Embedded() bool { return db.embedded != nil }

// SingleWriter reports whether writes go through one connection (FerretDB), which also means
// only this process may write: a second instance would have a writer connection of its own.
func (db *DB) SingleWriter() bool { return db.Server == FerretDB }

// Option changes how Open connects; the shop itself uses none (the benchmark counts commands).
type Option func(*options.ClientOptions)

// WithMonitor lets m see every command both clients send.
func WithMonitor(m *event.CommandMonitor) Option {
	return func(o *options.ClientOptions) { o.SetMonitor(m) }
}

// Open connects to MONGODB_URI, or starts the embedded server when it is empty, then makes sure
// the collections and indexes exist. It fails within a few seconds if the server does not answer.
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger, opts ...Option) (*DB, error) {
	if !cfg.Embedded() {
		return connect(ctx, cfg.MongoURI, cfg.MongoDB, nil, opts)
	}
	emb, err := StartEmbedded(ctx, cfg.DataDir, cfg.EmbeddedMongoAddr, logger)
	if err != nil {
		return nil, err
	}
	db, err := OpenEmbedded(ctx, emb, cfg.MongoDB, opts...)
	if err != nil {
		emb.Stop()
		return nil, err
	}
	db.ownsEmbedded = true
	return db, nil
}

// OpenEmbedded connects to database dbName on an embedded server that is already running (tests
// share one server between many databases). Closing the DB leaves the server running.
func OpenEmbedded(ctx context.Context, emb *Embedded, dbName string, opts ...Option) (*DB, error) {
	return connect(ctx, emb.URI(dbName), dbName, emb, opts)
}

// Timeouts. A request must fail fast when the database is gone (a 503 page within about a
// second) but wait its turn when the database is only busy (a burst of logins queues for the
// single writer connection, a burst of page views for the read pool, instead of failing).
const (
	// opTimeout bounds every operation that has no shorter deadline, waiting for a server or a
	// connection included: a stalled server fails the request with a 503 instead of hanging it.
	opTimeout = 3 * time.Second
	// downBudget is all the time a request's queries get while the database is known to be down.
	downBudget = time.Second
	// maxReadConnections caps the read pool; FerretDB does the work on two cores, so more
	// connections would only queue inside it.
	maxReadConnections = 32
)

// RequestContext gives a request's database work its time limit: while the driver knows the
// database is down, one second, so the 503 page comes at once instead of after every query's
// full wait; otherwise nothing beyond each operation's own timeout, so in a burst a request
// waits for a connection as long as that allows.
func (db *DB) RequestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if db.reachable.Load() {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, downBudget)
}

// watchServers keeps db.reachable up to date from the driver's topology events.
func (db *DB) watchServers() *event.ServerMonitor {
	return &event.ServerMonitor{
		TopologyDescriptionChanged: func(e *event.TopologyDescriptionChangedEvent) {
			up := false
			for _, s := range e.NewDescription.Servers {
				up = up || s.Kind != "Unknown"
			}
			db.reachable.Store(up)
		},
	}
}

func connect(ctx context.Context, uri, dbName string, emb *Embedded, extra []Option) (*DB, error) {
	db := &DB{URI: redact(uri), embedded: emb}
	base := func() *options.ClientOptions {
		o := options.Client().ApplyURI(uri).SetConnectTimeout(3 * time.Second).SetTimeout(opTimeout)
		for _, opt := range extra {
			opt(o)
		}
		return o
	}
	reads := base().SetServerSelectionTimeout(opTimeout).SetServerMonitor(db.watchServers())
	if emb != nil {
		reads.SetMaxPoolSize(maxReadConnections).SetMinPoolSize(2)
	}
	client, err := mongo.Connect(reads)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", db.URI, err)
	}
	db.readClient = client
	fail := func(err error) (*DB, error) {
		_ = db.disconnect(context.Background())
		return nil, err
	}

	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx, nil); err != nil {
		return fail(fmt.Errorf("the database at %s does not answer: %w", db.URI, err))
	}
	db.reachable.Store(true)
	if db.Server, err = serverKind(pingCtx, client); err != nil {
		return fail(fmt.Errorf("the database at %s: buildInfo: %w", db.URI, err))
	}

	db.Client = client
	if db.SingleWriter() {
		// One connection for all writes. Waiting for it is bounded by the operation's own
		// deadline (opTimeout or the request's), not by a short selection timeout: under a burst
		// the writes queue, they do not fail.
		writes := base().SetMaxPoolSize(1).SetServerSelectionTimeout(opTimeout)
		if db.Client, err = mongo.Connect(writes); err != nil {
			return fail(fmt.Errorf("connect to %s: %w", db.URI, err))
		}
	}
	db.Database = db.Client.Database(dbName)
	db.Reads = db.readClient.Database(dbName)
	if err := db.prepare(ctx); err != nil {
		return fail(err)
	}
	return db, nil
}

// serverKind asks buildInfo what the server is: FerretDB adds a ferretdbVersion field.
func serverKind(ctx context.Context, client *mongo.Client) (Server, error) {
	var info bson.M
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return "", err
	}
	if _, ok := info["ferretdbVersion"]; ok {
		return FerretDB, nil
	}
	return MongoDB, nil
}

// Ping asks the server for a sign of life; /healthz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.readClient.Ping(ctx, nil) }

// Close disconnects and then stops the embedded server, so every acknowledged write is on disk.
func (db *DB) Close(ctx context.Context) error {
	err := db.disconnect(ctx)
	if db.ownsEmbedded {
		db.embedded.Stop()
	}
	return err
}

func (db *DB) disconnect(ctx context.Context) error {
	var errs []error
	if db.Client != nil && db.Client != db.readClient {
		errs = append(errs, db.Client.Disconnect(ctx))
	}
	if db.readClient != nil {
		errs = append(errs, db.readClient.Disconnect(ctx))
	}
	return errors.Join(errs...)
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
	// The app's indexes are declared in models/indexes.go and created by app.New.
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

// LogMode says at start-up how the app talks to its database, and warns when an external
// FerretDB would lose updates if a second instance wrote to it.
func (db *DB) LogMode(logger *slog.Logger) {
	switch {
	case db.Embedded():
		logger.Info("database: embedded FerretDB; writes through one connection (atomic), reads pooled",
			"server", db.Server, "writes", "single connection")
	case db.SingleWriter():
		logger.Warn("database: MONGODB_URI is a FerretDB server; this instance sends its writes through one connection, "+
			"which keeps them atomic only while no other instance writes to the same database. "+
			"Run several instances on a real MongoDB (replica set or Atlas).",
			"uri", db.URI, "server", db.Server, "writes", "single connection")
	default:
		logger.Info("database: MongoDB; reads and writes share one connection pool", "uri", db.URI, "server", db.Server, "writes", "pooled")
	}
}
