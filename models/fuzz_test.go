package models

import (
	"math"
	"strings"
	"testing"
)

// The fuzz targets of the models' parsers. Their seed corpora in testdata/fuzz run as ordinary
// tests; `go test -fuzz FuzzParsePrice ./models` explores further.

// FuzzParsePrice: a price is accepted only as a plain decimal with at most two places, above 0
// and below MaxPrice, and it survives the trip through whole cents.
func FuzzParsePrice(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParsePrice(s)
		if err != nil {
			if v != 0 {
				t.Fatalf("ParsePrice(%q) = %v with error %v", s, v, err)
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 || v >= MaxPrice {
			t.Fatalf("ParsePrice(%q) = %v", s, v)
		}
		if !priceFormat.MatchString(strings.TrimSpace(s)) {
			t.Fatalf("ParsePrice(%q) accepted a spelling outside the format", s)
		}
		cents := PriceCents(v)
		if back, err := ParsePrice(FormatCents(cents)); err != nil || PriceCents(back) != cents {
			t.Fatalf("ParsePrice(%q) = %v: %d cents, formatted %q, read back %v (%v)", s, v, cents, FormatCents(cents), back, err)
		}
	})
}

// FuzzParseID: only 24 hex digits make an ObjectID; anything else is ErrNotFound (a 404).
func FuzzParseID(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			if err != ErrNotFound || !id.IsZero() {
				t.Fatalf("ParseID(%q) = %v, %v", s, id, err)
			}
			return
		}
		if len(s) != 24 || !strings.EqualFold(id.Hex(), s) {
			t.Fatalf("ParseID(%q) = %s", s, id.Hex())
		}
	})
}
