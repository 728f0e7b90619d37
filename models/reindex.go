package models

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/singleflight"
)

// Index documents (models/indexes.go) are written by Gin Shop's own code paths, in the same
// request as the data. The Node course app writes users and orders too, and knows nothing of
// them; so each index has a reindexer: a pass that reads the data collection and its index
// collection once, adds what is missing and drops what points nowhere. A pass reads whole
// collections, so it does not run on a page's path: it runs in the background, once per
// max(reindexFloor, reindexFactor × the last pass's duration) (at most ~5% of a core), and when
// a lookup misses (a login with an email the index does not know), at most once per
// reindexFactor × its duration.

const (
	reindexFloor  = 2 * time.Second
	reindexFactor = 20
	// claimGrace is how long an index entry may point to a document not written yet: the
	// request that wrote the entry is still writing it. Older dangling entries are leftovers of
	// a process that died between the two writes, and are dropped.
	claimGrace = time.Minute
	// cheapPass: a pass over this many documents or fewer (a few milliseconds) may run on every
	// lookup that misses.
	cheapPass = 5000
)

type reindexer struct {
	name   string
	pass   func(ctx context.Context) (docs int, err error)
	flight singleflight.Group

	mu        sync.Mutex
	lastStart time.Time     // when the last finished pass began
	lastAt    time.Time     // and ended
	took      time.Duration // how long it took
	docs      int           // how many documents it read
}

// gap is the time between background passes.
func (r *reindexer) gap() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(reindexFloor, reindexFactor*r.took)
}

// due reports whether a pass asked for by a lookup may run now: always while passes are cheap
// (at most cheapPass documents), else reindexFactor × the last pass's duration after it
// ended. So an account the Node app just made logs in on the first try, and on a large shop a
// flood of unknown emails still costs at most 1/reindexFactor of the time.
func (r *reindexer) due() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.docs <= cheapPass || time.Since(r.lastAt) >= reindexFactor*r.took
}

// catchUp makes sure a pass that started after since has ended, running one if it is due, and
// reports whether one has.
func (r *reindexer) catchUp(ctx context.Context, since time.Time) (bool, error) {
	for range 2 { // a pass already running may have started before since: then one more
		r.mu.Lock()
		done := !r.lastStart.Before(since)
		r.mu.Unlock()
		if done {
			return true, nil
		}
		if !r.due() {
			return false, nil
		}
		if err := r.runPass(ctx); err != nil {
			return false, err
		}
	}
	return true, nil
}

// runPass runs a pass, or waits for the one already running.
func (r *reindexer) runPass(ctx context.Context) error {
	ch := r.flight.DoChan(r.name, func() (any, error) {
		start := time.Now()
		docs, err := r.pass(context.WithoutCancel(ctx))
		r.mu.Lock()
		r.lastStart, r.lastAt, r.took, r.docs = start, time.Now(), time.Since(start), docs
		r.mu.Unlock()
		return nil, err
	})
	select {
	case res := <-ch:
		return res.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// indexEntries reads a whole index collection {_id: key, <field>: [ids]} into a map.
func indexEntries[K comparable](ctx context.Context, coll *mongo.Collection, field string) (map[K]map[bson.ObjectID]bool, error) {
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	entries := map[K]map[bson.ObjectID]bool{}
	for cur.Next(ctx) {
		var doc struct {
			Key K `bson:"_id"`
		}
		if err := cur.Decode(&doc); err != nil {
			return nil, err
		}
		set := map[bson.ObjectID]bool{}
		arr, _ := cur.Current.Lookup(field).ArrayOK()
		ids, _ := arr.Values()
		for _, v := range ids {
			if id, ok := v.ObjectIDOK(); ok {
				set[id] = true
			}
		}
		entries[doc.Key] = set
	}
	return entries, cur.Err()
}

// syncIndex makes the index collection hold, under each key, exactly the ids of want (plus
// entries younger than claimGrace, which a request may be completing): one $addToSet or $pull
// per entry that differs, each one atomic on its own document.
func syncIndex[K comparable](ctx context.Context, coll *mongo.Collection, field string, have, want map[K]map[bson.ObjectID]bool) error {
	for key, ids := range want {
		for id := range ids {
			if have[key][id] {
				continue
			}
			_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
				bson.D{{Key: "$addToSet", Value: bson.D{{Key: field, Value: id}}}}, options.UpdateOne().SetUpsert(true))
			if err != nil {
				return err
			}
		}
	}
	for key, ids := range have {
		for id := range ids {
			if want[key][id] || time.Since(id.Timestamp()) < claimGrace {
				continue
			}
			if err := pullEntry(ctx, coll, key, field, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// pullEntry removes one id from an index document.
func pullEntry(ctx context.Context, coll *mongo.Collection, key any, field string, id bson.ObjectID) error {
	_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}}, bson.D{{Key: "$pull", Value: bson.D{{Key: field, Value: id}}}})
	return err
}
