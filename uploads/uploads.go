// Package uploads keeps the product images users upload: it checks that a file really is a
// PNG, JPEG, WebP or GIF by its content (not its name or the browser's Content-Type), stores it
// in the database's GridFS bucket "images" under a random name, so that every instance of the
// shop serves every image under /images/uploads/, and deletes it when its product lets go of it.
// It does the job of the course's multer diskStorage and fileFilter, plus the fs.unlink of its
// file helper.
package uploads

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registers the decoders DecodeConfig uses
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// URLPrefix is where stored images are served; the stored product's imageUrl starts with it.
const URLPrefix = "/images/uploads/"

var (
	// ErrNotImage means the file is not a PNG, JPEG, WebP or GIF.
	ErrNotImage = errors.New("attached file is not an image")
	// ErrTooLarge means the file is larger than the store accepts.
	ErrTooLarge = errors.New("image too large")
	// ErrTooManyPixels means the picture is larger than MaxPixels.
	ErrTooManyPixels = errors.New("image has too many pixels")
)

// MaxPixels caps width × height. Checking a picture means decoding it, and a small file can
// claim a huge canvas (a "decompression bomb"); 24 megapixels is a 6000 × 4000 photo.
const MaxPixels = 24_000_000

// formats are the accepted types, as http.DetectContentType names them, and the extension
// stored files get.
var formats = map[string]string{
	"image/png":  ".png",
	"image/jpeg": ".jpg",
	"image/webp": ".webp",
	"image/gif":  ".gif",
}

// storedName is what a stored file's name looks like: 128 random bits and a known extension.
// Anything else in a URL is not ours, which also rules out "../" and the like.
var storedName = regexp.MustCompile(`^[0-9a-f]{32}\.(png|jpg|webp|gif)$`)

// Bucket is the GridFS bucket of the images: collections images.files and images.chunks.
const Bucket = "images"

// Store is the GridFS bucket of uploaded images. A file's _id and filename are its stored name
// ("<32 hex digits>.png"), so serving an image is a lookup by _id, the one lookup FerretDB
// indexes; its metadata.contentType is the type its content was checked to be.
type Store struct {
	db       *mongo.Database // writes, and the reads that decide them (the sweep)
	reads    *mongo.Database // serving images (pooled), so a download never holds up writes
	maxBytes int64
	mirror   *os.Root // the Node app's public folder, which gets a copy of every image; nil = none (mirror.go)
}

// New uses the bucket "images" of db for writes and of reads (the same database through the
// read pool) for serving; files above maxBytes are refused.
func New(db, reads *mongo.Database, maxBytes int64) *Store {
	return &Store{db: db, reads: reads, maxBytes: maxBytes}
}

// bucket is a fresh handle per use: the driver's GridFSBucket remembers its first write (when
// it creates the bucket's indexes) in an unguarded field, so one shared handle would be a data
// race between simultaneous uploads. A handle is only a pair of collection names.
func (s *Store) bucket() *mongo.GridFSBucket {
	return s.db.GridFSBucket(options.GridFSBucket().SetName(Bucket))
}

func (s *Store) readBucket() *mongo.GridFSBucket {
	return s.reads.GridFSBucket(options.GridFSBucket().SetName(Bucket))
}

// Image is an uploaded file that passed the checks, not stored yet.
type Image struct {
	data []byte
	ext  string
}

// ContentType is the type the image's content was checked to be.
func (img *Image) ContentType() string { return ContentType(img.ext) }

// Read reads an uploaded file and checks it: ErrTooLarge above the limit, ErrNotImage unless
// its bytes are a PNG, JPEG, WebP or GIF.
func (s *Store) Read(fh *multipart.FileHeader) (*Image, error) {
	if fh.Size > s.maxBytes {
		return nil, ErrTooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, s.maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > s.maxBytes {
		return nil, ErrTooLarge
	}
	return Check(data)
}

// Check sniffs data (http.DetectContentType reads the first 512 bytes), then decodes it, so a
// text file named photo.png, or a GIF89a signature followed by anything else, is refused.
// WebP, which the standard library cannot decode, gets a check of its container instead.
func Check(data []byte) (*Image, error) {
	typ := http.DetectContentType(data)
	ext, ok := formats[typ]
	if !ok {
		return nil, ErrNotImage
	}
	if typ == "image/webp" {
		if !validWebP(data) {
			return nil, ErrNotImage
		}
		return &Image{data: data, ext: ext}, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrNotImage
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, ErrTooManyPixels
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return nil, ErrNotImage
	}
	return &Image{data: data, ext: ext}, nil
}

// validWebP checks the RIFF container and that its first chunk is one of WebP's image chunks
// (the standard library has no WebP decoder).
func validWebP(data []byte) bool {
	if len(data) < 30 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return false
	}
	if size := binary.LittleEndian.Uint32(data[4:8]); int64(size)+8 > int64(len(data)) || size < 22 {
		return false // the container claims more bytes than were sent
	}
	payload := data[20:]
	switch string(data[12:16]) {
	case "VP8 ":
		return payload[3] == 0x9d && payload[4] == 0x01 && payload[5] == 0x2a // key frame start code
	case "VP8L":
		return payload[0] == 0x2f // lossless signature
	case "VP8X":
		return true // extended format: the flags and canvas size follow
	}
	return false
}

// Save writes the image into GridFS under a new random name and returns its URL. The chunks
// are written first and the files document last, so a file that can be found is complete.
func (s *Store) Save(ctx context.Context, img *Image) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	name := hex.EncodeToString(b) + img.ext
	if err := s.put(ctx, name, img.ContentType(), img.data); err != nil {
		return "", err
	}
	if err := s.copyToMirror(name, img.data); err != nil {
		_ = s.delete(context.WithoutCancel(ctx), name) // or the sweeper takes it
		return "", err
	}
	return URLPrefix + name, nil
}

// chunkSize is GridFS's default chunk size: a 200 KB image is one chunk.
const chunkSize = 255 * 1024

// put writes a GridFS file the way the driver's upload does (chunks, then the files document),
// with one addition: the files document lists its chunks' _ids under metadata.chunks. A
// download then reads each chunk by _id, which costs the same whatever the number of images on
// the embedded database; the driver's own download asks for {files_id} sorted by n, which
// reads every chunk of every image there. mongofiles and the driver still read these files.
func (s *Store) put(ctx context.Context, name, contentType string, data []byte) error {
	var chunks []any
	var ids []bson.ObjectID
	for n, off := 0, 0; off < len(data); n, off = n+1, off+chunkSize {
		id := bson.NewObjectID()
		ids = append(ids, id)
		chunks = append(chunks, bson.D{
			{Key: "_id", Value: id},
			{Key: "files_id", Value: name},
			{Key: "n", Value: int32(n)},
			{Key: "data", Value: bson.Binary{Data: data[off:min(off+chunkSize, len(data))]}},
		})
	}
	b := s.bucket()
	if len(chunks) > 0 {
		if _, err := b.GetChunksCollection().InsertMany(ctx, chunks); err != nil {
			return err
		}
	}
	// The _id is unique, so even a repeated name could never overwrite another image.
	_, err := b.GetFilesCollection().InsertOne(ctx, bson.D{
		{Key: "_id", Value: name},
		{Key: "length", Value: int64(len(data))},
		{Key: "chunkSize", Value: int32(chunkSize)},
		{Key: "uploadDate", Value: time.Now().UTC().Truncate(time.Millisecond)},
		{Key: "filename", Value: name},
		{Key: "metadata", Value: bson.D{{Key: "contentType", Value: contentType}, {Key: "chunks", Value: ids}}},
	})
	return err
}

// Remove deletes the stored image behind url, chunks and all. URLs that are not this store's
// (the demo products' /images/products/...) are left alone, and an image already gone is no
// error.
func (s *Store) Remove(ctx context.Context, url string) error {
	name, ok := s.name(url)
	if !ok {
		return nil
	}
	if err := s.delete(ctx, name); err != nil {
		return err
	}
	return s.removeFromMirror(name)
}

// delete removes a stored file, files document first, so a file that can be found is always
// complete. The driver's bucket.Delete filters {_id: {$eq: name}} and {files_id: name}, which
// read every image on the embedded database; here the files document and the chunks it lists
// go by _id. A file stored without that list (by an earlier version) has its chunks deleted
// the driver's way. A file already gone is no error.
func (s *Store) delete(ctx context.Context, name string) error {
	b := s.bucket()
	var d filesDoc
	err := b.GetFilesCollection().FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return err
	}
	chunks := b.GetChunksCollection()
	if len(d.Metadata.Chunks) == 0 {
		_, err := chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: name}})
		return err
	}
	// Last chunk first: if this stops half-way, chunk 0 is left, by which the sweeper of
	// unfinished uploads finds and deletes the rest.
	for _, id := range slices.Backward(d.Metadata.Chunks) {
		if _, err := chunks.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return err
		}
	}
	return nil
}

// Stored is what the files document says about a stored image.
type Stored struct {
	Name        string
	ContentType string
	Length      int64
	Uploaded    time.Time

	chunks []bson.ObjectID // the chunks' _ids in order, if put listed them
}

// ETag is the image's entity tag. A name is never reused and a stored image never changes, so
// the name itself identifies these exact bytes, on every instance.
func (st Stored) ETag() string {
	return `"` + strings.TrimSuffix(st.Name, path.Ext(st.Name)) + `"`
}

type filesDoc struct {
	Name       string    `bson:"_id"`
	Length     int64     `bson:"length"`
	UploadDate time.Time `bson:"uploadDate"`
	Metadata   struct {
		ContentType string          `bson:"contentType"`
		Chunks      []bson.ObjectID `bson:"chunks"`
	} `bson:"metadata"`
}

// Stat reads an image's files document (no chunks): fs.ErrNotExist if there is none.
func (s *Store) Stat(ctx context.Context, name string) (Stored, error) {
	if !storedName.MatchString(name) {
		return Stored{}, fs.ErrNotExist
	}
	var d filesDoc
	err := s.readBucket().GetFilesCollection().FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Stored{}, fs.ErrNotExist
	}
	if err != nil {
		return Stored{}, err
	}
	ct := d.Metadata.ContentType
	if _, ok := formats[ct]; !ok {
		ct = ContentType(name) // not written by Save: trust only the four types we check
	}
	return Stored{Name: d.Name, ContentType: ct, Length: d.Length, Uploaded: d.UploadDate, chunks: d.Metadata.Chunks}, nil
}

// Load reads a whole stored image. It is read into memory (at most maxBytes) rather than
// streamed, so a slow client never holds a database cursor open past the driver's timeout.
// Chunks listed in the files document are read by _id; a file stored without that list (by an
// earlier version) is downloaded the driver's way.
func (s *Store) Load(ctx context.Context, st Stored) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, st.Length))
	if len(st.chunks) == 0 {
		_, err := s.readBucket().DownloadToStream(ctx, st.Name, buf)
		if errors.Is(err, mongo.ErrFileNotFound) {
			return nil, fs.ErrNotExist
		}
		return buf.Bytes(), err
	}
	chunks := s.readBucket().GetChunksCollection()
	for n, id := range st.chunks {
		var c struct {
			N    int32  `bson:"n"`
			Data []byte `bson:"data"`
		}
		err := chunks.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fs.ErrNotExist // deleted since Stat
		}
		if err != nil {
			return nil, err
		}
		if int(c.N) != n {
			return nil, fmt.Errorf("image %s: chunk %d is numbered %d", st.Name, n, c.N)
		}
		buf.Write(c.Data)
	}
	if int64(buf.Len()) != st.Length {
		return nil, fmt.Errorf("image %s: %d bytes stored, %d expected", st.Name, buf.Len(), st.Length)
	}
	return buf.Bytes(), nil
}

// ContentType is the type a stored name's extension stands for.
func ContentType(name string) string {
	for typ, ext := range formats {
		if strings.HasSuffix(name, ext) {
			return typ
		}
	}
	return "application/octet-stream"
}

func (s *Store) name(url string) (string, bool) {
	name, ok := strings.CutPrefix(url, URLPrefix)
	return name, ok && storedName.MatchString(name)
}
