// Package database connects Gin Shop to MongoDB: either the server named by MONGODB_URI, or an
// embedded FerretDB that it starts itself. Either way the app talks to it with the official
// driver over the wire protocol, so both modes run the same code.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/database/embedded"
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
	// Counters of login and signup requests per client address, like resetRequests.
	AddressLimits = "addressLimits"
	// The GridFS bucket "images" of uploaded product pictures (see uploads/).
	ImageFiles  = "images.files"
	ImageChunks = "images.chunks"
	// One document, {_id: "writer", holder, expires}, where updates are not atomic (lease.go).
	Leases = "leases"
	// What a lesson action did to the session, for the page after its redirect (models.LessonTraceModel).
	LessonTraces = "lessonTraces"
	// The options sandbox's own sessions (/lessons/options), never the shop's (see sandbox/).
	SandboxSessions = "lessonSandboxSessions"
	// Index documents the models keep beside the data, so hot lookups are by _id (models/indexes.go).
	UserEmails = "userEmails"
	UserOrders = "userOrders"
	// Password-reset tokens by token, {_id: token, userId, expires} (models/user_reset.go).
	ResetTokens = "resetTokens"
	// Products deleted whose lines are still to be taken out of carts, {_id: productId} (models/cart.go).
	CartCleanups = "cartCleanups"
	// Version counters, {_id: "products", v}: how instances learn of each other's product writes.
	Versions = "versions"
	// The catalog cache saved in a few documents, so a restart's first page need not read every
	// product (models/catalog_snapshot.go).
	CatalogSnapshots = "catalogSnapshots"
)

// collections the app creates up front, so their indexes (and the embedded server's SQLite
// _id index) exist before the first request.
var collections = []string{Products, Users, Orders, Sessions, Mails, LoginAttempts, ResetRequests, AddressLimits, ImageFiles, ImageChunks, Leases,
	LessonTraces, SandboxSessions, UserEmails, UserOrders, Versions, ResetTokens, CartCleanups, CatalogSnapshots}

// DB is an open connection to the shop's database, and the embedded server if the app started one.
//
// It has two handles on the same database. Where updates are atomic across connections
// (MongoDB) both share one pool. Where they are not (FerretDB, see embedded.AtomicUpdates),
// every write goes through a client with a single connection, which makes each write atomic,
// while the pages' reads use a pool and run in parallel; a read on the pool sees every write
// acknowledged before it, so a redirect after "add to cart" shows the item. Such a database also
// takes one writer per database: the instance holding the writer lease (lease.go).
type DB struct {
	// Database takes the writes, and the reads that must happen in step with them
	// (read-modify-write loops). Without atomic updates its client has exactly one connection.
	Database *mongo.Database
	// Reads takes the read-only queries of the pages: sessions, users, products, orders.
	Reads *mongo.Database
	// Client is Database's client; readClient is Reads' (the same one on MongoDB).
	Client     *mongo.Client
	readClient *mongo.Client
	// URI is where mongosh or Compass can open the same data (the password left out, the user
	// name kept).
	URI string

	atomicUpdates bool
	lease         *writerLease // nil when updates are atomic, or when tests share the writer

	// readsDown and writesDown are what the two clients' server monitors last saw: true once
	// no server is usable (the database went away, or an operation failed on a dead connection),
	// false again when a heartbeat finds one. Either one means the database is down; the writer
	// usually notices first, since a form page's only database work may be its write. See
	// RequestContext.
	readsDown, writesDown atomic.Bool

	embedded     *embedded.Server
	ownsEmbedded bool // stop the embedded server on Close

	// connect opens another client with the settings of Database's (see Monitored).
	connect func(m *event.CommandMonitor) (*mongo.Client, error)
	extra   []*mongo.Client // clients Monitored opened, disconnected on Close
}

// Embedded reports whether the database is the app's own embedded server.
func (db *DB) Embedded() bool { return db.embedded != nil }

// AtomicUpdatesAcrossConnections reports whether the server applies each update atomically
// whoever sends it (MongoDB). When it does not, this process writes through one connection and
// is the only instance that writes (it holds the writer lease).
func (db *DB) AtomicUpdatesAcrossConnections() bool { return db.atomicUpdates }

// Open connects to MONGODB_URI, or starts the embedded server when it is empty, then makes sure
// the collections and indexes exist. It fails within a few seconds if the server does not answer,
// and at once if the server needs a single writer and another instance is it.
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger, opts ...Option) (*DB, error) {
	if !cfg.Embedded() {
		return connect(ctx, cfg.MongoURI, cfg.MongoDB, nil, opts)
	}
	var set settings
	for _, opt := range opts {
		opt(&set)
	}
	if set.start == nil {
		return nil, embedded.ErrNotBuiltIn
	}
	emb, err := set.start(ctx, cfg.DataDir, cfg.EmbeddedMongoAddr, logger)
	if err != nil {
		return nil, err
	}
	// Every writer that held the lease was connected to an earlier server on these files, which
	// died with its process: a shop restarted after a crash takes the lease at once.
	opts = append(opts, func(s *settings) { s.ownServer = true })
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
func OpenEmbedded(ctx context.Context, emb *embedded.Server, dbName string, opts ...Option) (*DB, error) {
	return connect(ctx, emb.URI(dbName), dbName, emb, opts)
}

// Timeouts. A request must fail fast when the database is gone (a 503 page within about a
// second) but wait its turn when the database is only busy (a burst of logins queues for the
// single writer connection, a burst of page views for the read pool, instead of failing).
const (
	// opTimeout bounds every operation that has no shorter deadline, waiting for a server or a
	// connection included: a stalled server fails the request with a 503 instead of hanging it.
	opTimeout = 3 * time.Second
	// downBudget is all the time a request's queries get while the database is known to be
	// down: long enough for a query to notice a server that has just come back, short enough
	// that the 503 page, rendering included, comes within a second.
	downBudget = 500 * time.Millisecond
	// maxReadConnections caps the read pool; FerretDB does the work on two cores, so more
	// connections would only queue inside it.
	maxReadConnections = 32
)

// RequestContext gives a request's database work its time limit: while the driver knows the
// database is down, downBudget in all, so the 503 page comes at once instead of after every query's
// full wait; otherwise nothing beyond each operation's own timeout, so in a burst a request
// waits for a connection as long as that allows.
func (db *DB) RequestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if !db.readsDown.Load() && !db.writesDown.Load() {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, downBudget)
}

// watchServers keeps *down up to date from a client's monitoring events: down while the client
// knows no usable server, unless its last heartbeat only timed out. A server too busy to answer
// a heartbeat in time (a burst on a loaded machine) is slow, not gone: its requests keep their
// full wait instead of all failing at once; a refused or dropped connection is gone.
func watchServers(down *atomic.Bool) *event.ServerMonitor {
	var unknown, slow atomic.Bool
	update := func() { down.Store(unknown.Load() && !slow.Load()) }
	return &event.ServerMonitor{
		TopologyDescriptionChanged: func(e *event.TopologyDescriptionChangedEvent) {
			up := false
			for _, s := range e.NewDescription.Servers {
				up = up || s.Kind != "Unknown"
			}
			unknown.Store(!up)
			update()
		},
		ServerHeartbeatFailed: func(e *event.ServerHeartbeatFailedEvent) {
			slow.Store(isTimeout(e.Failure))
			update()
		},
		ServerHeartbeatSucceeded: func(*event.ServerHeartbeatSucceededEvent) {
			slow.Store(false)
			update()
		},
	}
}

func connect(ctx context.Context, uri, dbName string, emb *embedded.Server, opts []Option) (*DB, error) {
	set := settings{leaseTTL: DefaultLeaseTTL}
	for _, opt := range opts {
		opt(&set)
	}
	db := &DB{URI: redact(uri), embedded: emb}
	base := func() *options.ClientOptions {
		o := options.Client().ApplyURI(uri).SetConnectTimeout(3 * time.Second).SetTimeout(opTimeout)
		for _, apply := range set.client {
			apply(o)
		}
		return o
	}
	reads := base().SetServerSelectionTimeout(opTimeout).SetServerMonitor(watchServers(&db.readsDown))
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
	if db.atomicUpdates, err = atomicUpdates(pingCtx, client); err != nil {
		return fail(fmt.Errorf("the database at %s: buildInfo: %w", db.URI, err))
	}

	db.Client = client
	if !db.atomicUpdates {
		// One connection for all writes. Waiting for it is bounded by the operation's own
		// deadline (opTimeout or the request's), not by a short selection timeout: under a burst
		// the writes queue, they do not fail.
		writes := base().SetMaxPoolSize(1).SetServerSelectionTimeout(opTimeout).SetServerMonitor(watchServers(&db.writesDown))
		if db.Client, err = mongo.Connect(writes); err != nil {
			return fail(fmt.Errorf("connect to %s: %w", db.URI, err))
		}
	}
	db.Database = db.Client.Database(dbName)
	db.Reads = db.readClient.Database(dbName)
	db.connect = func(m *event.CommandMonitor) (*mongo.Client, error) {
		o := base().SetServerSelectionTimeout(opTimeout)
		o.SetMonitor(bothMonitors(o.Monitor, m))
		if !db.atomicUpdates {
			o.SetMaxPoolSize(1) // its writes stay atomic, like Database's
		}
		return mongo.Connect(o)
	}
	if !db.atomicUpdates && !set.shareWriter {
		// Before anything else is written: a second instance stops here.
		db.lease = newWriterLease(db.Database.Collection(Leases), set.leaseTTL)
		if set.ownServer {
			if err := db.lease.forget(ctx); err != nil {
				return fail(err)
			}
		}
		if err := db.lease.take(ctx); err != nil {
			return fail(err)
		}
	}
	if err := db.prepare(ctx); err != nil {
		if db.lease != nil {
			_ = db.lease.release(context.Background())
		}
		return fail(err)
	}
	return db, nil
}

// atomicUpdates asks the server's buildInfo whether its updates are atomic across connections.
func atomicUpdates(ctx context.Context, client *mongo.Client) (bool, error) {
	var info bson.M
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false, err
	}
	return embedded.AtomicUpdates(info), nil
}

// redact drops the password from a connection string before it is logged or shown.
func redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	return u.Redacted()
}

// Monitored opens the same database through a client of its own whose every command m sees,
// with the context of the call that sent it: the options sandbox shows a student exactly the
// commands its store sent, and nothing of the shop's. Close disconnects it.
func (db *DB) Monitored(m *event.CommandMonitor) (*mongo.Database, error) {
	c, err := db.connect(m)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", db.URI, err)
	}
	db.extra = append(db.extra, c)
	return c.Database(db.Database.Name()), nil
}

// Ping asks the server for a sign of life; /healthz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.readClient.Ping(ctx, nil) }

// Close gives up the writer lease, disconnects and then stops the embedded server, so every
// acknowledged write is on disk and another instance may start writing at once.
func (db *DB) Close(ctx context.Context) error {
	var errs []error
	if db.lease != nil {
		errs = append(errs, db.lease.release(ctx))
	}
	err := errors.Join(append(errs, db.disconnect(ctx))...)
	if db.ownsEmbedded {
		db.embedded.Stop()
	}
	return err
}

func (db *DB) disconnect(ctx context.Context) error {
	var errs []error
	for _, c := range db.extra {
		errs = append(errs, c.Disconnect(ctx))
	}
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
		if slices.Contains(existing, name) {
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

func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 48
}

// LogMode says at start-up how the app talks to its database.
func (db *DB) LogMode(logger *slog.Logger) {
	switch {
	case db.atomicUpdates:
		logger.Info("database: updates are atomic; reads and writes share one connection pool", "uri", db.URI, "writes", "pooled")
	case db.lease != nil:
		logger.Info("database: updates are not atomic across connections; this instance is the only writer "+
			"(writes through one connection, reads pooled). Run several instances on MongoDB.",
			"uri", db.URI, "embedded", db.Embedded(), "writes", "single connection", "writerLease", db.lease.ttl)
	default:
		logger.Warn("database: updates are not atomic across connections, and this instance shares the writer (tests only)", "uri", db.URI)
	}
}
