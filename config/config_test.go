package config

import (
	"os"
	"path/filepath"
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
		cfg.Host != "127.0.0.1" || !cfg.SeedDemo || !cfg.HSTS || cfg.SendHSTS() ||
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
		"MONGODB_DB": "shop2", "SESSION_SECRET": goodSecret + " , " + strings.Repeat("0123456789", 4),
		"SESSION_IDLE_TIMEOUT": "30m", "SESSION_ABSOLUTE_TIMEOUT": "8h", "ITEMS_PER_PAGE": "9",
		"SMTP_URL": "smtp://user:pass@mail.example.com:587", "TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16",
		"PUBLIC_URL": "https://shop.example.com/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 8080 || !cfg.IsProduction() || cfg.Embedded() || cfg.MongoDB != "shop2" ||
		len(cfg.SessionSecrets) != 2 || cfg.SessionSecrets[1] != strings.Repeat("0123456789", 4) ||
		cfg.SessionIdleTimeout != 30*time.Minute || cfg.SessionAbsoluteTimeout != 8*time.Hour ||
		cfg.ItemsPerPage != 9 || len(cfg.TrustedProxies) != 2 || cfg.PublicURL != "https://shop.example.com" {
		t.Fatalf("parsed: %+v", cfg)
	}
}

// goodSecret is what `openssl rand -base64 32` prints.
const goodSecret = "q0Zr1cJ3m8Vx+7nKsWb2EoTgYp4LhA9dUf6iRz5NlCw="

// production is the smallest environment production starts with, plus extra.
func production(extra map[string]string) map[string]string {
	vars := map[string]string{"APP_ENV": "production", "SESSION_SECRET": goodSecret, "PUBLIC_URL": "https://shop.example.com"}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

func TestProductionDefaults(t *testing.T) {
	cfg, err := Load(env(production(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "" || cfg.SeedDemo || !cfg.HSTS || !cfg.SendHSTS() {
		t.Fatalf("production: Host %q (want all interfaces), SeedDemo %v (want off), HSTS %v", cfg.Host, cfg.SeedDemo, cfg.SendHSTS())
	}
	cfg, err = Load(env(production(map[string]string{"HOST": "10.0.0.5", "SEED_DEMO": "on", "HSTS": "off"})))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "10.0.0.5" || !cfg.SeedDemo || cfg.HSTS || cfg.SendHSTS() {
		t.Fatalf("production with settings: %+v", cfg)
	}
	cfg, err = Load(env(map[string]string{"HOST": "0.0.0.0", "SEED_DEMO": "false"}))
	if err != nil || cfg.Host != "0.0.0.0" || cfg.SeedDemo {
		t.Fatalf("development with settings: %+v, %v", cfg, err)
	}
}

func TestProductionRefusesWeakSecrets(t *testing.T) {
	for _, secret := range []string{
		strings.Repeat("a", 32),
		strings.Repeat("ab", 40),
		strings.Repeat("password", 5),                // 8 distinct characters
		"0123456789" + strings.Repeat("9", 20) + "0", // 10 distinct, but 31 long
	} {
		_, err := Load(env(production(map[string]string{"SESSION_SECRET": secret})))
		if err == nil || !strings.HasPrefix(err.Error(), "SESSION_SECRET:") || !strings.Contains(err.Error(), "openssl rand -base64 32") {
			t.Errorf("secret %q: err = %v, want a SESSION_SECRET error that says how to make one", secret, err)
		}
	}
	// A rotated-out secret is checked too.
	if _, err := Load(env(production(map[string]string{"SESSION_SECRET": goodSecret + "," + strings.Repeat("x", 40)}))); err == nil {
		t.Error("a weak second secret was accepted")
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
		{production(map[string]string{"SESSION_STORE": "memory"}), "SESSION_STORE:"},
		{map[string]string{"APP_ENV": "production", "SESSION_SECRET": goodSecret}, "PUBLIC_URL:"},
		{production(map[string]string{"PUBLIC_URL": "http://shop.example.com"}), "PUBLIC_URL:"},
		{production(map[string]string{"HOST": "shop example"}), "HOST:"},
		{map[string]string{"HOST": "http://0.0.0.0"}, "HOST:"},
		{map[string]string{"HOST": "127.0.0.1:3000"}, "HOST:"},
		{map[string]string{"SEED_DEMO": "maybe"}, "SEED_DEMO:"},
		{production(map[string]string{"HSTS": "sometimes"}), "HSTS:"},
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
	_, err = Load(env(production(map[string]string{"SESSION_STORE": "memory"})))
	if err == nil || !strings.Contains(err.Error(), "production needs mongodb") {
		t.Fatalf("production with SESSION_STORE=memory: err = %v", err)
	}
}

func TestNodeAppPublicDirMustBeAnExistingFolder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.js")
	if err := os.WriteFile(file, []byte("//"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{filepath.Join(dir, "missing"), file} {
		_, err := Load(env(map[string]string{"NODE_APP_PUBLIC_DIR": v}))
		if err == nil || !strings.HasPrefix(err.Error(), "NODE_APP_PUBLIC_DIR: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want one line naming NODE_APP_PUBLIC_DIR", v, err)
		}
	}

	t.Chdir(dir)
	if err := os.Mkdir("public", 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(env(map[string]string{"NODE_APP_PUBLIC_DIR": "public"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "public"); cfg.NodeAppPublicDir != want {
		t.Fatalf("NodeAppPublicDir = %q, want %q (absolute)", cfg.NodeAppPublicDir, want)
	}
	if cfg, _ := Load(env(nil)); cfg.NodeAppPublicDir != "" {
		t.Fatalf("default NodeAppPublicDir = %q, want empty", cfg.NodeAppPublicDir)
	}
}
