package config

import (
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 3000 || cfg.Env != "development" || cfg.MongoURI != "" || cfg.MongoDB != "shop" ||
		cfg.DataDir != "./data" || cfg.EmbeddedMongoAddr != "127.0.0.1:27017" || cfg.SessionName != "connect.sid" ||
		cfg.SessionIdleTimeout != 2*time.Hour || cfg.SessionAbsoluteTimeout != 24*time.Hour ||
		cfg.ItemsPerPage != 6 || cfg.BcryptCost != 12 || cfg.SMTPURL != "" || len(cfg.SessionSecrets) != 0 || len(cfg.TrustedProxies) != 0 ||
		cfg.SessionStore != SessionStoreMongoDB {
		t.Fatalf("defaults: %+v", cfg)
	}
	if !cfg.Embedded() || cfg.IsProduction() {
		t.Fatal("default must be embedded development")
	}
}

func TestValuesAreParsed(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"PORT": "8080", "APP_ENV": "production", "MONGODB_URI": "mongodb+srv://u:p@cluster.example.net/x",
		"MONGODB_DB": "shop2", "SESSION_SECRET": strings.Repeat("a", 32) + " , " + strings.Repeat("b", 40),
		"SESSION_IDLE_TIMEOUT": "30m", "SESSION_ABSOLUTE_TIMEOUT": "8h", "ITEMS_PER_PAGE": "9",
		"SMTP_URL": "smtp://user:pass@mail.example.com:587", "TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
		"PUBLIC_URL": "https://shop.example.com/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 8080 || !cfg.IsProduction() || cfg.Embedded() || cfg.MongoDB != "shop2" ||
		len(cfg.SessionSecrets) != 2 || cfg.SessionSecrets[1] != strings.Repeat("b", 40) ||
		cfg.SessionIdleTimeout != 30*time.Minute || cfg.SessionAbsoluteTimeout != 8*time.Hour ||
		cfg.ItemsPerPage != 9 || len(cfg.TrustedProxies) != 2 || cfg.PublicURL != "https://shop.example.com" {
		t.Fatalf("parsed: %+v", cfg)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"PORT": "abc"}, "PORT:"},
		{map[string]string{"PORT": "70000"}, "PORT:"},
		{map[string]string{"APP_ENV": "staging"}, "APP_ENV:"},
		{map[string]string{"MONGODB_URI": "http://example.com"}, "MONGODB_URI:"},
		{map[string]string{"MONGODB_URI": "mongodb://"}, "MONGODB_URI:"},
		{map[string]string{"MONGODB_DB": "a/b"}, "MONGODB_DB:"},
		{map[string]string{"EMBEDDED_MONGO_ADDR": "27017"}, "EMBEDDED_MONGO_ADDR:"},
		{map[string]string{"SESSION_NAME": "a b"}, "SESSION_NAME:"},
		{map[string]string{"SESSION_IDLE_TIMEOUT": "2 hours"}, "SESSION_IDLE_TIMEOUT:"},
		{map[string]string{"SESSION_ABSOLUTE_TIMEOUT": "-5h"}, "SESSION_ABSOLUTE_TIMEOUT:"},
		{map[string]string{"SESSION_IDLE_TIMEOUT": "3h", "SESSION_ABSOLUTE_TIMEOUT": "1h"}, "SESSION_ABSOLUTE_TIMEOUT:"},
		{map[string]string{"ITEMS_PER_PAGE": "0"}, "ITEMS_PER_PAGE:"},
		{map[string]string{"SMTP_URL": "mail.example.com"}, "SMTP_URL:"},
		{map[string]string{"PUBLIC_URL": "shop.example.com"}, "PUBLIC_URL:"},
		{map[string]string{"PUBLIC_URL": "https://shop.example.com/reset?x=1"}, "PUBLIC_URL:"},
		{map[string]string{"APP_ENV": "production"}, "SESSION_SECRET:"},
		{map[string]string{"APP_ENV": "production", "SESSION_SECRET": "short"}, "SESSION_SECRET:"},
		{map[string]string{"SESSION_STORE": "redis"}, "SESSION_STORE:"},
		{map[string]string{"APP_ENV": "production", "SESSION_SECRET": strings.Repeat("a", 32), "SESSION_STORE": "memory"}, "SESSION_STORE:"},
	}
	for _, c := range cases {
		_, err := Load(env(c.vars))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: err = %v, want one line starting %q", c.vars, err, c.want)
		}
	}
}

func TestMemorySessionStoreIsForDevelopment(t *testing.T) {
	cfg, err := Load(env(map[string]string{"SESSION_STORE": "memory"}))
	if err != nil || cfg.SessionStore != SessionStoreMemory {
		t.Fatalf("SESSION_STORE=memory in development: %q, %v", cfg.SessionStore, err)
	}
	_, err = Load(env(map[string]string{"APP_ENV": "production", "SESSION_SECRET": strings.Repeat("a", 32), "SESSION_STORE": "memory"}))
	if err == nil || !strings.Contains(err.Error(), "production needs mongodb") {
		t.Fatalf("production with SESSION_STORE=memory: err = %v", err)
	}
}
