// Package models owns every query Gin Shop sends to MongoDB. Controllers call these methods and
// never build filters themselves; each method takes the request's context.
package models

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ginshop/ginshop/database"
)

// Sentinel errors the controllers turn into pages.
var (
	ErrNotFound       = errors.New("not found")
	ErrDuplicateEmail = errors.New("email already registered")
)

// Models groups the app's models, built once at start-up and handed to the controllers.
type Models struct {
	Products      *ProductModel
	Users         *UserModel
	Mails         *MailModel
	LoginAttempts *LoginAttemptModel
	ResetRequests *ResetRequestModel
	AddressLimits *AddressLimitModel
	Orders        *OrderModel
	LessonTraces  *LessonTraceModel
}

// New binds the models to the shop's database: db for writes (and reads in step with them),
// reads for the pages' read-only queries (see database.DB for why there are two).
// atomicUpdates is database.DB.AtomicUpdatesAcrossConnections: where it is false (the embedded
// FerretDB), the cart is changed under a lock in this process with writes filtered by _id alone
// instead of by conditional updates (cart.go).
func New(db, reads *mongo.Database, atomicUpdates bool) *Models {
	m := &Models{
		Products: &ProductModel{coll: db.Collection(database.Products), reads: reads.Collection(database.Products),
			versions: db.Collection(database.Versions), snapshots: db.Collection(database.CatalogSnapshots),
			source: catalogSource{products: reads.Collection(database.Products), versions: reads.Collection(database.Versions),
				snapshots: reads.Collection(database.CatalogSnapshots)}},
		Users: &UserModel{coll: db.Collection(database.Users), reads: reads.Collection(database.Users),
			emails: db.Collection(database.UserEmails), emailReads: reads.Collection(database.UserEmails),
			resetTokens: db.Collection(database.ResetTokens), cartCleanups: db.Collection(database.CartCleanups),
			carts: &cartLocks{atomic: atomicUpdates}, cleanupNow: make(chan struct{}, 1)},
		Mails:         &MailModel{coll: db.Collection(database.Mails)},
		LoginAttempts: &LoginAttemptModel{coll: db.Collection(database.LoginAttempts)},
		ResetRequests: &ResetRequestModel{coll: db.Collection(database.ResetRequests)},
		AddressLimits: &AddressLimitModel{coll: db.Collection(database.AddressLimits)},
		LessonTraces:  &LessonTraceModel{coll: db.Collection(database.LessonTraces), reads: reads.Collection(database.LessonTraces)},
		Orders: &OrderModel{coll: db.Collection(database.Orders), reads: reads.Collection(database.Orders),
			byUser: db.Collection(database.UserOrders), byUserReads: reads.Collection(database.UserOrders)},
	}
	m.Products.catalog.savedVersion.Store(-1)
	m.Users.emailIndex = reindexer{name: database.UserEmails, pass: m.Users.reindexEmails}
	m.Orders.index = reindexer{name: database.UserOrders, pass: m.Orders.reindex}
	return m
}

// ReindexJob is one index's background pass (reindex.go), for the app's periodic-job runner:
// the index documents then list what the Node course app writes too.
type ReindexJob struct {
	Name string
	Gap  func() time.Duration // the wait before the next pass: it grows with the pass's cost
	Pass func(ctx context.Context) (int64, error)
}

// ReindexJobs are the passes that keep userEmails and userOrders complete. They run one at a
// time: each reads a whole collection, and on a large shop the memory of two at once (the
// embedded database decodes every document it reads) was the process's peak.
func (m *Models) ReindexJobs() []ReindexJob {
	var oneAtATime sync.Mutex
	job := func(r *reindexer) ReindexJob {
		return ReindexJob{Name: "complete the " + r.name + " index documents", Gap: r.gap,
			Pass: func(ctx context.Context) (int64, error) {
				oneAtATime.Lock()
				defer oneAtATime.Unlock()
				return 0, r.runPass(ctx)
			}}
	}
	return []ReindexJob{job(&m.Users.emailIndex), job(&m.Orders.index)}
}

// ParseID turns a URL or form value into an ObjectID. Anything that is not 24 hex digits is
// ErrNotFound: to a visitor, a malformed id and a missing product are the same 404.
func ParseID(s string) (bson.ObjectID, error) {
	id, err := bson.ObjectIDFromHex(s)
	if err != nil {
		return bson.NilObjectID, ErrNotFound
	}
	return id, nil
}

// notFound maps the driver's "no document" to the package's sentinel.
func notFound(err error) error {
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ErrNotFound
	}
	return err
}
