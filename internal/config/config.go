// Package config reads Allyway's settings from the environment (and, in
// development, a .env file). There are no globals: Load returns a Config that
// is passed to whoever needs it.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting the server reads.
type Config struct {
	// DatabaseURL connects as the schema owner (runs migrations). Empty in
	// development means "start a private cluster under DataDir".
	DatabaseURL string
	// AppDatabaseURL connects as the restricted application role. When empty
	// it is derived from DatabaseURL with role allyway_app and a password
	// derived from the owner's (see db.AppRoleURL).
	AppDatabaseURL string
	// Addr is where the HTTP server listens, e.g. ":8080".
	Addr string
	// BaseURL is how users reach the app; used in emails and to decide
	// whether cookies must be Secure.
	BaseURL string
	// SMTPURL sends mail (smtp://user:pass@host:587, smtps://…, or
	// smtp://host:1025?tls=none). Empty: mail is logged and shown at /dev/mail.
	SMTPURL  string
	MailFrom string
	// DataDir holds the private development cluster.
	DataDir string
	// Dev enables development helpers (the /dev/mail page).
	Dev bool
	// HashConcurrency bounds simultaneous password hashes.
	HashConcurrency int
	// ShutdownTimeout is how long in-flight requests and jobs get on SIGTERM.
	ShutdownTimeout time.Duration
	LogLevel        string
	LogFormat       string // "text" or "json"
	// BenchRoutes mounts the bench-only pages (the ceiling page that
	// `make bench` measures every page against): ALLYWAY_BENCH_ROUTES=1.
	BenchRoutes bool
	// WebhookAllowPrivate lets webhook URLs reach private, loopback and
	// link-local addresses (ALLYWAY_WEBHOOK_ALLOW_PRIVATE=1): for
	// development and tests only. See WebhookPrivateAllowed.
	WebhookAllowPrivate bool
	// APIRateLimit is how many requests one API token may make per minute,
	// counted across every app process (ALLYWAY_API_RATE_LIMIT, default
	// DefaultAPIRateLimit); 0 turns the limit off.
	APIRateLimit int
}

// DefaultAPIRateLimit is the API's requests per token and minute unless
// ALLYWAY_API_RATE_LIMIT says otherwise.
const DefaultAPIRateLimit = 600

// Load reads the configuration from getenv. Missing settings get development
// defaults; wrong ones are an error naming the variable.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:     getenv("DATABASE_URL"),
		AppDatabaseURL:  getenv("APP_DATABASE_URL"),
		Addr:            or(getenv("ADDR"), ":8080"),
		SMTPURL:         getenv("SMTP_URL"),
		MailFrom:        or(getenv("MAIL_FROM"), "Allyway <no-reply@allyway.localhost>"),
		DataDir:         or(getenv("DATA_DIR"), ".data"),
		LogLevel:        or(getenv("LOG_LEVEL"), "info"),
		LogFormat:       or(getenv("LOG_FORMAT"), "text"),
		HashConcurrency: 4,
		APIRateLimit:    DefaultAPIRateLimit,
		ShutdownTimeout: 25 * time.Second,
	}
	var errs []error
	c.BaseURL = getenv("BASE_URL")
	if c.BaseURL == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("ADDR %q: %w", c.Addr, err))
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("BASE_URL %q: want http(s)://host[:port]", c.BaseURL))
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if v := getenv("DEV"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("DEV %q: want true or false", v))
		}
		c.Dev = b
	}
	if v := getenv("ALLYWAY_BENCH_ROUTES"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ALLYWAY_BENCH_ROUTES %q: want true or false", v))
		}
		c.BenchRoutes = b
	}
	if v := getenv("ALLYWAY_API_RATE_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("ALLYWAY_API_RATE_LIMIT %q: want requests per minute (0: no limit)", v))
		}
		c.APIRateLimit = n
	}
	if v := getenv("ALLYWAY_WEBHOOK_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("ALLYWAY_WEBHOOK_ALLOW_PRIVATE %q: want true or false", v))
		}
		c.WebhookAllowPrivate = b
	}
	if v := getenv("HASH_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			errs = append(errs, fmt.Errorf("HASH_CONCURRENCY %q: want 1..64", v))
		}
		c.HashConcurrency = n
	}
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT %q: want a duration like 25s", v))
		}
		c.ShutdownTimeout = d
	}
	return c, errors.Join(errs...)
}

// SecureCookies reports whether cookies must carry Secure and the __Host-
// prefix: always, except when the app is served over plain http on a
// loopback host (development).
func (c Config) SecureCookies() bool {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return true
	}
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return false
	}
	return true
}

// WebhookPrivateAllowed reports whether webhooks may be delivered to
// private, loopback and link-local addresses: when the setting says so, and
// always in development (DEV, `allyway dev`), where receivers run locally.
func (c Config) WebhookPrivateAllowed() bool { return c.WebhookAllowPrivate || c.Dev }

// LoadDotEnv sets variables from a .env file (KEY=VALUE lines, # comments)
// that are not already set. A missing file is not an error.
func LoadDotEnv(path string, setenv func(k, v string) error, getenv func(string) string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return fmt.Errorf("%s:%d: want KEY=VALUE", path, n)
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		if getenv(k) == "" {
			if err := setenv(k, v); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
