// Package views holds the HTML templates, one file per EJS view of the course
// (shop/index.html for shop/index.ejs, includes/head.html for includes/head.ejs), embedded in
// the binary and parsed once at start-up.
package views

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
)

//go:embed *.html */*.html
var files embed.FS

// Renderer executes the parsed pages. Each page has its own template set (the page plus the
// includes), so two pages can never overwrite each other's blocks the way one shared
// LoadHTMLGlob namespace does.
type Renderer struct {
	pages map[string]*template.Template
	bufs  sync.Pool
}

// New parses every page under views/ with the includes. A template error stops start-up.
// asset turns a static path into its cache-busting URL.
func New(asset func(string) string) (*Renderer, error) {
	return parse(files, asset)
}

func parse(files fs.FS, asset func(string) string) (*Renderer, error) {
	funcs := template.FuncMap{"asset": asset, "dict": dict}
	r := &Renderer{pages: map[string]*template.Template{}}
	r.bufs.New = func() any { return new(bytes.Buffer) }
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "includes/") || path.Ext(p) != ".html" {
			return err
		}
		t, err := template.New(path.Base(p)).Funcs(funcs).ParseFS(files, "includes/*.html", p)
		if err != nil {
			return fmt.Errorf("view %s: %w", p, err)
		}
		r.pages[strings.TrimSuffix(p, ".html")] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Has reports whether a page of that name exists ("shop/index").
func (r *Renderer) Has(name string) bool { _, ok := r.pages[name]; return ok }

// Render executes page name with data into a buffer, then hands the bytes to write. Nothing
// reaches the client if the template fails, so an error never sends half a page.
func (r *Renderer) Render(name string, data any, write func([]byte) error) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("no view named %q", name)
	}
	buf := r.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := t.Execute(buf, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return write(buf.Bytes())
}

// Execute renders a page straight to w; for tests and tools, not for HTTP answers.
func (r *Renderer) Execute(w io.Writer, name string, data any) error {
	return r.Render(name, data, func(b []byte) error { _, err := w.Write(b); return err })
}

// dict builds a map for passing several values to an include, as EJS's include(file, {a, b}) does.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}
