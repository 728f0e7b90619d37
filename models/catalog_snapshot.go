package models

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The catalog's snapshot, so a restart does not wait for the whole catalog. Reading 20,000
// products takes over a second on the embedded database (FerretDB decodes every document), and
// the first page would wait for it. So the cache is also kept, a few documents in all, in the
// catalogSnapshots collection:
//   - each part is {_id: "products.<n>", snapshot, version, parts, readAt, took, data}, data being
//     up to snapshotPartBytes of products as BSON, compressed (deflate), in one binary value that
//     the server stores and sends without looking inside;
//   - a periodic job saves the copy in memory when its version differs from the saved one's
//     (SaveCatalogSnapshot); part 0 is written last, so a reader that finds every part with part
//     0's snapshot id has a whole one;
//   - on the first read of a start, a snapshot whose version is the products version now is the
//     copy: exactly what this or another instance had after the last product write any of them
//     made. Writes that bump no version (the Node app's) are caught the way a running shop
//     catches them: the copy keeps its readAt, so it is read again once older than its gap,
//     which for a snapshot taken before the restart is at the first page's background check.
//
// A snapshot of an older version is never used: the start reads the catalog as before.

const (
	snapshotPartBytes = 4 << 20
	snapshotPrefix    = "products."
)

// snapshotPart is one document of catalogSnapshots.
type snapshotPart struct {
	ID       string        `bson:"_id"`
	Snapshot bson.ObjectID `bson:"snapshot"` // the same in every part of one snapshot
	Version  int64         `bson:"version"`  // the products version of the copy
	Parts    int           `bson:"parts"`
	ReadAt   time.Time     `bson:"readAt"`
	TookMS   int64         `bson:"tookMs"`
	Data     bson.Binary   `bson:"data"` // {p: [products]} as BSON, deflated
}

type snapshotData struct {
	Products []Product `bson:"p"`
}

// readSnapshot returns the saved copy if its version is v, else nil.
func readSnapshot(ctx context.Context, snapshots *mongo.Collection, v int64, gen uint64) (*catalog, error) {
	var products []Product
	var head snapshotPart
	for n := 0; n == 0 || n < head.Parts; n++ {
		var part snapshotPart
		err := snapshots.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprint(snapshotPrefix, n)}}).Decode(&part)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			if head = part; head.Version != v {
				return nil, nil
			}
		} else if part.Snapshot != head.Snapshot {
			return nil, nil // being saved right now: part 0 is not this one's yet
		}
		raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(part.Data.Data)))
		if err != nil {
			return nil, fmt.Errorf("catalog snapshot part %d: %w", n, err)
		}
		var data snapshotData
		if err := bson.Unmarshal(raw, &data); err != nil {
			return nil, fmt.Errorf("catalog snapshot part %d: %w", n, err)
		}
		products = append(products, data.Products...)
	}
	cat := newCatalog(products, gen)
	if !cat.complete {
		return nil, nil
	}
	cat.version, cat.readAt, cat.took = v, head.ReadAt, time.Duration(head.TookMS)*time.Millisecond
	return cat, nil // checkedAt zero: the first page checks it in the background
}

// SaveCatalogSnapshot saves the catalog in memory as the snapshot, unless its version is the
// saved one's (this instance's or another's); it reports 1 when it saved one. The periodic job
// of the app calls it.
func (m *ProductModel) SaveCatalogSnapshot(ctx context.Context) (int64, error) {
	cat := m.catalog.current.Load()
	if cat == nil || !cat.complete || cat.version == m.catalog.savedVersion.Load() {
		return 0, nil
	}
	var head snapshotPart
	err := m.snapshots.FindOne(ctx, bson.D{{Key: "_id", Value: snapshotPrefix + "0"}},
		options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&head)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, err
	}
	if err == nil && head.Version == cat.version {
		m.catalog.savedVersion.Store(cat.version)
		return 0, nil
	}
	if err := writeSnapshot(ctx, m.snapshots, cat); err != nil {
		return 0, err
	}
	m.catalog.savedVersion.Store(cat.version)
	return 1, nil
}

// writeSnapshot saves cat in parts, part 0 last.
func writeSnapshot(ctx context.Context, snapshots *mongo.Collection, cat *catalog) error {
	var parts [][]Product
	size := snapshotPartBytes
	for _, p := range cat.products {
		n := len(p.Title) + len(p.Description) + len(p.ImageURL) + 128 // its fields' names and numbers
		if size+n > snapshotPartBytes {
			parts, size = append(parts, nil), 0
		}
		parts[len(parts)-1] = append(parts[len(parts)-1], p)
		size += n
	}
	if len(parts) == 0 {
		parts = [][]Product{{}} // an empty catalog is a snapshot too
	}
	id := bson.NewObjectID()
	for n := len(parts) - 1; n >= 0; n-- {
		data, err := deflate(snapshotData{Products: parts[n]})
		if err != nil {
			return err
		}
		part := snapshotPart{ID: fmt.Sprint(snapshotPrefix, n), Snapshot: id, Version: cat.version, Parts: len(parts),
			ReadAt: cat.readAt.UTC(), TookMS: cat.took.Milliseconds(), Data: bson.Binary{Data: data}}
		if _, err := snapshots.ReplaceOne(ctx, bson.D{{Key: "_id", Value: part.ID}}, part, options.Replace().SetUpsert(true)); err != nil {
			return err
		}
	}
	return nil
}

// deflate is v as BSON, compressed: the server's cost of storing and sending a part grows with
// its bytes (FerretDB keeps binary values as base64 in JSON), and product text compresses well.
func deflate(v any) ([]byte, error) {
	data, err := bson.Marshal(v)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
