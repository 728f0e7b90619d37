package models

import (
	"errors"
	netmail "net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidEmail accepts a plain address (no display name, no angle brackets) with a dotted domain,
// like express-validator's isEmail() in the course, written in printable ASCII only.
//
// ASCII only, rather than internationalised addresses with a mixed-script check: one rule that
// is easy to state and to test, which refuses look-alike accounts ("dеmo@ginshop.test" with a
// Cyrillic "е" beside the demo account) and addresses the mail path cannot carry (the shop's
// SMTP client does not speak SMTPUTF8). A domain with non-ASCII letters can still be typed in
// its xn-- form. It applies to signup, login and reset alike.
func ValidEmail(email string) bool {
	if email == "" || len(email) > 254 {
		return false
	}
	for i := 0; i < len(email); i++ {
		if email[i] <= ' ' || email[i] >= 0x7f {
			return false
		}
	}
	a, err := netmail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email {
		return false
	}
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// hasControl reports whether s holds a control character (NUL, escape, DEL, the C1 range...);
// multiline text may hold line breaks and tabs.
func hasControl(s string, multiline bool) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			return false
		}
		return unicode.IsControl(r)
	})
}

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

// msgControlCharacters refuses text with invisible control characters (a NUL byte, an escape):
// they would be stored and shown to every visitor and in every invoice.
const msgControlCharacters = "Please use only visible characters (and line breaks in the description)."

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
	} else if hasControl(p.Title, false) {
		errs = append(errs, FieldError{"title", msgControlCharacters})
	}
	price, err := ParsePrice(in.Price)
	if err != nil {
		errs = append(errs, FieldError{"price", "Price must be a positive amount below 1,000,000 with at most two decimals, like 12.99."})
	}
	p.Price = price
	if n := utf8.RuneCountInString(p.Description); n < MinDescriptionLen || n > MaxDescriptionLen || !utf8.ValidString(p.Description) {
		errs = append(errs, FieldError{"description", "Description must be 5 to 400 characters long."})
	} else if hasControl(p.Description, true) {
		errs = append(errs, FieldError{"description", msgControlCharacters})
	}
	return p, errs
}
