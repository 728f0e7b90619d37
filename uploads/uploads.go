// Package uploads keeps the product images users upload: it checks that a file really is a
// PNG, JPEG, WebP or GIF by its content (not its name or the browser's Content-Type), stores it
// under DATA_DIR/images with a random name, serves it under /images/uploads/, and deletes it
// when its product lets go of it. It does the job of the course's multer diskStorage and
// fileFilter, plus the fs.unlink of its file helper.
package uploads

import (
	"bytes"
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
	"path/filepath"
	"regexp"
	"strings"
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

// Store is the directory of uploaded images.
type Store struct {
	dir      string
	maxBytes int64
}

// New opens (creating it if needed) the image directory; files above maxBytes are refused.
func New(dir string, maxBytes int64) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("image directory: %w", err)
	}
	return &Store{dir: dir, maxBytes: maxBytes}, nil
}

// Image is an uploaded file that passed the checks, not stored yet.
type Image struct {
	data []byte
	ext  string
}

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

// Save writes the image under a new random name and returns its URL.
func (s *Store) Save(img *Image) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	name := hex.EncodeToString(b) + img.ext
	path := filepath.Join(s.dir, name)
	// O_EXCL: never overwrite a file, even in the impossible case of a repeated name.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	_, err = f.Write(img.data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", err
	}
	return URLPrefix + name, nil
}

// Remove deletes the stored file behind url. URLs that are not this store's (the demo
// products' /images/products/...) are left alone, and a file already gone is no error.
func (s *Store) Remove(url string) error {
	name, ok := s.name(url)
	if !ok {
		return nil
	}
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Open opens a stored image by its file name, or returns fs.ErrNotExist.
func (s *Store) Open(name string) (*os.File, error) {
	if !storedName.MatchString(name) {
		return nil, fs.ErrNotExist
	}
	return os.Open(filepath.Join(s.dir, name))
}

// ContentType is the type a stored file is served with, from the extension Save gave it.
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
