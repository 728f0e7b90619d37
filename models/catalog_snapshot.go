package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/sync/errgroup"
)

// The catalog's snapshot, so a restart does not wait for the whole catalog. Reading 20,000
// products takes over a second on the embedded database (FerretDB decodes every document), and
// the first page would wait for it. So the cache is also kept, a few documents in all, in the
// catalogSnapshots collection:
//   - each part is {_id: "products.<n>", snapshot, version, parts, readAt, took, codec, data},
//     data being up to snapshotPartBytes of products as BSON, compressed (zstd, snapshotCodec), in
//     one binary value that the server stores and sends without looking inside;
//   - a periodic job saves the copy in memory when its version differs from the saved one's
//     (SaveCatalogSnapshot); part 0 is written last, so a reader that finds every part with part
//     0's snapshot id has a whole one;
//   - on the first read of a start, a snapshot whose version is the products version now is the
//     copy: exactly what this or another instance had after the last product write any of them
//     made. Writes that bump no version (the Node app's) are caught the way a running shop
//     catches them: the copy keeps its readAt, so it is read again once older than its gap,
//     which for a snapshot taken before the restart is at the start's check, right after it
//     was read (ProductModel.WarmCatalog).
//
// A snapshot of an older version, or in another codec (a deflated one of an earlier build), is
// never used: the start reads the catalog as before.
//
// zstd, not deflate: on 20,000 products its parts are a third of deflate's size (the server's
// cost of storing and sending a part grows with its bytes: FerretDB keeps a binary value as
// base64 in JSON), and they decompress about 7 times faster. The parts after the first are read
// and decoded at the same time as it.

const (
	snapshotPartBytes = 4 << 20
	snapshotPrefix    = "products."
	snapshotCodec     = "zstd"
)

// snapshotPart is one document of catalogSnapshots.
type snapshotPart struct {
	ID       string        `bson:"_id"`
	Snapshot bson.ObjectID `bson:"snapshot"` // the same in every part of one snapshot
	Version  int64         `bson:"version"`  // the products version of the copy
	Parts    int           `bson:"parts"`
	ReadAt   time.Time     `bson:"readAt"`
	TookMS   int64         `bson:"tookMs"`
	Codec    string        `bson:"codec"` // snapshotCodec
	Data     bson.Binary   `bson:"data"`  // {p: [products]} as BSON, compressed with Codec
}

type snapshotData struct {
	Products []Product `bson:"p"`
}

// readSnapshot returns the saved copy if its version is v, else nil.
func readSnapshot(ctx context.Context, snapshots *mongo.Collection, v int64, gen uint64) (*catalog, error) {
	head, err := readSnapshotPart(ctx, snapshots, 0)
	// maxCachedProducts fill a few dozen parts at most: a count beyond that is no snapshot of ours.
	if err != nil || head == nil || head.Version != v || head.Parts < 1 || head.Parts > 1000 {
		return nil, err
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	// Part 0 tells how many there are: the others are read while it is decoded, and decoded
	// at the same time as it.
	heads, parts := make([]*snapshotPart, head.Parts), make([][]Product, head.Parts)
	heads[0] = head
	var g errgroup.Group
	for n := range head.Parts {
		g.Go(func() (err error) {
			if n > 0 {
				if heads[n], err = readSnapshotPart(ctx, snapshots, n); err != nil || heads[n] == nil {
					return err
				}
			}
			parts[n], err = decodeSnapshotPart(dec, heads[n])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, part := range heads {
		if part == nil || part.Snapshot != head.Snapshot {
			return nil, nil // being saved right now: part 0 is not this one's yet
		}
	}
	cat := newCatalog(slices.Concat(parts...), gen)
	if !cat.complete {
		return nil, nil
	}
	cat.version, cat.readAt, cat.took = v, head.ReadAt, time.Duration(head.TookMS)*time.Millisecond
	return cat, nil
}

// readSnapshotPart reads part n; a part that is missing or in another codec is nil.
func readSnapshotPart(ctx context.Context, snapshots *mongo.Collection, n int) (*snapshotPart, error) {
	var part snapshotPart
	err := snapshots.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprint(snapshotPrefix, n)}}).Decode(&part)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && part.Codec != snapshotCodec) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &part, nil
}

// decodeSnapshotPart returns the products of a part.
func decodeSnapshotPart(dec *zstd.Decoder, part *snapshotPart) ([]Product, error) {
	raw, err := dec.DecodeAll(part.Data.Data, nil)
	if err != nil {
		return nil, fmt.Errorf("catalog snapshot %s: %w", part.ID, err)
	}
	var data snapshotData
	if err := bson.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("catalog snapshot %s: %w", part.ID, err)
	}
	return data.Products, nil
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
		options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}, {Key: "codec", Value: 1}})).Decode(&head)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, err
	}
	if err == nil && head.Version == cat.version && head.Codec == snapshotCodec {
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
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		return err
	}
	defer enc.Close()
	id := bson.NewObjectID()
	for n := len(parts) - 1; n >= 0; n-- {
		raw, err := bson.Marshal(snapshotData{Products: parts[n]})
		if err != nil {
			return err
		}
		part := snapshotPart{ID: fmt.Sprint(snapshotPrefix, n), Snapshot: id, Version: cat.version, Parts: len(parts),
			ReadAt: cat.readAt.UTC(), TookMS: cat.took.Milliseconds(), Codec: snapshotCodec, Data: bson.Binary{Data: enc.EncodeAll(raw, nil)}}
		if _, err := snapshots.ReplaceOne(ctx, bson.D{{Key: "_id", Value: part.ID}}, part, options.Replace().SetUpsert(true)); err != nil {
			return err
		}
	}
	return nil
}
