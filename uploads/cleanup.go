package uploads

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// An image and its product are two writes: the image first, then the product. When the
// product's write fails the controller deletes the image at once; when the process dies in
// between (or that delete fails too), the image is an orphan that nothing points to. The
// sweeper finds those later: every image older than a grace period that no product names is
// deleted, and so are chunks left by an upload that died before its files document was written.
// The grace period is far longer than any request, so an image is never swept while its
// product is still being saved. Every instance may sweep; deleting twice is harmless.

// InUse reports which of the given image URLs some product still points to (the products
// model answers it; this package knows nothing about products).
type InUse func(ctx context.Context, urls []string) (map[string]bool, error)

// sweepBatch is how many image URLs one InUse query asks about.
const sweepBatch = 200

// SweepOrphans deletes the images uploaded before now-grace that inUse does not claim, and the
// chunks of uploads that never finished, and returns how many images it deleted.
func (s *Store) SweepOrphans(ctx context.Context, grace time.Duration, inUse InUse) (int, error) {
	cutoff := time.Now().Add(-grace)
	b := s.bucket()
	cur, err := b.GetFilesCollection().Find(ctx, bson.D{{Key: "uploadDate", Value: bson.D{{Key: "$lt", Value: cutoff}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return 0, err
	}
	var old []struct {
		ID any `bson:"_id"`
	}
	if err := cur.All(ctx, &old); err != nil {
		return 0, err
	}
	deleted := 0
	for start := 0; start < len(old); start += sweepBatch {
		batch := old[start:min(start+sweepBatch, len(old))]
		urls := make([]string, 0, len(batch))
		for _, f := range batch {
			if name, ok := f.ID.(string); ok && storedName.MatchString(name) {
				urls = append(urls, URLPrefix+name)
			}
		}
		used, err := inUse(ctx, urls)
		if err != nil {
			return deleted, err
		}
		for _, url := range urls {
			if used[url] {
				continue
			}
			if err := s.Remove(ctx, url); err != nil {
				return deleted, err
			}
			deleted++
		}
	}
	return deleted, s.sweepUnfinishedUploads(ctx, cutoff)
}

// sweepUnfinishedUploads deletes chunks older than cutoff whose files document does not exist:
// an upload the process died in the middle of. A chunk's _id is an ObjectID made when it was
// written, so its age is in its id.
func (s *Store) sweepUnfinishedUploads(ctx context.Context, cutoff time.Time) error {
	b := s.bucket()
	// Only first chunks: every upload has one, and it is enough to find the upload.
	cur, err := b.GetChunksCollection().Find(ctx, bson.D{
		{Key: "n", Value: 0},
		{Key: "_id", Value: bson.D{{Key: "$lt", Value: bson.NewObjectIDFromTimestamp(cutoff)}}},
	}, options.Find().SetProjection(bson.D{{Key: "files_id", Value: 1}}))
	if err != nil {
		return err
	}
	var firsts []struct {
		FileID any `bson:"files_id"`
	}
	if err := cur.All(ctx, &firsts); err != nil {
		return err
	}
	for _, c := range firsts {
		err := b.GetFilesCollection().FindOne(ctx, bson.D{{Key: "_id", Value: c.FileID}}).Err()
		if !errors.Is(err, mongo.ErrNoDocuments) {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := b.GetChunksCollection().DeleteMany(ctx, bson.D{{Key: "files_id", Value: c.FileID}}); err != nil {
			return err
		}
	}
	return nil
}
