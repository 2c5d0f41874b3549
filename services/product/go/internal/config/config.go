// Package config reads the product service's environment: the same variables, defaults and
// limits as the TypeScript service (services/product/src/config.ts and the kit's baseConfig).
package config

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type Config struct {
	Host            string
	Port            int
	LogLevel        string
	ShutdownTimeout time.Duration
	MaxBodyBytes    int64
	DatabaseURL     string
	RedisURL        string
	// RedisClusterNodes: a Redis Cluster's start-up nodes (REDIS_CLUSTER_NODES, host:port,...);
	// when set, the service talks to the cluster and RedisURL is not used.
	RedisClusterNodes []string
	// Strategy A: the Redis look-aside repository (true) or the plain Postgres one.
	EnableCache            bool
	CacheTTLSeconds        int
	CacheNegativeTTLSecond int
	NearCacheTTL           time.Duration
	JWKSURL                string
	JWTIssuer              string
	JWTAudience            string
	// Service-to-service authentication (decisions §1); empty turns the check off.
	InternalAuthSecret string
	RevocationRefresh  time.Duration
}

// Load reads the environment; an invalid value is an error naming the variable.
func Load(env func(string) string) (Config, error) {
	if env == nil {
		env = os.Getenv
	}
	r := reader{env: env}
	c := Config{
		Host:                   r.str("HOST", "127.0.0.1"),
		Port:                   r.integer("PORT", 8082, 1, 65535),
		LogLevel:               r.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		ShutdownTimeout:        time.Duration(r.integer("SHUTDOWN_TIMEOUT_MS", 10_000, 100, 1<<31-1)) * time.Millisecond,
		MaxBodyBytes:           int64(r.integer("MAX_BODY_BYTES", 65_536, 1024, 1<<31-1)),
		DatabaseURL:            r.pattern("DATABASE_URL", "postgres://flashdeal:flashdeal@127.0.0.1:5432/flashdeal", `^postgres(ql)?://`),
		RedisURL:               r.pattern("REDIS_URL", "redis://127.0.0.1:6379", `^rediss?://`),
		RedisClusterNodes:      r.list("REDIS_CLUSTER_NODES", `^[^,\s]+:\d+(,[^,\s]+:\d+)*$`),
		EnableCache:            r.boolean("ENABLE_CACHE", true),
		CacheTTLSeconds:        r.integer("PRODUCT_CACHE_TTL_SECONDS", 300, 1, 1<<31-1),
		CacheNegativeTTLSecond: r.integer("PRODUCT_CACHE_NEGATIVE_TTL_SECONDS", 15, 1, 1<<31-1),
		NearCacheTTL:           time.Duration(r.integer("PRODUCT_NEAR_CACHE_TTL_MS", 1000, 0, 60_000)) * time.Millisecond,
		JWKSURL:                r.pattern("JWKS_URL", "http://127.0.0.1:8081/.well-known/jwks.json", `^https?://`),
		JWTIssuer:              r.str("JWT_ISSUER", "flash-deal-auth"),
		JWTAudience:            r.str("JWT_AUDIENCE", "flash-deal"),
		InternalAuthSecret:     env("INTERNAL_AUTH_SECRET"),
		RevocationRefresh:      time.Duration(r.integer("REVOCATION_REFRESH_MS", 1000, 50, 60_000)) * time.Millisecond,
	}
	if c.InternalAuthSecret != "" && len(c.InternalAuthSecret) < 32 {
		r.errs = append(r.errs, "INTERNAL_AUTH_SECRET: must be at least 32 bytes")
	}
	if len(r.errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration: %s", strings.Join(r.errs, "; "))
	}
	return c, nil
}

type reader struct {
	env  func(string) string
	errs []string
}

func (r *reader) raw(name string) (string, bool) {
	value := strings.TrimSpace(r.env(name))
	return value, value != ""
}

func (r *reader) str(name, fallback string) string {
	if value, ok := r.raw(name); ok {
		return value
	}
	return fallback
}

func (r *reader) integer(name string, fallback, min, max int) int {
	value, ok := r.raw(name)
	if !ok {
		return fallback
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < min || n > max {
		r.errs = append(r.errs, fmt.Sprintf("%s: expected an integer from %d to %d, got %q", name, min, max, value))
		return fallback
	}
	return n
}

func (r *reader) boolean(name string, fallback bool) bool {
	value, ok := r.raw(name)
	if !ok {
		return fallback
	}
	switch value {
	case "true":
		return true
	case "false":
		return false
	}
	r.errs = append(r.errs, fmt.Sprintf("%s: expected true or false, got %q", name, value))
	return fallback
}

func (r *reader) oneOf(name, fallback string, allowed ...string) string {
	value := r.str(name, fallback)
	for _, candidate := range allowed {
		if value == candidate {
			return value
		}
	}
	r.errs = append(r.errs, fmt.Sprintf("%s: expected one of %s, got %q", name, strings.Join(allowed, ", "), value))
	return fallback
}

// list is a comma-separated value matching pattern as a whole, split; nil when unset.
func (r *reader) list(name, pattern string) []string {
	value, ok := r.raw(name)
	if !ok {
		return nil
	}
	if !regexp.MustCompile(pattern).MatchString(value) {
		r.errs = append(r.errs, fmt.Sprintf("%s: expected to match %s, got %q", name, pattern, value))
		return nil
	}
	return strings.Split(value, ",")
}

func (r *reader) pattern(name, fallback, pattern string) string {
	value := r.str(name, fallback)
	if !regexp.MustCompile(pattern).MatchString(value) {
		r.errs = append(r.errs, fmt.Sprintf("%s: expected to match %s, got %q", name, pattern, value))
	}
	return value
}
