package models

import (
	"strings"
	"testing"
)

func TestParsePrice(t *testing.T) {
	good := map[string]float64{"12": 12, "12.5": 12.5, "12.50": 12.5, "0.01": 0.01, "999999.99": 999999.99, " 7 ": 7, "0.5": 0.5}
	for s, want := range good {
		if got, err := ParsePrice(s); err != nil || got != want {
			t.Errorf("ParsePrice(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	bad := []string{"-1", "0", "0.0", "0.00", "abc", "NaN", "nan", "Inf", "+Inf", "Infinity", "1e309", "1e3", "0x1p3", "0x10",
		"1_000", "12.345", "", " ", "1000000", "1000000.00", "+5", ".5", "5.", "1,50", "1.5.0", "١٢", "12\x00", "12 34"}
	for _, s := range bad {
		if v, err := ParsePrice(s); err == nil {
			t.Errorf("ParsePrice(%q) = %v, want an error", s, v)
		}
	}
}

func TestProductInputValidate(t *testing.T) {
	p, errs := ProductInput{Title: "  Tea Pot ", Price: "3.20", Description: " Brews tea. "}.Validate()
	if len(errs) != 0 || p.Title != "Tea Pot" || p.Price != 3.2 || p.Description != "Brews tea." {
		t.Fatalf("valid input: %+v, %v", p, errs)
	}
	_, errs = ProductInput{Title: "ab", Price: "x", Description: strings.Repeat("é", 401)}.Validate()
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	if strings.Join(fields, ",") != "title,price,description" {
		t.Errorf("failed fields = %v, want all three in form order", fields)
	}
	// Lengths count characters, not bytes.
	if _, errs := (ProductInput{Title: "été", Price: "1", Description: strings.Repeat("é", 400)}).Validate(); len(errs) != 0 {
		t.Errorf("3 and 400 accented characters refused: %v", errs)
	}
}

func TestMoneyInCents(t *testing.T) {
	var sum int64
	for range 10 {
		sum += PriceCents(0.1) // ten times 0.1 is 0.9999999999999999 in floats
	}
	if FormatCents(sum) != "1.00" {
		t.Errorf("ten times 0.10 = %s", FormatCents(sum))
	}
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 1999: "19.99", 99999999: "999999.99", -250: "-2.50"} {
		if got := FormatCents(cents); got != want {
			t.Errorf("FormatCents(%d) = %s, want %s", cents, got, want)
		}
	}
	if PriceCents(29.99)*3 != 8997 || PriceCents(9.5) != 950 {
		t.Error("PriceCents is not exact for two-decimal prices")
	}
}
