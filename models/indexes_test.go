package models

import "testing"

func TestServedNeedsIdOrADeclaredIndexOrADeclaredWholeRead(t *testing.T) {
	cases := []struct {
		coll   string
		fields []string
		want   bool
	}{
		{"users", []string{"_id"}, true},
		{"users", []string{"_id", "cart.items.0.productId"}, true},
		{"users", []string{"email"}, true},
		{"users", []string{"resetToken", "resetTokenExpiration"}, true},
		{"orders", []string{"user.email"}, false},     // nothing declared serves it
		{"products", []string{"title"}, false},        // nor this
		{"loginAttempts", nil, false},                 // a whole read nobody declared
		{"products", nil, true},                       // the catalog's read
		{"images.chunks", []string{"files_id"}, true}, // GridFS's index
		{"images.chunks", []string{"n"}, false},       // not a prefix of it
	}
	for _, c := range cases {
		if got := Served(c.coll, c.fields); got != c.want {
			t.Errorf("Served(%s, %v) = %v, want %v", c.coll, c.fields, got, c.want)
		}
	}
}
