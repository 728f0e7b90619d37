package models

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// The demo account the README names. It owns the demo products.
const (
	DemoEmail    = "demo@ginshop.test"
	DemoPassword = "gin-shop-demo"
)

var demoProducts = []Product{
	{Title: "A Book About Go", Price: 29.99, ImageURL: "/images/products/book.svg", Description: "A well-thumbed guide to writing clear, simple Go programs."},
	{Title: "Coffee Mug", Price: 9.5, ImageURL: "/images/products/coffee-mug.svg", Description: "Holds enough coffee for one long debugging session."},
	{Title: "Headphones", Price: 79, ImageURL: "/images/products/headphones.svg", Description: "Closed-back headphones that keep the open-plan office out."},
	{Title: "Desk Lamp", Price: 34.9, ImageURL: "/images/products/desk-lamp.svg", Description: "An adjustable lamp with a warm light for late evenings."},
	{Title: "Backpack", Price: 59.99, ImageURL: "/images/products/backpack.svg", Description: "Room for a laptop, a charger and a sandwich."},
	{Title: "Camera", Price: 249, ImageURL: "/images/products/camera.svg", Description: "A compact camera for the pictures your phone cannot take."},
	{Title: "Potted Plant", Price: 14.25, ImageURL: "/images/products/potted-plant.svg", Description: "A green friend that forgives the odd forgotten watering."},
	{Title: "Sneakers", Price: 89.95, ImageURL: "/images/products/sneakers.svg", Description: "Light running shoes for the walk to the coffee machine."},
	{Title: "Wall Clock", Price: 24, ImageURL: "/images/products/wall-clock.svg", Description: "A quiet clock that tells you it is time to log off."},
	{Title: "Bicycle", Price: 399, ImageURL: "/images/products/bicycle.svg", Description: "A city bike with a basket, a bell and three gears."},
}

// SeedDemo stores the demo user and products on a first start: only when there are no products
// and the demo user does not exist yet, so it never writes over data someone made or deleted.
// It reports whether it seeded.
// bcryptCost is the work factor of the demo password's hash.
func (m *Models) SeedDemo(ctx context.Context, bcryptCost int) (bool, error) {
	if any, err := m.Products.Any(ctx); err != nil || any {
		return false, err
	}
	if _, err := m.Users.ByEmail(ctx, DemoEmail); !errors.Is(err, ErrNotFound) {
		return false, err // nil: the demo user exists, so this is not a first start
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(DemoPassword), bcryptCost)
	if err != nil {
		return false, err
	}
	user, err := m.Users.Create(ctx, DemoEmail, string(hash))
	if err != nil {
		return false, fmt.Errorf("demo user: %w", err)
	}
	products := make([]Product, len(demoProducts))
	for i, p := range demoProducts {
		p.UserID = user.ID
		products[i] = p
	}
	if err := m.Products.Insert(ctx, products...); err != nil {
		return false, fmt.Errorf("demo products: %w", err)
	}
	return true, nil
}
