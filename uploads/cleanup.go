package uploads

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
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

// RunSweeper calls SweepOrphans every interval until ctx is done.
func (s *Store) RunSweeper(ctx context.Context, every, grace time.Duration, inUse InUse, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.SweepOrphans(ctx, grace, inUse)
			if err != nil && ctx.Err() == nil {
				logger.Warn("sweep orphaned images", "err", err)
			}
			if n > 0 {
				logger.Info("deleted orphaned images", "count", n)
			}
		}
	}
}

// MoveFromDir moves the images an earlier version kept in dir (DATA_DIR/images) into GridFS,
// under the same names, so the products' imageUrls stay valid and browsers' cached copies too.
// Each file is deleted once it is in GridFS, and the directory once it is empty, so the move
// happens once; a start that dies half-way finishes on the next one. Files that are not
// stored images (a name or content Save would never have written) are left where they are.
func (s *Store) MoveFromDir(ctx context.Context, dir string, logger *slog.Logger) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		if !e.Type().IsRegular() || !storedName.MatchString(name) {
			logger.Warn("not an uploaded image, left in place", "file", path)
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return moved, err
		}
		img, err := Check(data)
		if err != nil || img.ext != filepath.Ext(name) {
			logger.Warn("not an image of its type, left in place", "file", path, "err", err)
			continue
		}
		err = s.put(ctx, name, img.ContentType(), data)
		if err != nil && !mongo.IsDuplicateKeyError(err) { // a duplicate: moved already (or by another instance)
			return moved, fmt.Errorf("move %s into GridFS: %w", path, err)
		}
		if err := os.Remove(path); err != nil {
			return moved, err
		}
		moved++
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		logger.Warn("image directory kept: it still holds files", "dir", dir)
	}
	return moved, nil
}
