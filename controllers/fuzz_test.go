package controllers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets of the controllers' input rules. Their seed corpora in testdata/fuzz run as
// ordinary tests; `go test -fuzz FuzzSafeNext ./controllers` explores further.

// FuzzSafeNext: whatever the login form's next says, the Location net/http finally sends (after
// its own cleaning) is a path of this site, and checking it again changes nothing.
func FuzzSafeNext(f *testing.F) {
	base, _ := url.Parse("http://shop.test/login")
	f.Fuzz(func(t *testing.T, next string) {
		out := safeNext(next)
		if safeNext(out) != out {
			t.Fatalf("safeNext(%q) = %q, but safeNext(%q) = %q", next, out, out, safeNext(out))
		}
		w := httptest.NewRecorder()
		http.Redirect(w, httptest.NewRequest(http.MethodPost, "/login", nil), out, http.StatusSeeOther)
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsFunc(loc, unsafeInLocation) {
			t.Fatalf("next %q: Location %q", next, loc)
		}
		u, err := base.Parse(loc)
		if err != nil || u.Host != base.Host || u.Scheme != base.Scheme {
			t.Fatalf("next %q: Location %q leads to %v (%v)", next, loc, u, err)
		}
	})
}

// FuzzParsePage: ?page= is a positive page number whatever is typed, and a plain positive
// number is taken as it is.
func FuzzParsePage(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n := parsePage(s)
		if n < 1 {
			t.Fatalf("parsePage(%q) = %d", s, n)
		}
		if v, err := strconv.Atoi(s); err == nil && v >= 1 && n != v {
			t.Fatalf("parsePage(%q) = %d, want %d", s, n, v)
		}
	})
}
