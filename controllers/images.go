package controllers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginshop/ginshop/uploads"
)

// imageCacheControl: names are random and never reused, so browsers may keep an image forever.
const imageCacheControl = "public, max-age=31536000, immutable"

// UploadedImage is GET and HEAD /images/uploads/:name, an uploaded product image from GridFS
// (the course's express.static for its images folder), the same on every instance.
// http.ServeContent answers If-None-Match, If-Modified-Since, HEAD and Range; the image's bytes
// are read from the database only when it actually sends a body (see lazyImage).
func (ctl *Controllers) UploadedImage(c *gin.Context) {
	ctx := c.Request.Context()
	img, err := ctl.Images.Stat(ctx, c.Param("name"))
	if errors.Is(err, fs.ErrNotExist) {
		ctl.NotFound(c)
		return
	}
	if err != nil {
		ctl.fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("ETag", img.ETag())
	h.Set("Cache-Control", imageCacheControl)
	h.Set("Content-Type", img.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Writer, c.Request, img.Name, img.Uploaded,
		&lazyImage{ctx: ctx, store: ctl.Images, img: img, logger: ctl.logImageError})
}

func (ctl *Controllers) logImageError(name string, err error) {
	ctl.Logger.Error("read uploaded image", "name", name, "err", err)
}

// lazyImage is an io.ReadSeeker over a stored image that knows its size from the files
// document and reads the chunks on the first Read: a 304, a HEAD or a failed precondition
// costs no chunk read. If that read fails (the image was deleted or the database went away
// after Stat), the headers are already sent: the body stops short, net/http closes the
// connection, and the client sees a broken download rather than a wrong image.
type lazyImage struct {
	ctx    context.Context
	store  *uploads.Store
	img    uploads.Stored
	logger func(name string, err error)
	r      io.ReadSeeker
	off    int64
}

func (l *lazyImage) Seek(offset int64, whence int) (int64, error) {
	if l.r != nil {
		return l.r.Seek(offset, whence)
	}
	switch whence {
	case io.SeekStart:
		l.off = offset
	case io.SeekCurrent:
		l.off += offset
	case io.SeekEnd:
		l.off = l.img.Length + offset
	}
	return l.off, nil
}

func (l *lazyImage) Read(p []byte) (int, error) {
	if l.r == nil {
		data, err := l.store.Load(l.ctx, l.img)
		if err != nil {
			l.logger(l.img.Name, err)
			return 0, err
		}
		r := bytes.NewReader(data)
		if _, err := r.Seek(l.off, io.SeekStart); err != nil {
			return 0, err
		}
		l.r = r
	}
	return l.r.Read(p)
}
