package app_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ginshop/ginshop/apptest"
	"github.com/ginshop/ginshop/config"
	"github.com/ginshop/ginshop/models"
)

// productionConfig loads the configuration as a production start does (APP_ENV=production with
// the variables it requires, plus extra), keeping the test's data directory and bcrypt cost.
func productionConfig(t *testing.T, extra map[string]string) config.Config {
	t.Helper()
	vars := map[string]string{
		"APP_ENV":        "production",
		"SESSION_SECRET": "q0Zr1cJ3m8Vx+7nKsWb2EoTgYp4LhA9dUf6iRz5NlCw=",
		"PUBLIC_URL":     "https://shop.example.com",
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	test := apptest.Config(t)
	cfg.DataDir, cfg.BcryptCost = test.DataDir, test.BcryptCost
	return cfg
}

func countDocs(t *testing.T, shop *apptest.Shop, coll string) int64 {
	t.Helper()
	n, err := shop.DB.Database.Collection(coll).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestProductionStoresNoDemoAccount: the demo account's password is published in the README, so
// an empty production database stays empty unless SEED_DEMO asks for the demo.
func TestProductionStoresNoDemoAccount(t *testing.T) {
	t.Parallel()
	shop := apptest.Start(t, productionConfig(t, nil))
	if users, products := countDocs(t, shop, "users"), countDocs(t, shop, "products"); users != 0 || products != 0 {
		t.Errorf("production stored %d users and %d products on an empty database", users, products)
	}
	res := shop.Client(t).Get("/")
	apptest.ExpectStatus(t, res, http.StatusOK)
	if n := countCards(res.Body); n != 0 {
		t.Errorf("the production front page shows %d products", n)
	}

	demo := apptest.Start(t, productionConfig(t, map[string]string{"SEED_DEMO": "on"}))
	if n := countUsers(t, demo, models.DemoEmail); n != 1 {
		t.Errorf("SEED_DEMO=on in production: %d demo users", n)
	}
	if n := countCards(demo.Client(t).Get("/").Body); n == 0 {
		t.Error("SEED_DEMO=on in production: no demo products shown")
	}
}

// hstsMaxAge returns the max-age of a Strict-Transport-Security header, or -1.
func hstsMaxAge(h http.Header) int {
	for _, part := range strings.Split(h.Get("Strict-Transport-Security"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return -1
}

// TestProductionSendsHSTS: browsers must keep to HTTPS for at least 180 days after a visit to a
// production shop; development (plain http on localhost) never sends it, and HSTS=off leaves it
// to a proxy in front.
func TestProductionSendsHSTS(t *testing.T) {
	t.Parallel()
	const minAge = 180 * 24 * 60 * 60
	paths := []string{"/", "/healthz", "/login", "/nope", "/css/main.css", "/favicon.svg"}
	prod := apptest.Start(t, productionConfig(t, nil))
	c := prod.Client(t)
	for _, p := range paths {
		if age := hstsMaxAge(c.Get(p).Header); age < minAge {
			t.Errorf("production GET %s: Strict-Transport-Security max-age %d, want at least %d", p, age, minAge)
		}
	}
	for name, shop := range map[string]*apptest.Shop{
		"development":          apptest.StartDefault(t),
		"production, HSTS=off": apptest.Start(t, productionConfig(t, map[string]string{"HSTS": "off"})),
	} {
		c := shop.Client(t)
		for _, p := range paths {
			if h := c.Get(p).Header.Get("Strict-Transport-Security"); h != "" {
				t.Errorf("%s GET %s: Strict-Transport-Security %q", name, p, h)
			}
		}
	}
}
