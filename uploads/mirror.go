package uploads

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Beside the Node course app (docs/NODE-APP.md) a product's imageUrl must load on both apps'
// pages. The Node app serves only its public/ folder (express.static) and prints imageUrl as it
// is, so Gin Shop keeps a copy of every stored image in that folder, at the path of its URL:
// /images/uploads/<name> is then served by the Node app as well. GridFS stays the original;
// the copies follow Save and Remove, and SyncMirror catches up at start-up with what other
// instances stored or removed meanwhile.

// mirrorDir is where the copies live inside the mirror folder: the URL without its leading "/".
var mirrorDir = strings.Trim(URLPrefix, "/")

// MirrorTo makes Save and Remove keep a copy of every image in root (the Node app's public
// folder). Call it before serving, then SyncMirror.
func (s *Store) MirrorTo(root *os.Root) { s.mirror = root }

// copyToMirror writes one image's copy: to a temporary name first, then renamed, so the Node
// app never serves half a file.
func (s *Store) copyToMirror(name string, data []byte) error {
	if s.mirror == nil {
		return nil
	}
	if err := s.mirror.MkdirAll(mirrorDir, 0o755); err != nil {
		return err
	}
	final := path.Join(mirrorDir, name)
	tmp := path.Join(mirrorDir, "."+name+".tmp")
	if err := s.mirror.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := s.mirror.Rename(tmp, final); err != nil {
		_ = s.mirror.Remove(tmp)
		return err
	}
	return nil
}

// removeFromMirror deletes one image's copy; a copy that is not there is no error.
func (s *Store) removeFromMirror(name string) error {
	if s.mirror == nil {
		return nil
	}
	if err := s.mirror.Remove(path.Join(mirrorDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// SyncMirror makes the mirror folder's images/uploads/ hold exactly the stored images: it
// copies those it lacks and deletes copies of images that are gone (only files named like a
// stored image: anything else in the folder is the Node app's). It returns how many files it
// wrote and deleted.
func (s *Store) SyncMirror(ctx context.Context) (written, deleted int, err error) {
	if s.mirror == nil {
		return 0, 0, nil
	}
	if err := s.mirror.MkdirAll(mirrorDir, 0o755); err != nil {
		return 0, 0, err
	}
	stored, err := s.storedNames(ctx)
	if err != nil {
		return 0, 0, err
	}
	present := map[string]bool{}
	entries, err := fs.ReadDir(s.mirror.FS(), mirrorDir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range entries {
		name := e.Name()
		if !storedName.MatchString(name) || !e.Type().IsRegular() {
			continue
		}
		if stored[name] {
			present[name] = true
			continue
		}
		if err := s.removeFromMirror(name); err != nil {
			return written, deleted, err
		}
		deleted++
	}
	for name := range stored {
		if present[name] {
			continue
		}
		st, err := s.Stat(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return written, deleted, err
		}
		data, err := s.Load(ctx, st)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return written, deleted, err
		}
		if err := s.copyToMirror(name, data); err != nil {
			return written, deleted, err
		}
		written++
	}
	return written, deleted, nil
}

// storedNames lists the names of every stored image (files documents only).
func (s *Store) storedNames(ctx context.Context) (map[string]bool, error) {
	cur, err := s.readBucket().GetFilesCollection().Find(ctx, bson.D{},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var docs []struct {
		ID any `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	names := make(map[string]bool, len(docs))
	for _, d := range docs {
		if name, ok := d.ID.(string); ok && storedName.MatchString(name) {
			names[name] = true
		}
	}
	return names, nil
}
