package controllers

import (
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// nodeImageTypes are the files NodeAppImage serves from the Node app's public folder, by
// extension: pictures only, so its scripts, styles and anything else stay the Node app's.
var nodeImageTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".avif": "image/avif",
	".svg":  "image/svg+xml",
	".ico":  "image/x-icon",
}

// nodeImagePolicy replaces the page policy on these answers: an SVG opened on its own is a
// document, and one from another app's folder must not run scripts on Gin Shop's address.
const nodeImagePolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// NodeAppImage answers GET and HEAD for a URL Gin Shop has no route for with a picture of the
// Node course app's public folder (NODE_APP_PUBLIC_DIR), the folder the Node app's
// express.static serves, so a product the Node app stored with imageUrl "/images/book.svg"
// shows on Gin Shop too. Read-only; the folder is an os.Root, so no path (".." or a symbolic
// link) leaves it; dotfiles are ignored as express.static ignores them. Anything else goes on
// to the 404 page.
func (ctl *Controllers) NodeAppImage(c *gin.Context) {
	root := ctl.NodeAppPublic
	method := c.Request.Method
	if root == nil || (method != http.MethodGet && method != http.MethodHead) {
		return
	}
	p := c.Request.URL.Path
	typ, ok := nodeImageTypes[strings.ToLower(path.Ext(p))]
	if !ok || path.Clean(p) != p || strings.Contains(p, "/.") {
		return
	}
	f, err := root.Open(strings.TrimPrefix(p, "/"))
	if err != nil {
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", typ) // by extension, never sniffed (nosniff is set for every answer)
	h.Set("Content-Security-Policy", nodeImagePolicy)
	h.Set("Cache-Control", "public, max-age=0") // like express.static: revalidate with Last-Modified
	http.ServeContent(c.Writer, c.Request, info.Name(), info.ModTime(), f)
	c.Abort()
}
