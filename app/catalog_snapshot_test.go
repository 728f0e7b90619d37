package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

// A restart's first page comes from the catalog's snapshot (models/catalog_snapshot.go) when it
// is of the products version now, and never when a product write came after it.

// productReads counts the reads of the whole products collection (finds with a limit other
// than 1, the catalog's) that the shop sends, not the jobs'.
type productReads struct {
	mu sync.Mutex
	n  int
}

func (r *productReads) option() database.Option {
	return database.WithMonitor(&event.CommandMonitor{Started: func(ctx context.Context, e *event.CommandStartedEvent) {
		if database.IsBackground(ctx) || e.CommandName != "find" {
			return
		}
		if limit, ok := e.Command.Lookup("limit").AsInt64OK(); ok && limit == 1 {
			return // one product (FindOne): a page's ByID, the start's "any products?"
		}
		if coll, _ := e.Command.Index(0).Value().StringValueOK(); coll == database.Products {
			r.mu.Lock()
			r.n++
			r.mu.Unlock()
		}
	}})
}

func (r *productReads) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// restart closes a and starts another shop on its database, the way a restarted process
// would: nothing of a's memory is left. reads counts the new shop's catalog reads from its
// start on (the start reads the catalog ahead of the first page).
func restart(t *testing.T, a *apptest.Shop) (b *apptest.Shop, reads *productReads) {
	t.Helper()
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := a.Config
	cfg.MongoURI = apptest.Embedded().URI(a.Config.MongoDB)
	cfg.DataDir = t.TempDir()
	reads = &productReads{}
	return apptest.StartExternal(t, cfg, reads.option(), database.SharedWriterForTests()), reads
}

// snapshotSaved is a shop with a shopper who added a product titled title, and the catalog's
// snapshot saved.
func snapshotSaved(t *testing.T, email, title string) (*apptest.Shop, *shopper, models.Product) {
	t.Helper()
	a := apptest.StartDefault(t)
	s := newShopper(t, a, email)
	p := s.addProduct(title, "10")
	if n, err := a.Models.Products.SaveCatalogSnapshot(context.Background()); err != nil || n != 1 {
		t.Fatalf("SaveCatalogSnapshot = %d, %v; want a snapshot saved", n, err)
	}
	return a, s, p
}

func TestRestartShowsTheSavedCatalogFirstThenWhatTheNodeAppAdded(t *testing.T) {
	t.Parallel()
	a, s, _ := snapshotSaved(t, "snapshot@example.com", "Saved Lamp")
	if n, _ := a.Models.Products.SaveCatalogSnapshot(context.Background()); n != 0 {
		t.Error("an unchanged catalog was saved again")
	}
	// The Node app adds a product: no version bump, so the snapshot stays the current one.
	if _, err := a.DB.Database.Collection(database.Products).InsertOne(context.Background(), bson.D{
		{Key: "title", Value: "Node Teapot"}, {Key: "price", Value: int32(20)}, {Key: "description", Value: "Added on the Node app"},
		{Key: "imageUrl", Value: "/images/products/book.svg"}, {Key: "userId", Value: s.ID}, {Key: "__v", Value: int32(0)},
	}); err != nil {
		t.Fatal(err)
	}

	b, reads := restart(t, a)
	anon := b.Client(t)
	first := anon.Get("/products?page=2")
	apptest.ExpectStatus(t, first, http.StatusOK)
	mustContain(t, first.Body, "Saved Lamp")
	if n := reads.count(); n != 0 {
		t.Errorf("the first page read the products collection %d times; want the snapshot alone", n)
	}
	// The snapshot keeps the time its copy was read, so the next pages read the catalog again
	// in the background and the Node app's product shows.
	apptest.Eventually(t, "the Node app's product is listed after the restart", func() bool {
		return strings.Contains(anon.Get("/products?page=2").Body, "Node Teapot")
	})
}

func TestRestartAfterAProductWriteReadsTheCatalog(t *testing.T) {
	t.Parallel()
	a, s, old := snapshotSaved(t, "stale@example.com", "Old Lamp")
	// Written after the snapshot, which now misses them: a new product, an edit, a delete.
	s.addProduct("New Lamp", "11")
	expectRedirect(t, s.post("/admin/delete-product", url.Values{"productId": {old.ID.Hex()}}), "/admin/products")

	b, reads := restart(t, a)
	page := b.Client(t).Get("/products?page=2")
	mustContain(t, page.Body, "New Lamp")
	mustNotContain(t, page.Body, "Old Lamp")
	if reads.count() == 0 {
		t.Error("the first page did not read the products collection: an outdated snapshot was used")
	}
}

// TestSnapshotOfAnEarlierBuildIsReadNeverAndReplaced: a snapshot without the codec this build
// writes (an earlier build's deflated one) is not decoded: the start reads the catalog, and the
// next save replaces the snapshot although its version is the current one.
func TestSnapshotOfAnEarlierBuildIsReadNeverAndReplaced(t *testing.T) {
	t.Parallel()
	a, _, _ := snapshotSaved(t, "earlier@example.com", "Kept Lamp")
	snapshots := a.DB.Database.Collection(database.CatalogSnapshots)
	if _, err := snapshots.UpdateMany(context.Background(), bson.D{}, bson.D{{Key: "$unset", Value: bson.D{{Key: "codec", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}

	b, reads := restart(t, a)
	mustContain(t, b.Client(t).Get("/products?page=2").Body, "Kept Lamp")
	if reads.count() == 0 {
		t.Error("the products collection was not read: the earlier build's snapshot was used")
	}
	if n, err := b.Models.Products.SaveCatalogSnapshot(context.Background()); err != nil || n != 1 {
		t.Errorf("SaveCatalogSnapshot after the restart = %d, %v; want the earlier snapshot replaced", n, err)
	}
	if n, err := b.DB.Database.Collection(database.CatalogSnapshots).CountDocuments(context.Background(), bson.D{{Key: "codec", Value: "zstd"}}); err != nil || n == 0 {
		t.Errorf("snapshot parts with this build's codec: %d, %v", n, err)
	}
}
