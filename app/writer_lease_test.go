package app_test

// One writer on a database whose updates are not atomic across connections (FerretDB): a second
// instance refuses to start while another holds the writer lease, with one line that names
// MongoDB as the way to run several; it starts once the first stops, or once a killed first
// instance's lease has lapsed. (The two-instance tests of instances_test.go share the writer on
// purpose, through database.SharedWriterForTests.)

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/apptest/testserver"
	"github.com/ginshop/ginshop/database"
)

// openBeside opens the database of shop a the way a second instance would (MONGODB_URI = a's
// embedded server).
func openBeside(t *testing.T, a *apptest.Shop, opts ...database.Option) (*database.DB, error) {
	t.Helper()
	cfg := a.Config
	cfg.MongoURI = apptest.Embedded().URI(a.Config.MongoDB)
	cfg.DataDir = t.TempDir()
	db, err := database.Open(context.Background(), cfg, discardLogger(), opts...)
	if err == nil {
		t.Cleanup(func() { _ = db.Close(context.Background()) })
	}
	return db, err
}

func TestSecondInstanceOnAnEmbeddedServerRefusesToStart(t *testing.T) {
	t.Parallel()
	a := apptest.StartDefault(t)
	if a.DB.AtomicUpdatesAcrossConnections() {
		t.Fatal("the embedded server reports atomic updates")
	}
	before := dbState(t, a)

	_, err := openBeside(t, a)
	if !errors.Is(err, database.ErrWriterTaken) {
		t.Fatalf("B started beside A: err = %v, want ErrWriterTaken", err)
	}
	msg := err.Error()
	t.Log(msg)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "MongoDB") {
		t.Errorf("start-up error %q: want one line naming MongoDB", msg)
	}
	expectUnchanged(t, a, before, "the refused instance")

	// A stops (and gives the lease up): B starts at once.
	if err := a.DB.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := openBeside(t, a); err != nil {
		t.Fatalf("B after A stopped: %v", err)
	}
}

// TestKilledWritersLeaseLapses: instance A holds a lease and stops renewing it (as a process
// killed with kill -9 would: nothing gives the lease up). B is refused while the lease runs, and
// starts after it lapsed. The lease lasts an hour, so "while it runs" holds however slow B's
// start is; it lapses by moving its end into the past, as the clock would.
func TestKilledWritersLeaseLapses(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.MongoDB = apptest.DatabaseName(t)
	killed, err := database.OpenEmbedded(context.Background(), apptest.Embedded(), cfg.MongoDB, database.WithWriterLease(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// No app, so no job renews the lease; the client stays connected like a frozen process.
	t.Cleanup(func() { _ = killed.Close(context.Background()) })
	cfg.MongoURI = apptest.Embedded().URI(cfg.MongoDB)

	if _, err := database.Open(context.Background(), cfg, discardLogger()); !errors.Is(err, database.ErrWriterTaken) {
		t.Fatalf("B while the lease runs: err = %v, want ErrWriterTaken", err)
	}
	lapsed := bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: time.Now().Add(-time.Second)}}}}
	if _, err := killed.Database.Collection(database.Leases).UpdateOne(context.Background(), bson.D{}, lapsed); err != nil {
		t.Fatal(err)
	}
	b, err := database.Open(context.Background(), cfg, discardLogger())
	if err != nil {
		t.Fatalf("B once the killed instance's lease has lapsed: %v", err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	if n, _ := b.Database.Collection(database.Leases).CountDocuments(context.Background(), bson.D{}); n != 1 {
		t.Errorf("%d lease documents, want 1", n)
	}
	// The killed instance, if it came back, would find the lease gone.
	if _, err := killed.RenewWriterLease(context.Background()); !errors.Is(err, database.ErrWriterTaken) {
		t.Errorf("the old holder renewed a lease B holds: %v", err)
	}
}

// TestSharedWriterForTestsTakesNoLease: the two-instance tests' B shares the writer (the setting
// only tests use), so it neither takes nor renews a lease; A, the embedded instance, does.
func TestSharedWriterForTestsTakesNoLease(t *testing.T) {
	t.Parallel()
	a := apptest.StartDefault(t)
	b := apptest.StartBeside(t, a)
	if b.DB.WriterLeaseRenewal() != 0 || a.DB.WriterLeaseRenewal() == 0 {
		t.Errorf("renewal every %s on A and %s on B; want A only", a.DB.WriterLeaseRenewal(), b.DB.WriterLeaseRenewal())
	}
}

// TestShopRestartedAfterACrashTakesItsLeaseAtOnce: a shop killed while holding the lease leaves
// it in its embedded database's files; restarted on the same DATA_DIR, it starts at once (a
// service manager's restart must not fail for 15 s), since nobody can be connected to a server
// that this process has only just started.
func TestShopRestartedAfterACrashTakesItsLeaseAtOnce(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config(t)
	cfg.EmbeddedMongoAddr = "127.0.0.1:0"
	emb := startFerretDB(t, cfg.DataDir, cfg.EmbeddedMongoAddr)
	crashed, err := database.OpenEmbedded(context.Background(), emb.Server, cfg.MongoDB)
	if err != nil {
		t.Fatal(err)
	}
	// Killed: the lease is never given up, and the server goes down with the process.
	emb.Stop()
	_ = crashed

	// Started as main.go starts it, in a process of its own as every test's server is.
	db, err := database.Open(context.Background(), cfg, discardLogger(), database.EmbeddedServer(testserver.Starter))
	if err != nil {
		t.Fatalf("restart on the same DATA_DIR: %v", err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	if db.WriterLeaseRenewal() == 0 {
		t.Error("the restarted shop holds no lease")
	}
}
