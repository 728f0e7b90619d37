package models

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The catalog cache. Every shop page shows products, and the course reads them on each request
// (Product.find().countDocuments(), then Product.find().skip().limit()): two database commands
// per page, where the catalog is small and changes rarely. So the shop keeps the whole catalog
// in memory, sorted like the course's list, and cuts pages out of it:
//   - this instance's own product writes (Create, UpdateOwned, DeleteOwned, Insert) drop it at
//     once, so an admin sees the change on the very next page;
//   - other instances' writes (or a student editing products in mongosh) show within
//     catalogFresh, because an older copy is read again, with one query, by the first request
//     that needs it (concurrent requests wait for that one query instead of sending their own);
//   - a catalog larger than maxCachedProducts is not cached: the pages query as the course does.

const (
	catalogFresh      = time.Second
	maxCachedProducts = 2000
)

// catalog is one copy of the products collection, oldest first.
type catalog struct {
	products []Product // sorted by _id, like the course's list
	byID     map[bson.ObjectID]int
	complete bool      // false: more than maxCachedProducts, query the database instead
	gen      uint64    // the cache generation it was read in
	readAt   time.Time // when the read began
}

type catalogCache struct {
	current atomic.Pointer[catalog]
	gen     atomic.Uint64 // bumped by every product write of this instance

	mu      sync.Mutex
	loading *catalogLoad // the read in flight, shared by the requests that wait for it
}

type catalogLoad struct {
	done chan struct{}
	cat  *catalog
	err  error
}

// invalidate drops the cached catalog; called after every product write of this instance.
func (c *catalogCache) invalidate() { c.gen.Add(1) }

// get returns a fresh catalog, reading it with load when the cached one is stale.
func (c *catalogCache) get(ctx context.Context, load func(context.Context) ([]Product, error)) (*catalog, error) {
	if cat := c.current.Load(); c.fresh(cat) {
		return cat, nil
	}
	c.mu.Lock()
	if cat := c.current.Load(); c.fresh(cat) {
		c.mu.Unlock()
		return cat, nil
	}
	l := c.loading
	if l == nil {
		l = &catalogLoad{done: make(chan struct{})}
		c.loading = l
		// The read must not die with the request that happened to start it: the others wait
		// for it too. It is still bounded by the client's operation timeout.
		go c.load(context.WithoutCancel(ctx), l, load)
	}
	c.mu.Unlock()
	select {
	case <-l.done:
		return l.cat, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *catalogCache) load(ctx context.Context, l *catalogLoad, load func(context.Context) ([]Product, error)) {
	// Note the generation before reading: a write that lands during the read bumps it, and
	// the copy read here is then already stale for the next request.
	cat := &catalog{gen: c.gen.Load(), readAt: time.Now()}
	products, err := load(ctx)
	if err == nil {
		cat.complete = len(products) <= maxCachedProducts
		if cat.complete {
			cat.products = products
			cat.byID = make(map[bson.ObjectID]int, len(products))
			for i, p := range products {
				cat.byID[p.ID] = i
			}
		}
		c.current.Store(cat)
		l.cat = cat
	}
	l.err = err
	c.mu.Lock()
	c.loading = nil
	c.mu.Unlock()
	close(l.done)
}

func (c *catalogCache) fresh(cat *catalog) bool {
	return cat != nil && cat.gen == c.gen.Load() && time.Since(cat.readAt) < catalogFresh
}

// page cuts page n (from 1) out of the catalog; a page past the end gives the last page.
func (cat *catalog) page(n, perPage int) ProductPage {
	total := len(cat.products)
	n = clampPage(n, int64(total), perPage)
	from := min((n-1)*perPage, total)
	to := min(from+perPage, total)
	return ProductPage{Products: slices.Clone(cat.products[from:to]), Total: int64(total), Number: n}
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
