package uploads_test

// These tests run against the embedded FerretDB v1.24, which is where GridFS was first
// verified for this shop: upload in several chunks, download, find by metadata and by
// uploadDate, delete with the chunks.

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/database"
	"github.com/ginshop/ginshop/uploads"
)

func TestMain(m *testing.M) { apptest.Main(m) }

var storedURL = regexp.MustCompile(`^/images/uploads/[0-9a-f]{32}\.(png|jpg)$`)

// testDB is a fresh database on the package's embedded server.
func testDB(t *testing.T) *database.DB {
	t.Helper()
	db, err := database.OpenEmbedded(context.Background(), apptest.Embedded(), apptest.DatabaseName(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.Database.Drop(context.Background())
		_ = db.Close(context.Background())
	})
	return db
}

// picture encodes a w × h picture of random noise, which does not compress.
func picture(t *testing.T, w, h int, encode func(io.Writer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rand.Read(img.Pix)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngData(t *testing.T) []byte { return picture(t, 6, 4, png.Encode) }

func checked(t *testing.T, data []byte) *uploads.Image {
	t.Helper()
	img, err := uploads.Check(data)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// bucketContents is what images.files and images.chunks hold: file names, and the file each
// chunk belongs to.
func bucketContents(t *testing.T, db *mongo.Database) (files, chunkOwners []string) {
	t.Helper()
	ctx := context.Background()
	for coll, out := range map[string]*[]string{"images.files": &files, "images.chunks": &chunkOwners} {
		field := "_id"
		if coll == "images.chunks" {
			field = "files_id"
		}
		cur, err := db.Collection(coll).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			*out = append(*out, d[field].(string))
		}
		slices.Sort(*out)
	}
	return files, chunkOwners
}

func TestSaveStoresTheImageInGridFSWithItsType(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	s := uploads.New(db.Database, db.Reads, 5<<20)

	// Larger than one 255 kB chunk, so reading it back joins chunks.
	big := picture(t, 400, 300, png.Encode)
	if len(big) < 300<<10 {
		t.Fatalf("test picture is only %d bytes, want several chunks", len(big))
	}
	jpg := picture(t, 8, 8, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
	a, err := s.Save(ctx, checked(t, big))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Save(ctx, checked(t, jpg))
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !storedURL.MatchString(a) || !strings.HasSuffix(a, ".png") || !strings.HasSuffix(b, ".jpg") {
		t.Fatalf("urls %q and %q: want two random names with the content's extension", a, b)
	}

	// The files document: _id and filename are the name, the type is metadata.
	var doc struct {
		ID       string `bson:"_id"`
		Filename string `bson:"filename"`
		Length   int64  `bson:"length"`
		Metadata bson.M `bson:"metadata"`
	}
	name := strings.TrimPrefix(a, uploads.URLPrefix)
	if err := db.Database.Collection("images.files").FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Filename != name || doc.Length != int64(len(big)) || doc.Metadata["contentType"] != "image/png" {
		t.Errorf("files document = %+v", doc)
	}
	if _, chunks := bucketContents(t, db.Database); len(chunks) < 3 {
		t.Errorf("chunks %v: want the big picture in at least 2 chunks and the JPEG in 1", chunks)
	}

	st, err := s.Stat(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if st.ContentType != "image/png" || st.Length != int64(len(big)) || st.ETag() != `"`+strings.TrimSuffix(name, ".png")+`"` ||
		time.Since(st.Uploaded) > time.Minute {
		t.Errorf("Stat = %+v, ETag %s", st, st.ETag())
	}
	data, err := s.Load(ctx, st)
	if err != nil || !bytes.Equal(data, big) {
		t.Fatalf("Load: %d bytes, %v; want the %d bytes saved", len(data), err, len(big))
	}
	if st, err := s.Stat(ctx, strings.TrimPrefix(b, uploads.URLPrefix)); err != nil || st.ContentType != "image/jpeg" {
		t.Errorf("jpeg Stat = %+v, %v", st, err)
	}

	// Names that are not stored images are not found, whatever they look like.
	for _, n := range []string{"../session-secret", "", strings.ToUpper(name), "0123456789abcdef0123456789abcdef.png", name + "x"} {
		if _, err := s.Stat(ctx, n); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want ErrNotExist", n, err)
		}
	}
}

func TestRemoveDeletesTheFileAndItsChunksAndNothingElse(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	s := uploads.New(db.Database, db.Reads, 5<<20)
	a, err := s.Save(ctx, checked(t, picture(t, 400, 300, png.Encode)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Save(ctx, checked(t, pngData(t)))
	if err != nil {
		t.Fatal(err)
	}
	// URLs that are not the store's are left alone.
	for _, url := range []string{"/images/products/book.svg", uploads.URLPrefix + "../" + strings.TrimPrefix(b, uploads.URLPrefix), "", "/images/uploads/"} {
		if err := s.Remove(ctx, url); err != nil {
			t.Errorf("Remove(%q) = %v", url, err)
		}
	}
	if err := s.Remove(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, a); err != nil {
		t.Errorf("removing an image twice: %v", err)
	}
	bName := strings.TrimPrefix(b, uploads.URLPrefix)
	files, chunks := bucketContents(t, db.Database)
	if !slices.Equal(files, []string{bName}) || !slices.Equal(chunks, []string{bName}) {
		t.Errorf("after removing %s: files %v, chunks %v; want only %s", a, files, chunks, bName)
	}
	if _, err := s.Stat(ctx, strings.TrimPrefix(a, uploads.URLPrefix)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a removed image = %v", err)
	}
}

func TestSweepDeletesOnlyOldImagesNoProductUses(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	s := uploads.New(db.Database, db.Reads, 5<<20)
	var urls []string
	for range 3 {
		u, err := s.Save(ctx, checked(t, pngData(t)))
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
	}
	kept := urls[0]
	var asked []string
	inUse := func(_ context.Context, list []string) (map[string]bool, error) {
		asked = append(asked, list...)
		return map[string]bool{kept: true}, nil
	}
	// An upload that died before its files document: chunks only, two hours old, and one
	// still being written now.
	chunks := db.Database.Collection("images.chunks")
	for i, id := range []bson.ObjectID{bson.NewObjectIDFromTimestamp(time.Now().Add(-2 * time.Hour)), bson.NewObjectID()} {
		for n := range 2 {
			chunkID := id
			if n > 0 {
				chunkID = bson.NewObjectID()
			}
			_, err := chunks.InsertOne(ctx, bson.D{{Key: "_id", Value: chunkID}, {Key: "files_id", Value: []string{"dead", "running"}[i]},
				{Key: "n", Value: n}, {Key: "data", Value: bson.Binary{Data: []byte("partial")}}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	// Fresh images are never swept: their product may be being saved right now.
	if n, err := s.SweepOrphans(ctx, time.Hour, inUse); err != nil || n != 0 {
		t.Fatalf("sweep of fresh images deleted %d, %v", n, err)
	}
	files, owners := bucketContents(t, db.Database)
	if len(files) != 3 || slices.Contains(owners, "dead") || !slices.Contains(owners, "running") {
		t.Errorf("after the first sweep: files %v, chunks of %v; want 3 files, the dead upload's chunks gone", files, owners)
	}

	// Once they are older than the grace period, the unused ones go.
	n, err := s.SweepOrphans(ctx, -time.Minute, inUse)
	if err != nil || n != 2 {
		t.Fatalf("sweep deleted %d, %v; want the 2 unused images", n, err)
	}
	slices.Sort(asked)
	want := slices.Sorted(slices.Values(urls))
	if !slices.Equal(asked, want) {
		t.Errorf("asked about %v, want %v", asked, want)
	}
	keptName := strings.TrimPrefix(kept, uploads.URLPrefix)
	files, owners = bucketContents(t, db.Database)
	if !slices.Equal(files, []string{keptName}) || !slices.Equal(owners, []string{keptName}) {
		t.Errorf("after sweeping: files %v, chunks of %v; want only %s", files, owners, keptName)
	}

	// A database error stops the sweep without deleting anything.
	if _, err := s.Save(ctx, checked(t, pngData(t))); err != nil {
		t.Fatal(err)
	}
	failing := func(context.Context, []string) (map[string]bool, error) {
		return nil, errors.New("products unreachable")
	}
	if n, err := s.SweepOrphans(ctx, -time.Minute, failing); err == nil || n != 0 {
		t.Errorf("sweep with a failing products query: %d, %v", n, err)
	}
	if files, _ := bucketContents(t, db.Database); len(files) != 2 {
		t.Errorf("files %v after a failed sweep, want 2", files)
	}
}
