package models

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/singleflight"
)

// The catalog cache. Every shop page shows products, and the course reads them on each request
// (Product.find().countDocuments(), then Product.find().skip().limit()). On the embedded
// database every such query reads the whole products table (FerretDB v1 pushes down only
// {_id: value}), so a page would cost time proportional to the catalog. Instead the shop keeps
// the whole catalog in memory, sorted like the course's list, and cuts pages, a product, a
// cart's products and an owner's products out of it:
//   - this instance's own product writes (Create, UpdateOwned, DeleteOwned) are applied to the
//     copy at once, so an admin sees the change on the very next page without a reload;
//   - other instances' writes, the Node course app's, or a student's in mongosh show when the
//     copy is read again. Its gap is max(catalogFresh, reloadFactor × the last read's
//     duration): a copy older than one gap is read again in the background while pages keep
//     using it; one older than two gaps (nobody asked for a while) is read again before the page.
//     A small catalog is read again every second or two, as before; a 20,000-product one (about
//     0.5 s to read on the embedded database) every few seconds, so reading costs at most
//     ~1/reloadFactor of one core, and only while pages are asked for;
//   - a product missing from the copy (made elsewhere since the last read) is still found by
//     ByID, with one query by _id;
//   - a catalog larger than maxCachedProducts is not cached: the pages query as the course does.
//
// Memory: one product costs its strings plus about 200 bytes (the Product value, its place in
// the id and owner maps); the demo's products about 350 bytes each, 20,000 products with
// 400-character descriptions about 15 MB, twice that for the moment a fresh copy replaces the
// old one.

const (
	catalogFresh      = time.Second
	reloadFactor      = 10
	maxCachedProducts = 100_000
)

// catalog is one copy of the products collection, oldest first. A copy is never changed once
// published: a write makes a new one (copy on write), so pages read it without locks.
type catalog struct {
	products []Product // sorted by _id, like the course's list
	byID     map[bson.ObjectID]int
	complete bool          // false: more than maxCachedProducts, query the database instead
	gen      uint64        // the cache generation it was read in
	readAt   time.Time     // when the read began
	took     time.Duration // how long the read took
}

type catalogCache struct {
	current atomic.Pointer[catalog]
	gen     atomic.Uint64 // bumped by invalidate: the copy must be read again before use
	loads   singleflight.Group
	mu      sync.Mutex // serialises apply, so two writes never publish from the same base
}

// invalidate makes the next request read the catalog again and wait for it (a test that wrote
// products behind the app's back).
func (c *catalogCache) invalidate() { c.gen.Add(1) }

// get returns the catalog. A copy of another generation (or none, or one older than twice its
// gap) is read again and waited for; a copy between one and two gaps old is returned at once
// while a fresh one is read in the background.
func (c *catalogCache) get(ctx context.Context, load func(context.Context) ([]Product, error)) (*catalog, error) {
	cat := c.current.Load()
	if cat != nil && cat.gen == c.gen.Load() {
		age, gap := time.Since(cat.readAt), max(catalogFresh, reloadFactor*cat.took)
		if age <= gap {
			return cat, nil
		}
		if age <= 2*gap {
			// Old but recent: this page uses it, a fresh copy is read in the background.
			c.loads.DoChan("catalog", func() (any, error) { return c.load(ctx, load) })
			return cat, nil
		}
		// Older (nobody asked for a while): read it again and wait, so a change made
		// elsewhere never shows later than 2 × gap.
	}
	ch := c.loads.DoChan("catalog", func() (any, error) { return c.load(ctx, load) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*catalog), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// load reads the catalog and publishes it, unless a write of this instance was applied or the
// cache invalidated meanwhile (the copy read here may miss it: the next request reads again).
func (c *catalogCache) load(ctx context.Context, load func(context.Context) ([]Product, error)) (*catalog, error) {
	// The read must not die with the request that happened to start it: others wait for it
	// too. It is still bounded by the client's operation timeout.
	ctx = context.WithoutCancel(ctx)
	gen := c.gen.Load()
	start := time.Now()
	products, err := load(ctx)
	if err != nil {
		return nil, err
	}
	cat := newCatalog(products, gen)
	cat.readAt, cat.took = start, time.Since(start)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() == gen {
		c.current.Store(cat)
	}
	return cat, nil
}

func newCatalog(products []Product, gen uint64) *catalog {
	cat := &catalog{gen: gen, complete: len(products) <= maxCachedProducts}
	if !cat.complete {
		return cat
	}
	cat.products = products
	cat.byID = make(map[bson.ObjectID]int, len(products))
	for i, p := range products {
		cat.byID[p.ID] = i
	}
	return cat
}

// apply publishes a copy with one product put (inserted or replaced) or, with remove, deleted:
// this instance's own write, seen at once by its next page. Writes made during a read bump the
// generation, so that read's older copy is not published over this one.
func (c *catalogCache) apply(p Product, remove bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.current.Load()
	if old != nil && !old.complete {
		return // too large to cache: pages query the database
	}
	c.gen.Add(1) // a read running now may miss this write: it must not be published
	if old == nil {
		return // nothing cached: the next page reads the catalog anyway
	}
	products := slices.Clone(old.products)
	i, found := slices.BinarySearchFunc(products, p.ID, func(q Product, id bson.ObjectID) int {
		return bytes.Compare(q.ID[:], id[:])
	})
	switch {
	case remove && found:
		products = slices.Delete(products, i, i+1)
	case remove:
	case found:
		products[i] = p
	default:
		products = slices.Insert(products, i, p)
	}
	cat := newCatalog(products, c.gen.Load())
	cat.readAt, cat.took = old.readAt, old.took
	c.current.Store(cat)
}

// page cuts page n (from 1) out of the catalog; a page past the end gives the last page.
func (cat *catalog) page(n, perPage int) ProductPage {
	total := len(cat.products)
	n = clampPage(n, int64(total), perPage)
	from := min((n-1)*perPage, total)
	to := min(from+perPage, total)
	return ProductPage{Products: slices.Clone(cat.products[from:to]), Total: int64(total), Number: n}
}

// owned returns the products of one owner, oldest first: a walk over the copy in memory
// (about 20 µs per 1,000 products), no query.
func (cat *catalog) owned(userID bson.ObjectID) []Product {
	products := []Product{}
	for _, p := range cat.products {
		if p.UserID == userID {
			products = append(products, p)
		}
	}
	return products
}

func clampPage(n int, total int64, perPage int) int {
	if last := int((total + int64(perPage) - 1) / int64(perPage)); n > last {
		return max(last, 1)
	}
	return n
}

// readCatalog reads the whole catalog, oldest first, one more than can be cached so that get
// can tell a catalog that is too large.
func readCatalog(coll *mongo.Collection) func(context.Context) ([]Product, error) {
	return func(ctx context.Context) ([]Product, error) {
		cur, err := coll.Find(ctx, bson.D{},
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(maxCachedProducts+1))
		if err != nil {
			return nil, err
		}
		products := []Product{}
		err = cur.All(ctx, &products)
		return products, err
	}
}
