package views

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func noAsset(p string) string { return p }

func TestEveryViewParses(t *testing.T) {
	r, err := New(noAsset)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"shop/index", "shop/product-list", "shop/product-detail", "auth/login", "404", "500", "error", "lessons/cookie"} {
		if !r.Has(name) {
			t.Errorf("view %s is not registered", name)
		}
	}
}

func TestBrokenTemplateStopsStartUp(t *testing.T) {
	fsys := fstest.MapFS{
		"includes/head.html": {Data: []byte(`{{define "includes/head"}}<head>{{end}}`)},
		"shop/index.html":    {Data: []byte(`{{template "includes/head" .}}{{if .Title}}`)},
	}
	if _, err := parse(fsys, noAsset); err == nil || !strings.Contains(err.Error(), "shop/index.html") {
		t.Fatalf("parse = %v, want an error naming shop/index.html", err)
	}
}

func TestFailingTemplateWritesNothing(t *testing.T) {
	fsys := fstest.MapFS{
		"includes/head.html": {Data: []byte(`{{define "includes/head"}}<head>{{end}}`)},
		"page.html":          {Data: []byte(`{{template "includes/head" .}}<p>half a page</p>{{.Missing.Field}}`)},
	}
	r, err := parse(fsys, noAsset)
	if err != nil {
		t.Fatal(err)
	}
	written := false
	err = r.Render("page", struct{ Missing *struct{ Field string } }{}, func([]byte) error { written = true; return nil })
	if err == nil || written {
		t.Fatalf("Render = %v, written = %v; want an error and nothing written", err, written)
	}
	if err := r.Render("nope", nil, func([]byte) error { return errors.New("unreachable") }); err == nil {
		t.Fatal("unknown view rendered")
	}
}

func TestTemplatesEscapeUserText(t *testing.T) {
	r, err := New(noAsset)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	page := NewPage(`<script class="evil">alert(1)</script>`, "/", nil)
	if err := r.Execute(&b, "404", page); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `<script class="evil">`) || !strings.Contains(b.String(), "&lt;script class=&#34;evil&#34;&gt;") {
		t.Fatal("the title was not escaped")
	}
}

func TestPagination(t *testing.T) {
	cases := []struct {
		current int
		total   int64
		want    Pagination
	}{
		{1, 0, Pagination{CurrentPage: 1, NextPage: 2, PreviousPage: 0, LastPage: 1}},
		{1, 10, Pagination{CurrentPage: 1, HasNextPage: true, NextPage: 2, PreviousPage: 0, LastPage: 2}},
		{2, 10, Pagination{CurrentPage: 2, HasPreviousPage: true, NextPage: 3, PreviousPage: 1, LastPage: 2}},
		{3, 25, Pagination{CurrentPage: 3, HasNextPage: true, HasPreviousPage: true, NextPage: 4, PreviousPage: 2, LastPage: 5}},
	}
	for _, c := range cases {
		if got := NewPagination(c.current, c.total, 6); got != c.want {
			t.Errorf("NewPagination(%d, %d, 6) = %+v, want %+v", c.current, c.total, got, c.want)
		}
	}
}
