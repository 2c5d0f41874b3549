package app_test

// Test support: the app on the real Postgres and Redis of `make test` (DATABASE_URL, REDIS_URL),
// auth's side played by an HTTP JWKS endpoint and Ed25519 keys minted here.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"flash-deal/services/product/go/internal/app"
	"flash-deal/services/product/go/internal/auth"
	"flash-deal/services/product/go/internal/clients"
	"flash-deal/services/product/go/internal/repository"
	"flash-deal/services/product/go/internal/telemetry"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

var (
	databaseURL = env("DATABASE_URL", "postgres://flashdeal:flashdeal@127.0.0.1:5432/flashdeal")
	redisURL    = env("REDIS_URL", "redis://127.0.0.1:6379")
	// REDIS_CLUSTER_NODES set: the live Redis is that cluster (as the service reads it).
	redisClusterNodes = clusterNodes(os.Getenv("REDIS_CLUSTER_NODES"))
	// Nothing listens on port 1: a dependency that is down.
	deadDatabaseURL = "postgres://flashdeal:flashdeal@127.0.0.1:1/flashdeal?connect_timeout=2"
	deadRedisURL    = "redis://127.0.0.1:1"
)

func clusterNodes(value string) []string {
	if value == "" {
		return nil
	}
	return strings.Split(value, ",")
}

// issuer plays auth: a JWKS over HTTP and tokens signed with its current key.
type issuer struct {
	mu     sync.Mutex
	kid    string
	key    ed25519.PrivateKey
	server *httptest.Server
	// fetches counts JWKS requests (the verifier caches them).
	fetches int
}

func newIssuer(t *testing.T) *issuer {
	iss := &issuer{}
	iss.rotate()
	iss.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		iss.mu.Lock()
		defer iss.mu.Unlock()
		iss.fetches++
		public := iss.key.Public().(ed25519.PublicKey)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": iss.kid,
			"x": base64.RawURLEncoding.EncodeToString(public),
		}}})
	}))
	t.Cleanup(iss.server.Close)
	return iss
}

// rotate replaces the signing key (a key rotation at auth).
func (iss *issuer) rotate() {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	iss.mu.Lock()
	iss.key, iss.kid = key, uuid.NewString()
	iss.mu.Unlock()
}

func (iss *issuer) token(t *testing.T, role string, change func(jwt.MapClaims)) string {
	now := time.Now()
	claims := jwt.MapClaims{"iss": "flash-deal-auth", "aud": "flash-deal", "sub": uuid.NewString(), "role": role,
		"sid": uuid.NewString(), "jti": uuid.NewString(), "iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix()}
	if change != nil {
		change(claims)
	}
	token := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	iss.mu.Lock()
	token.Header["kid"] = iss.kid
	signed, err := token.SignedString(iss.key)
	iss.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

type harness struct {
	t        *testing.T
	handler  http.Handler
	pool     *pgxpool.Pool
	redis    redis.UniversalClient
	issuer   *issuer
	cached   *repository.Cached
	revoked  *auth.Revocations
	admin    string
	customer string
	logs     *bytes.Buffer
}

type options struct {
	databaseURL, redisURL string
	cache                 bool
	internalSecret        string
	revocations           bool
	telemetry             *telemetry.Telemetry
}

func openPool(t *testing.T, url string, tel *telemetry.Telemetry) *pgxpool.Pool {
	pool, err := clients.Postgres(context.Background(), url, tel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func openRedis(t *testing.T, url string, nodes []string, tel *telemetry.Telemetry) redis.UniversalClient {
	client, err := clients.Redis(url, nodes, slog.Default(), tel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	if o.databaseURL == "" {
		o.databaseURL = databaseURL
	}
	var nodes []string
	if o.redisURL == "" {
		o.redisURL, nodes = redisURL, redisClusterNodes
	}
	if o.telemetry == nil {
		o.telemetry = telemetry.Off()
	}
	h := &harness{t: t, pool: openPool(t, o.databaseURL, o.telemetry), redis: openRedis(t, o.redisURL, nodes, o.telemetry),
		issuer: newIssuer(t), logs: &bytes.Buffer{}}
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: h.logs}, nil))
	keys, err := auth.RemoteJWKS(t.Context(), h.issuer.server.URL)
	if err != nil {
		t.Fatal(err)
	}
	deps := app.Deps{Pool: h.pool, Redis: h.redis, Logger: logger, Verifier: auth.NewVerifier(keys, "flash-deal-auth", "flash-deal"),
		InternalAuthSecret: o.internalSecret, Telemetry: o.telemetry}
	var products repository.ProductRepository = repository.NewRdb(h.pool)
	if o.cache {
		options := repository.DefaultCacheOptions()
		options.NearTTL = 0 // each read reaches Redis, so hits and misses are what the test sees
		h.cached = repository.NewCached(products, h.redis, logger, options)
		products, deps.CacheStats = h.cached, h.cached.Stats
	}
	deps.Products = products
	if o.revocations {
		h.revoked = auth.NewRevocations(h.redis, logger)
		deps.Revocations = h.revoked
	}
	h.handler, err = app.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	h.admin = h.issuer.token(t, "admin", nil)
	h.customer = h.issuer.token(t, "customer", nil)
	return h
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type call struct {
	method, path string
	body         any // a string is sent as is
	token        string
	header       map[string]string
}

type answer struct {
	status int
	header http.Header
	raw    []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(a.raw, &out); err != nil {
		t.Fatalf("not JSON (%d): %s", a.status, a.raw)
	}
	return out
}

// fields is the `errors[].field` list of a problem, space separated.
func (a answer) fields(t *testing.T) string {
	var names []string
	for _, item := range a.json(t)["errors"].([]any) {
		names = append(names, item.(map[string]any)["field"].(string))
	}
	return strings.Join(names, " ")
}

func (h *harness) do(c call) answer {
	h.t.Helper()
	var body io.Reader
	request := httptest.NewRequest(c.method, c.path, nil)
	if c.body != nil {
		if text, ok := c.body.(string); ok {
			body = strings.NewReader(text)
		} else {
			encoded, _ := json.Marshal(c.body)
			body = bytes.NewReader(encoded)
		}
		request = httptest.NewRequest(c.method, c.path, body)
		request.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		request.Header.Set("Authorization", "Bearer "+c.token)
	}
	for key, value := range c.header {
		request.Header.Set(key, value)
	}
	recorder := httptest.NewRecorder()
	h.handler.ServeHTTP(recorder, request)
	return answer{status: recorder.Code, header: recorder.Header(), raw: recorder.Body.Bytes()}
}

func (h *harness) expect(got answer, status int) answer {
	h.t.Helper()
	if got.status != status {
		h.t.Fatalf("status %d, want %d: %s", got.status, status, got.raw)
	}
	return got
}

func unique() string { return strings.ReplaceAll(uuid.NewString()[:13], "-", "") }

func validProduct() map[string]any {
	return map[string]any{"name": fmt.Sprintf("Phone %s", unique()), "description": "Fast", "price": 49_900, "currency": "USD"}
}

func (h *harness) createProduct() map[string]any {
	h.t.Helper()
	return h.expect(h.do(call{method: "POST", path: "/v1/products", body: validProduct(), token: h.admin}), 201).json(h.t)
}

func redisZ(score float64, member string) redis.Z { return redis.Z{Score: score, Member: member} }

func revocationsOf(h *harness) *auth.Revocations { return h.revoked }
