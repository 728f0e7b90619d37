package uploads

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// A 1×1 lossless WebP (the picture browsers' feature tests use).
const webp1x1 = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

func encoded(t *testing.T, encode func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader is a PNG signature and a valid IHDR chunk for a w × h picture, and no pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	b := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

func TestCheckAcceptsTheFourFormatsByContent(t *testing.T) {
	webp, err := base64.StdEncoding.DecodeString(webp1x1)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		data []byte
		ext  string
	}{
		"png":  {encoded(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }), ".png"},
		"jpeg": {encoded(t, func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) }), ".jpg"},
		"gif":  {encoded(t, func(b *bytes.Buffer, i image.Image) error { return gif.Encode(b, i, nil) }), ".gif"},
		"webp": {webp, ".webp"},
	} {
		img, err := Check(tc.data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if img.ext != tc.ext {
			t.Errorf("%s stored as %s, want %s", name, img.ext, tc.ext)
		}
	}
}

func TestCheckRefusesWhatIsNotAnImage(t *testing.T) {
	webp, _ := base64.StdEncoding.DecodeString(webp1x1)
	cases := map[string][]byte{
		"empty":                  nil,
		"text":                   []byte("just some text"),
		"html":                   []byte("<!DOCTYPE html><script>alert(1)</script>"),
		"svg":                    []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"pdf":                    []byte("%PDF-1.4\n%%EOF"),
		"PNG signature and junk": append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...),
		"PNG header, no pixels":  pngHeader(4, 4),
		"GIF89a and junk":        []byte("GIF89a\x02\x00\x02\x00 but not really a picture"),
		"JPEG start and junk":    append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{2}, 100)...),
		"WebP cut short":         webp[:len(webp)-6],
		"RIFF but a WAVE":        append([]byte("RIFF\x1a\x00\x00\x00WAVEfmt "), make([]byte, 30)...),
		"WebP with a bad chunk":  append(append([]byte{}, webp[:12]...), append([]byte("VP9L"), webp[16:]...)...),
	}
	for name, data := range cases {
		if _, err := Check(data); !errors.Is(err, ErrNotImage) {
			t.Errorf("%s: err = %v, want ErrNotImage", name, err)
		}
	}
}

func TestCheckRefusesHugeCanvasesBeforeDecoding(t *testing.T) {
	if _, err := Check(pngHeader(100000, 100000)); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("err = %v, want ErrTooManyPixels", err)
	}
}
