package models

import (
	"fmt"
	"math"
)

// Prices are stored as numbers, like the course's Mongoose schema (price: Number), but every sum
// is done in whole cents so 0.1 + 0.2 never shows up as 0.30000000000000004.

// PriceCents is a stored price in cents. Prices have at most two decimals (see ParsePrice), so
// rounding recovers the exact amount.
func PriceCents(price float64) int64 { return int64(math.Round(price * 100)) }

// FormatCents prints cents as an amount with two decimals ("1234" → "12.34").
func FormatCents(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
