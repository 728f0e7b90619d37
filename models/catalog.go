package models

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/singleflight"

	"github.com/ginshop/ginshop/database"
)

// The catalog cache. Every shop page shows products, and the course reads them on each request
// (Product.find().countDocuments(), then Product.find().skip().limit()). On the embedded
// database every such query reads the whole products table (FerretDB v1 pushes down only
// {_id: value}), so a page would cost time proportional to the catalog. Instead the shop keeps
// the whole catalog in memory, sorted like the course's list, and cuts pages, a product, a
// cart's products and an owner's products out of it:
//   - this instance's own product writes (Create, UpdateOwned, DeleteOwned, Insert) are applied
//     to the copy at once, so an admin sees the change on the very next page without a reload;
//   - every product write also bumps a version document ({_id: "products", v} in the versions
//     collection). A copy whose version was checked more than catalogFresh ago is checked again
//     in the background (one read by _id) while pages keep using it, and read again if another
//     instance changed the version: its writes show within about a second plus one read;
//   - writes that bump no version (the Node course app's, mongosh's, or a write whose bump was
//     lost with its process) show when the copy is older than its gap, max(catalogFresh,
//     reloadFactor × the last read's duration): every second or two on a small catalog, as
//     before; about every 45 s for 20,000 products (about 1.5 s to read on the embedded
//     database), so re-reading costs at most ~1/reloadFactor of a core, only while pages are
//     asked for;
//   - a product missing from the copy (made elsewhere since the last read) is still found by
//     ByID, with one query by _id;
//   - a restart's first read takes the saved snapshot instead, when no product write came after
//     it (catalog_snapshot.go);
//   - a catalog larger than maxCachedProducts is not cached: the pages query as the course does.
//
// Memory: one product costs its strings plus about 200 bytes (the Product value, its place in
// the id map); 20,000 products with 200-character descriptions about 10 MB, twice that for the
// moment a fresh copy replaces the old one.

const (
	catalogFresh      = time.Second
	reloadFactor      = 30
	maxCachedProducts = 100_000
)

// catalog is one copy of the products collection, oldest first. A copy is never changed once
// published: a write makes a new one (copy on write), so pages read it without locks.
type catalog struct {
	products  []Product // sorted by _id, like the course's list
	byID      map[bson.ObjectID]int
	complete  bool          // false: more than maxCachedProducts, query the database instead
	gen       uint64        // the cache generation it was read in
	version   int64         // the products version document when the read began
	readAt    time.Time     // when the read began
	took      time.Duration // how long the read took
	checkedAt time.Time     // when the version was last found unchanged
}

type catalogCache struct {
	current atomic.Pointer[catalog]
	gen     atomic.Uint64 // bumped by invalidate: the copy must be read again before use
	loads   singleflight.Group
	mu      sync.Mutex // serialises apply, so two writes never publish from the same base
	// snapshotTried: the first read of this process looked for a snapshot (catalog_snapshot.go).
	snapshotTried atomic.Bool
	// savedVersion is the version of the last snapshot saved or found (-1: none yet).
	savedVersion atomic.Int64
}

// catalogSource is where the cache reads from.
type catalogSource struct {
	products  *mongo.Collection // the catalog
	versions  *mongo.Collection // {_id: "products", v}: bumped by every product write of any instance
	snapshots *mongo.Collection // the catalog saved for the next start (catalog_snapshot.go)
}

// version reads the products version (0 before any write made one).
func (src catalogSource) version(ctx context.Context) (int64, error) {
	var doc struct {
		V int64 `bson:"v"`
	}
	err := src.versions.FindOne(ctx, bson.D{{Key: "_id", Value: database.Products}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	return doc.V, err
}

// invalidate makes the next request read the catalog again and wait for it (a test that wrote
// products behind the app's back).
func (c *catalogCache) invalidate() { c.gen.Add(1) }

// get returns the catalog. Without a copy of this generation it reads one and waits for it.
// With one, it returns it at once, and if its version was last checked more than
// catalogFresh ago, checks it in the background (see refresh).
func (c *catalogCache) get(ctx context.Context, src catalogSource) (*catalog, error) {
	cat := c.current.Load()
	if cat != nil && cat.gen == c.gen.Load() {
		if time.Since(cat.checkedAt) > catalogFresh {
			c.loads.DoChan("catalog", func() (any, error) { return c.refresh(ctx, src, cat) })
		}
		return cat, nil
	}
	for again := false; ; again = true {
		ch := c.loads.DoChan("catalog", func() (any, error) { return c.load(ctx, src) })
		select {
		case r := <-ch:
			if r.Err != nil {
				return nil, r.Err
			}
			// A read that began before a write of this instance (or an invalidation) may miss
			// it, and a request that came after the write may have joined it (the start's
			// read, say): that request waits for a read that begins after the write.
			if cat := r.Val.(*catalog); cat.gen == c.gen.Load() || again {
				return cat, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// check runs refresh on the current copy now, or waits for the read or check under way.
func (c *catalogCache) check(ctx context.Context, src catalogSource) {
	if cat := c.current.Load(); cat != nil {
		<-c.loads.DoChan("catalog", func() (any, error) { return c.refresh(ctx, src, cat) })
	}
}

// refresh reads the copy again if the version changed (another instance wrote a product) or the
// copy is older than its gap, max(catalogFresh, reloadFactor × its read's duration), which is
// how writes that bump no version (the Node app's, mongosh's) show; otherwise it only notes that
// the copy was checked.
func (c *catalogCache) refresh(ctx context.Context, src catalogSource, cat *catalog) (*catalog, error) {
	ctx = context.WithoutCancel(ctx)
	v, err := src.version(ctx)
	if err != nil {
		return nil, err
	}
	if v != cat.version || time.Since(cat.readAt) > max(catalogFresh, reloadFactor*cat.took) {
		return c.load(ctx, src)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current.Load() == cat {
		checked := *cat
		checked.checkedAt = time.Now()
		c.current.Store(&checked)
	}
	return cat, nil
}

// load reads the catalog and publishes it, unless a write of this instance was applied or the
// cache invalidated meanwhile (the copy read here may miss it: the next request reads again).
func (c *catalogCache) load(ctx context.Context, src catalogSource) (*catalog, error) {
	// The read must not die with the request that happened to start it: others wait for it
	// too. It is still bounded by the client's operation timeout.
	ctx = context.WithoutCancel(ctx)
	gen := c.gen.Load()
	start := time.Now()
	// The version first: a write between the two reads makes the next check read again.
	v, err := src.version(ctx)
	if err != nil {
		return nil, err
	}
	if c.current.Load() == nil && c.snapshotTried.CompareAndSwap(false, true) {
		// An unreadable snapshot is only a slower start: the catalog is read below.
		if cat, err := readSnapshot(ctx, src.snapshots, v, gen); err == nil && cat != nil {
			cat.checkedAt = start // its version is v: the products version when this read began
			c.savedVersion.Store(v)
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.gen.Load() == gen {
				c.current.Store(cat)
			}
			return cat, nil
		}
	}
	products, err := readCatalog(ctx, src.products)
	if err != nil {
		return nil, err
	}
	cat := newCatalog(products, gen)
	cat.version, cat.readAt, cat.took, cat.checkedAt = v, start, time.Since(start), start
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
func (c *catalogCache) apply(p Product, remove bool, version int64) {
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
	cat.readAt, cat.took, cat.checkedAt, cat.version = old.readAt, old.took, old.checkedAt, old.version
	if version == old.version+1 {
		cat.version = version // only this write since the copy was read: no need to read it again
	}
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

// readCatalog reads the whole catalog, one more than can be cached so that get can tell a
// catalog that is too large, and sorts it oldest first. The sort is done here, not asked of the
// server: without a sort (or a filter) the embedded database streams the table and stops at
// the limit, where a sort would make it load and sort every product before sending the first.
func readCatalog(ctx context.Context, coll *mongo.Collection) ([]Product, error) {
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetLimit(maxCachedProducts+1))
	if err != nil {
		return nil, err
	}
	products := []Product{}
	if err := cur.All(ctx, &products); err != nil {
		return nil, err
	}
	slices.SortFunc(products, func(a, b Product) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return products, nil
}

// bumpVersion counts a product write in the version document, so other instances read their
// copy again, and returns the new version (0 if the bump failed: they then catch up by age).
func bumpVersion(ctx context.Context, versions *mongo.Collection) int64 {
	var doc struct {
		V int64 `bson:"v"`
	}
	err := versions.FindOneAndUpdate(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: database.Products}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: int64(1)}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil {
		return 0
	}
	return doc.V
}
