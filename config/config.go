// Package config reads Gin Shop's settings from the environment (and a .env file, loaded by main)
// into one Config value. Every variable docs/OPERATIONS.md lists is parsed here, once.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting the app reads at start-up.
type Config struct {
	Port                   int
	Env                    string // "development" or "production"
	MongoURI               string // empty = start the embedded FerretDB
	MongoDB                string
	DataDir                string
	EmbeddedMongoAddr      string
	SessionSecrets         []string // first signs, all verify; empty in development = generate one in DataDir
	SessionName            string
	SessionIdleTimeout     time.Duration
	SessionAbsoluteTimeout time.Duration
	ItemsPerPage           int
	SMTPURL                string
	TrustedProxies         []string // empty = trust no proxy: the client address is the connection's
	PublicURL              string   // the shop's address for links in mail; empty = the request's Host (development only)
	SessionStore           string   // "mongodb" (the sessions collection) or "memory" (this process only, development)
	Host                   string   // address the HTTP server listens on; empty = all interfaces
	SeedDemo               bool     // create the demo user and products on an empty database
	HSTS                   bool     // send Strict-Transport-Security in production (off behind a proxy that sets it)
	// Beside the Node course app (docs/NODE-APP.md): its public/ folder, which Gin Shop serves
	// images from and copies its own images into, so a product's image shows on both apps.
	// Empty = not beside the Node app.
	NodeAppPublicDir string
	// BcryptCost is the work factor of every stored password hash. Not an environment variable:
	// always DefaultBcryptCost in the shop; tests lower it because -race makes bcrypt very slow.
	BcryptCost int
	// SlowStoreDelay is how long the session lab's deliberately slow store takes to write a
	// mode=redirect-first value. Not an environment variable: always DefaultSlowStoreDelay in
	// the shop; tests lengthen it to look at the page in between, or shorten it to wait less.
	SlowStoreDelay time.Duration
}

// The SESSION_STORE values: connect-mongodb-session's collection, or express-session's
// MemoryStore (the course's first step, development only).
const (
	SessionStoreMongoDB = "mongodb"
	SessionStoreMemory  = "memory"
)

// DefaultBcryptCost is bcrypt.hash(password, 12), as in the course.
const DefaultBcryptCost = 12

// DefaultSlowStoreDelay is the session lab's slow store: long enough to see the page before
// the value, short enough that a reload a moment later shows it.
const DefaultSlowStoreDelay = time.Second

// IsProduction reports whether the app runs with production rules (Secure cookies, no dev pages).
func (c Config) IsProduction() bool { return c.Env == "production" }

// Embedded reports whether the app starts its own FerretDB instead of using MONGODB_URI.
func (c Config) Embedded() bool { return c.MongoURI == "" }

// SendHSTS reports whether answers carry Strict-Transport-Security: in production, unless HSTS=off.
func (c Config) SendHSTS() bool { return c.IsProduction() && c.HSTS }

// ListenAddr is the address the HTTP server listens on (HOST and PORT).
func (c Config) ListenAddr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// The weakest session secret production accepts: long, and not a repeated pattern like 32 × "a".
const (
	minSecretLength        = 32
	minSecretDistinctChars = 10
	makeSecretHint         = "make one with `openssl rand -base64 32`"
)

// Load parses the variables that getenv returns. The first bad value stops it with an error that
// names the variable, so main can print one clear line.
func Load(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	cfg := Config{
		Port:                   p.port("PORT", 3000),
		Env:                    p.oneOf("APP_ENV", "development", "development", "production"),
		MongoURI:               p.mongoURI("MONGODB_URI"),
		MongoDB:                p.dbName("MONGODB_DB", "shop"),
		DataDir:                p.str("DATA_DIR", "./data"),
		EmbeddedMongoAddr:      p.hostPort("EMBEDDED_MONGO_ADDR", "127.0.0.1:27017"),
		SessionSecrets:         p.list("SESSION_SECRET"),
		SessionName:            p.cookieName("SESSION_NAME", "connect.sid"),
		SessionIdleTimeout:     p.duration("SESSION_IDLE_TIMEOUT", 2*time.Hour),
		SessionAbsoluteTimeout: p.duration("SESSION_ABSOLUTE_TIMEOUT", 24*time.Hour),
		ItemsPerPage:           p.positiveInt("ITEMS_PER_PAGE", 6, 100),
		SMTPURL:                p.smtpURL("SMTP_URL"),
		TrustedProxies:         p.list("TRUSTED_PROXIES"),
		PublicURL:              p.publicURL("PUBLIC_URL"),
		SessionStore:           p.oneOf("SESSION_STORE", SessionStoreMongoDB, SessionStoreMongoDB, SessionStoreMemory),
		BcryptCost:             DefaultBcryptCost,
		SlowStoreDelay:         DefaultSlowStoreDelay,
	}
	// Development listens on loopback only (its /dev/mailbox shows working reset links) and
	// seeds the demo account; production listens on all interfaces and seeds nothing.
	listenOn := "127.0.0.1"
	if cfg.IsProduction() {
		listenOn = "" // all interfaces
	}
	cfg.Host = p.host("HOST", listenOn)
	cfg.SeedDemo = p.boolean("SEED_DEMO", !cfg.IsProduction())
	cfg.HSTS = p.boolean("HSTS", true)
	// Beside the Node course app.
	cfg.NodeAppPublicDir = p.existingDir("NODE_APP_PUBLIC_DIR")
	if p.err != nil {
		return Config{}, p.err
	}
	if cfg.IsProduction() {
		if len(cfg.SessionSecrets) == 0 {
			return Config{}, errors.New("SESSION_SECRET: required when APP_ENV=production; " + makeSecretHint)
		}
		for _, s := range cfg.SessionSecrets {
			if len(s) < minSecretLength || distinctChars(s) < minSecretDistinctChars {
				return Config{}, fmt.Errorf("SESSION_SECRET: every secret must be at least %d characters with at least %d different ones in production; %s",
					minSecretLength, minSecretDistinctChars, makeSecretHint)
			}
		}
		// express-session warns the same about its MemoryStore: not for production.
		if cfg.SessionStore == SessionStoreMemory {
			return Config{}, errors.New("SESSION_STORE: memory loses every session on restart and is not shared between instances; production needs mongodb")
		}
		if cfg.PublicURL == "" {
			// Without it, reset links would take their host from the request's forgeable Host header.
			return Config{}, errors.New("PUBLIC_URL: required when APP_ENV=production (the address links in mail point to, like https://shop.example.com)")
		}
		if !strings.HasPrefix(cfg.PublicURL, "https://") {
			// Reset links carry their token in the URL: over plain http anyone on the way reads it.
			return Config{}, errors.New("PUBLIC_URL: must be an https:// address when APP_ENV=production (reset links carry a token)")
		}
	}
	if cfg.SessionAbsoluteTimeout < cfg.SessionIdleTimeout {
		return Config{}, errors.New("SESSION_ABSOLUTE_TIMEOUT: must not be shorter than SESSION_IDLE_TIMEOUT")
	}
	return cfg, nil
}

// parser keeps the first error so Load reads as a plain list of variables.
type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) value(name string) string { return strings.TrimSpace(p.getenv(name)) }

func (p *parser) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
}

func (p *parser) str(name, def string) string {
	if v := p.value(name); v != "" {
		return v
	}
	return def
}

func (p *parser) port(name string, def int) int {
	v := p.value(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		p.fail(name, "%q is not a port number (1-65535)", v)
	}
	return n
}

func (p *parser) positiveInt(name string, def, max int) int {
	v := p.value(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		p.fail(name, "%q is not a whole number between 1 and %d", v, max)
	}
	return n
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.value(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute {
		p.fail(name, "%q is not a duration of at least 1m (examples: 30m, 2h, 24h)", v)
	}
	return d
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := p.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return v
}

func (p *parser) list(name string) []string {
	var out []string
	for _, part := range strings.Split(p.value(name), ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (p *parser) mongoURI(name string) string {
	v := p.value(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "mongodb" && u.Scheme != "mongodb+srv") || u.Host == "" {
		p.fail(name, "not a mongodb:// or mongodb+srv:// URI")
	}
	return v
}

func (p *parser) dbName(name, def string) string {
	v := p.str(name, def)
	if strings.ContainsAny(v, `/\. "$`) || len(v) > 63 {
		p.fail(name, "%q is not a valid database name", v)
	}
	return v
}

func (p *parser) hostPort(name, def string) string {
	v := p.str(name, def)
	host, port, err := net.SplitHostPort(v)
	if err != nil || host == "" {
		p.fail(name, "%q is not host:port", v)
		return v
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.fail(name, "%q has no valid port", v)
	}
	return v
}

func (p *parser) cookieName(name, def string) string {
	v := p.str(name, def)
	for _, r := range v {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			p.fail(name, "%q is not a valid cookie name", v)
			break
		}
	}
	return v
}

func (p *parser) smtpURL(name string) string {
	v := p.value(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		p.fail(name, "not an smtp:// or smtps:// URL (smtp://user:pass@host:587)")
	}
	return v
}

func (p *parser) publicURL(name string) string {
	v := strings.TrimSuffix(p.value(name), "/")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		p.fail(name, "not a site address like https://shop.example.com")
	}
	return v
}

// existingDir accepts a folder that exists (made absolute, so logs say which one), or nothing.
func (p *parser) existingDir(name string) string {
	v := p.value(name)
	if v == "" {
		return ""
	}
	abs, err := filepath.Abs(v)
	if err != nil {
		p.fail(name, "%q: %v", v, err)
		return ""
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.fail(name, "%q does not exist (the Node app's public folder, like ../node-shop/public)", v)
	case err != nil:
		p.fail(name, "%v", err)
	case !info.IsDir():
		p.fail(name, "%q is not a folder", v)
	}
	return abs
}

// host accepts an IP address or a host name to listen on (no port: that is PORT).
func (p *parser) host(name, def string) string {
	v := p.value(name)
	if v == "" {
		return def
	}
	if net.ParseIP(strings.Trim(v, "[]")) != nil {
		return strings.Trim(v, "[]")
	}
	for _, label := range strings.Split(v, ".") {
		if label == "" || strings.IndexFunc(label, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
		}) >= 0 {
			p.fail(name, "%q is not an address to listen on (examples: 127.0.0.1, 0.0.0.0, ::)", v)
			break
		}
	}
	return v
}

// boolean reads on/off switches: on, off, true, false, yes, no, 1, 0.
func (p *parser) boolean(name string, def bool) bool {
	switch strings.ToLower(p.value(name)) {
	case "":
		return def
	case "on", "true", "yes", "1":
		return true
	case "off", "false", "no", "0":
		return false
	}
	p.fail(name, "%q is not on or off", p.value(name))
	return def
}

// distinctChars counts the different characters of s.
func distinctChars(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}
