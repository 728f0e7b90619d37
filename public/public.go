// Package public holds the static files (CSS, scripts, the demo product pictures), embedded in
// the binary and served with cache-busting URLs.
package public

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed css js images favicon.svg
var files embed.FS

// Assets serves the embedded files and knows each one's content hash.
type Assets struct {
	versions map[string]string // "/css/main.css" → short content hash
	files    http.Handler
}

// NewAssets hashes every embedded file once at start-up.
func NewAssets() (*Assets, error) {
	a := &Assets{versions: map[string]string{}, files: http.FileServerFS(files)}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.versions["/"+p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return a, err
}

// URL returns path with ?v=<hash>, so a changed file gets a new URL and browsers may keep
// each version forever.
func (a *Assets) URL(path string) string {
	if v, ok := a.versions[path]; ok {
		return path + "?v=" + v
	}
	return path
}

// Serve answers GET/HEAD for an embedded file. A versioned URL is cached for a year; a plain one
// for an hour, so a new deploy shows within the hour even without cache-busting.
func (a *Assets) Serve(c *gin.Context) {
	path := c.Request.URL.Path
	v, ok := a.versions[path]
	if !ok {
		c.Next() // not ours: the 404 handler answers
		return
	}
	if c.Query("v") == v {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "public, max-age=3600")
	}
	c.Header("ETag", `"`+v+`"`)
	a.files.ServeHTTP(c.Writer, c.Request)
	c.Abort()
}

// productImages is the folder of the demo products' pictures (their imageUrl is
// /images/products/<file>).
const productImages = "images/products"

// CopyProductImages copies the demo products' pictures into root (the Node course app's public
// folder, docs/NODE-APP.md) at the path of their URL, so the Node app's express.static serves
// them too. A file that is already there is left as it is: it may be the Node app's own.
// It returns how many files it wrote.
func CopyProductImages(root *os.Root) (int, error) {
	entries, err := fs.ReadDir(files, productImages)
	if err != nil {
		return 0, err
	}
	if err := root.MkdirAll(productImages, 0o755); err != nil {
		return 0, err
	}
	written := 0
	for _, e := range entries {
		name := path.Join(productImages, e.Name())
		if _, err := root.Stat(name); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return written, err
		}
		data, err := fs.ReadFile(files, name)
		if err != nil {
			return written, err
		}
		if err := root.WriteFile(name, data, 0o644); err != nil {
			return written, err
		}
		written++
	}
	return written, nil
}
