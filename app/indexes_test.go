package app_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/models"
)

// There is no real MongoDB here to run explain on, so the index check is static: every query
// the pages send over the wire (recorded by the driver's command monitor) must be served by
// _id or by an index declared in models/indexes.go (models.Served), and those indexes must
// exist on the server.

// queryRecorder records, for each command that selects documents, its collection and the
// top-level fields of its filter; and, apart, the filters a request sent that are not exactly
// {_id: value}: the only filter the embedded database answers without reading the whole
// collection.
type queryRecorder struct {
	mu      sync.Mutex
	seen    map[string]bool // "find orders [user.userId]"
	notByID map[string]bool // "update users {"_id": ..., "cart.items.0.productId": ...}"
}

func (r *queryRecorder) option() database.Option {
	r.seen, r.notByID = map[string]bool{}, map[string]bool{}
	return database.WithMonitor(&event.CommandMonitor{Started: func(ctx context.Context, e *event.CommandStartedEvent) {
		coll, _ := e.Command.Index(0).Value().StringValueOK()
		var filters []bson.Raw
		doc := func(key string) {
			if d, ok := e.Command.Lookup(key).DocumentOK(); ok {
				filters = append(filters, d)
			}
		}
		each := func(key, field string) {
			arr, _ := e.Command.Lookup(key).ArrayOK()
			vals, _ := arr.Values()
			for _, v := range vals {
				if d, ok := v.DocumentOK(); ok {
					if q, ok := d.Lookup(field).DocumentOK(); ok {
						filters = append(filters, q)
					}
				}
			}
		}
		switch e.CommandName {
		case "find":
			doc("filter")
		case "findAndModify", "count", "distinct":
			doc("query")
		case "update":
			each("updates", "q")
		case "delete":
			each("deletes", "q")
		case "aggregate":
			// The app sends none; one would need its own look.
			r.mu.Lock()
			r.seen["aggregate "+coll+" [an aggregation pipeline]"] = true
			r.mu.Unlock()
			return
		default:
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, f := range filters {
			var fields []string
			elems, _ := f.Elements()
			for _, el := range elems {
				if !strings.HasPrefix(el.Key(), "$") {
					fields = append(fields, el.Key())
				}
			}
			slices.Sort(fields)
			r.seen[e.CommandName+" "+coll+" ["+strings.Join(fields, " ")+"]"] = true
			if onAPagesPath(ctx) && !exactlyByID(f) && !(len(elems) == 0 && models.WholeCollectionReads[coll] != "") {
				r.notByID[e.CommandName+" "+coll+" "+f.String()] = true
			}
		}
	}})
}

// onAPagesPath tells whether a command was sent while serving a request: its context is the
// request's (net/http puts the server in it), and not a periodic job's. The tests' own checks
// (context.Background) and the start-up's work are not a page's.
func onAPagesPath(ctx context.Context) bool {
	return ctx.Value(http.ServerContextKey) != nil && !database.IsBackground(ctx)
}

// exactlyByID is the filter FerretDB v1's SQLite backend pushes down (backends/sqlite/
// collection.go in v1.24.2): one field, _id, whose value is a string or an ObjectID.
func exactlyByID(f bson.Raw) bool {
	elems, err := f.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
		return false
	}
	t := elems[0].Value().Type
	return t == bson.TypeString || t == bson.TypeObjectID
}

// byIDViolations returns the filters recorded by notByID, sorted, and forgets them.
func (r *queryRecorder) byIDViolations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for q := range r.notByID {
		out = append(out, q)
	}
	r.notByID = map[string]bool{}
	slices.Sort(out)
	return out
}

func (r *queryRecorder) queries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for q := range r.seen {
		out = append(out, q)
	}
	slices.Sort(out)
	return out
}

func TestEveryQueryOfThePagesIsServedByADeclaredIndex(t *testing.T) {
	t.Parallel()
	rec := &queryRecorder{}
	shop := apptest.Start(t, apptest.Config(t), rec.option())
	ctx := context.Background()

	// Every kind of page and action: anonymous, signup, login, cart, order, invoice, admin
	// add/edit/delete with an image, the image itself, reset.
	anon := shop.Client(t)
	for _, path := range []string{"/", "/products?page=2", "/login", "/signup", "/reset"} {
		apptest.ExpectStatus(t, anon.Get(path), http.StatusOK)
	}
	res := anon.Submit("/signup", "/signup", url.Values{"email": {"Index.Check@Example.test"}, "password": {"index-password-1"}, "confirmPassword": {"index-password-1"}})
	expectSeeOther(t, res, "/login")
	anon.Submit("/reset", "/reset", url.Values{"email": {"index.check@example.test"}})
	u := storedUser(t, shop, "index.check@example.test")
	if _, err := shop.DB.Database.Collection("users").UpdateOne(ctx, bson.D{{Key: "_id", Value: u.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "password", Value: cheapHash(t)}}}}); err != nil {
		t.Fatal(err)
	}
	s := loggedIn(t, shop, u.ID, "index.check@example.test")
	failed, _ := loginAs(t, shop, "nobody@example.test", "wrong-password")
	apptest.ExpectStatus(t, failed, http.StatusUnprocessableEntity)

	p := s.addProduct("Indexed Lamp", "12")
	apptest.ExpectStatus(t, anon.Get("/products/"+p.ID.Hex()), http.StatusOK)
	apptest.ExpectStatus(t, anon.Get(p.ImageURL), http.StatusOK)
	s.addToCart(p.ID)
	for _, path := range []string{"/cart", "/checkout", "/admin/products", "/admin/edit-product/" + p.ID.Hex() + "?edit=true"} {
		apptest.ExpectStatus(t, s.Get(path), http.StatusOK)
	}
	expectRedirect(t, s.post("/cart-delete-item", url.Values{"productId": {p.ID.Hex()}}), "/cart")
	s.addToCart(p.ID)
	expectRedirect(t, s.post("/create-order", nil), "/orders")
	orders := ordersOf(t, shop, u.ID)
	apptest.ExpectStatus(t, s.Get("/orders"), http.StatusOK)
	apptest.ExpectStatus(t, s.Get("/orders/"+orders[0].ID.Hex()), http.StatusOK)
	res = s.postMultipart("/admin/edit-product", url.Values{"productId": {p.ID.Hex()}, "title": {"Indexed Lamp 2"},
		"price": {"13"}, "description": {"Made for the tests."}}, &upload{Name: "new.png", ContentType: "image/png", Data: pngBytes(t)})
	expectRedirect(t, res, "/admin/products")
	s.addToCart(p.ID)
	expectRedirect(t, s.post("/admin/delete-product", url.Values{"productId": {p.ID.Hex()}}), "/admin/products")
	expectRedirect(t, s.post("/logout", nil), "/")

	queries := rec.queries()
	if len(queries) < 10 {
		t.Fatalf("only %d queries recorded: %v", len(queries), queries)
	}
	for _, q := range queries {
		coll := strings.Fields(q)[1]
		if coll == "sessions" {
			continue // sessionstore's own queries (by _id) and expiry index, not declared here
		}
		fields := strings.Fields(strings.Trim(q[strings.Index(q, "["):], "[]"))
		if !models.Served(coll, fields) {
			t.Errorf("%s: no declared index serves it (models/indexes.go)", q)
		}
	}
	t.Logf("queries checked:\n%s", strings.Join(queries, "\n"))

	// The declared indexes exist on the server.
	for _, ix := range models.Indexes {
		cur, err := shop.DB.Database.Collection(ix.Collection).Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var specs []struct {
			Name string `bson:"name"`
		}
		if err := cur.All(ctx, &specs); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(specs, func(s struct {
			Name string `bson:"name"`
		}) bool {
			return s.Name == ix.Name
		}) {
			t.Errorf("index %s on %s is declared but not on the server", ix.Name, ix.Collection)
		}
	}
}
