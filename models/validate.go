package models

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The rules of the course's admin routes (express-validator):
//
//	body('title').isString().isLength({ min: 3 }).trim(),
//	body('price').isFloat(),
//	body('description').isLength({ min: 5, max: 400 }).trim()
//
// with the price made stricter: a plain decimal with at most two places, above 0 and below
// MaxPrice.
const (
	MinTitleLen       = 3
	MaxTitleLen       = 100
	MinDescriptionLen = 5
	MaxDescriptionLen = 400
	MaxPrice          = 1_000_000
)

// priceFormat is the only price spelling accepted: digits, optionally a point and one or two
// more. strconv.ParseFloat alone would also take "NaN", "Inf", "1e309", "0x1p3" and "1_000".
var priceFormat = regexp.MustCompile(`^[0-9]{1,7}(\.[0-9]{1,2})?$`)

// ErrInvalidPrice is what ParsePrice returns for anything but a valid price.
var ErrInvalidPrice = errors.New("invalid price")

// ParsePrice reads a price as typed in the product form ("12", "12.5", "12.50").
func ParsePrice(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if !priceFormat.MatchString(s) {
		return 0, ErrInvalidPrice
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || v >= MaxPrice {
		return 0, ErrInvalidPrice
	}
	return v, nil
}

// ProductInput is the product form as typed, kept as text so a failed form shows it again.
type ProductInput struct {
	Title       string
	Price       string
	Description string
}

// FieldError is one failed rule: the form field and the message shown.
type FieldError struct {
	Field   string
	Message string
}

// Validate checks the form against the rules and returns the product's fields (title and
// description trimmed) and the failures in form order; no failures means the fields are valid.
func (in ProductInput) Validate() (Product, []FieldError) {
	p := Product{Title: strings.TrimSpace(in.Title), Description: strings.TrimSpace(in.Description)}
	var errs []FieldError
	if n := utf8.RuneCountInString(p.Title); n < MinTitleLen || n > MaxTitleLen || !utf8.ValidString(p.Title) {
		errs = append(errs, FieldError{"title", "Title must be 3 to 100 characters long."})
	}
	price, err := ParsePrice(in.Price)
	if err != nil {
		errs = append(errs, FieldError{"price", "Price must be a positive amount below 1,000,000 with at most two decimals, like 12.99."})
	}
	p.Price = price
	if n := utf8.RuneCountInString(p.Description); n < MinDescriptionLen || n > MaxDescriptionLen || !utf8.ValidString(p.Description) {
		errs = append(errs, FieldError{"description", "Description must be 5 to 400 characters long."})
	}
	return p, errs
}
