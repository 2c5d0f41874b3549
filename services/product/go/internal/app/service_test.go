package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"flash-deal/services/product/go/internal/app"
	"flash-deal/services/product/go/internal/openapi"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

func TestHealth(t *testing.T) {
	t.Run("ready when Postgres and Redis answer", func(t *testing.T) {
		h := newHarness(t, options{})
		got := h.expect(h.do(call{method: "GET", path: "/health/ready"}), 200).json(t)
		if got["status"] != "ok" {
			t.Fatalf("ready: %v", got)
		}
		h.expect(h.do(call{method: "GET", path: "/health/live"}), 200)
	})
	for _, c := range []struct{ name, db, redis, down string }{
		{"Postgres", deadDatabaseURL, "", "postgres"},
		{"Redis", "", deadRedisURL, "redis"},
	} {
		t.Run("not ready when "+c.name+" is down, and says which", func(t *testing.T) {
			h := newHarness(t, options{databaseURL: c.db, redisURL: c.redis})
			got := h.expect(h.do(call{method: "GET", path: "/health/ready"}), 503).json(t)
			down, _ := json.Marshal(got["down"])
			if string(down) != `["`+c.down+`"]` || got["status"] != "unavailable" {
				t.Fatalf("ready: %v", got)
			}
		})
	}
	t.Run("Postgres down on a read is 503 with Retry-After, not 500", func(t *testing.T) {
		h := newHarness(t, options{databaseURL: deadDatabaseURL})
		got := h.expect(h.do(call{method: "GET", path: "/v1/deals"}), 503)
		if got.header.Get("Retry-After") != "1" {
			t.Fatalf("503 without Retry-After: %v", got.header)
		}
	})
}

func TestRequestIDsAndRoutes(t *testing.T) {
	h := newHarness(t, options{})
	got := h.do(call{method: "GET", path: "/v1/nothing", header: map[string]string{"X-Request-Id": "req-42"}})
	h.expect(got, 404)
	if got.header.Get("X-Request-Id") != "req-42" || got.json(t)["requestId"] != "req-42" || got.json(t)["instance"] != "/v1/nothing" {
		t.Fatalf("problem %s, header %v", got.raw, got.header)
	}
	if !strings.Contains(h.logs.String(), `"requestId":"req-42"`) {
		t.Fatalf("the access log does not carry the request id: %s", h.logs.String())
	}
	// A routed path with another method: 405 with Allow, as in TypeScript (it was a bare 404).
	refused := h.expect(h.do(call{method: "DELETE", path: "/v1/products"}), 405)
	if refused.header.Get("Allow") != "GET, POST" || refused.json(t)["type"] != "urn:flash-deal:problem:method-not-allowed" {
		t.Fatalf("405: %v %s", refused.header, refused.raw)
	}
	fresh := h.do(call{method: "GET", path: "/health/live", header: map[string]string{"X-Request-Id": "bad id with spaces"}})
	if _, err := uuid.Parse(fresh.header.Get("X-Request-Id")); err != nil {
		t.Fatalf("an insane request id was kept: %q", fresh.header.Get("X-Request-Id"))
	}
}

func TestOpenAPI(t *testing.T) {
	h := newHarness(t, options{})
	document, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	served := h.expect(h.do(call{method: "GET", path: "/swagger/json"}), 200)
	if string(served.raw) != string(document) {
		t.Fatal("/swagger/json is not the committed document")
	}
	var parsed map[string]any
	if err := json.Unmarshal(served.raw, &parsed); err != nil || parsed["openapi"] == nil {
		t.Fatalf("not an OpenAPI document: %v", err)
	}
	paths := parsed["paths"].(map[string]any)
	for _, path := range []string{"/v1/products", "/v1/products/{id}", "/v1/deals", "/v1/deals/{id}", "/health/ready"} {
		if paths[path] == nil {
			t.Fatalf("the document lacks %s", path)
		}
	}
	// The document describes every route the Go router serves, and no other: the drift check
	// (`bun scripts/openapi.ts --check`) compares what is served with the file, this compares the
	// file with what the code routes.
	var documented []string
	for path, item := range paths {
		for method := range item.(map[string]any) {
			if method == "get" || method == "post" || method == "patch" || method == "put" || method == "delete" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	routed, err := app.Operations(app.Deps{Pool: h.pool, Redis: h.redis, Logger: slog.Default()})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(documented)
	sort.Strings(routed)
	if strings.Join(documented, "\n") != strings.Join(routed, "\n") {
		t.Fatalf("routes and document differ:\nrouted:     %v\ndocumented: %v", routed, documented)
	}
	ui := h.expect(h.do(call{method: "GET", path: "/swagger"}), 200)
	if !strings.Contains(string(ui.raw), "swagger-ui-bundle.js") {
		t.Fatal("/swagger is not Swagger UI")
	}
	bundle := h.expect(h.do(call{method: "GET", path: "/swagger/assets/swagger-ui-bundle.js"}), 200)
	if len(bundle.raw) < 100_000 {
		t.Fatalf("the UI bundle is %d bytes", len(bundle.raw))
	}
	h.expect(h.do(call{method: "GET", path: "/swagger/assets/secrets.txt"}), 404)
}

const internalSecret = "an-internal-secret-of-at-least-32-bytes!"

func internalToken(t *testing.T, audience string, secret string, expires time.Duration) string {
	now := time.Now()
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "flash-deal-gateway", "aud": audience,
		"iat": now.Unix(), "exp": now.Add(expires).Unix()}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestInternalAuthentication(t *testing.T) {
	h := newHarness(t, options{internalSecret: internalSecret})
	refused := func(name string, header map[string]string) {
		t.Run(name+" is 401 internal-auth-required", func(t *testing.T) {
			got := h.expect(h.do(call{method: "GET", path: "/v1/deals", header: header}), 401)
			if got.json(t)["type"] != "urn:flash-deal:problem:internal-auth-required" {
				t.Fatalf("401: %s", got.raw)
			}
		})
	}
	refused("no internal token", nil)
	refused("a token for another service", map[string]string{"X-Internal-Token": internalToken(t, "order", internalSecret, time.Minute)})
	refused("a token signed with another secret", map[string]string{"X-Internal-Token": internalToken(t, "product", strings.Repeat("x", 40), time.Minute)})
	refused("an expired token", map[string]string{"X-Internal-Token": internalToken(t, "product", internalSecret, -time.Minute)})
	t.Run("a valid token for product passes; health and Swagger stay open", func(t *testing.T) {
		h.expect(h.do(call{method: "GET", path: "/v1/deals", header: map[string]string{"X-Internal-Token": internalToken(t, "product", internalSecret, time.Minute)}}), 200)
		h.expect(h.do(call{method: "GET", path: "/health/ready"}), 200)
		h.expect(h.do(call{method: "GET", path: "/swagger/json"}), 200)
	})
}

func TestAccessTokens(t *testing.T) {
	h := newHarness(t, options{revocations: true})
	body := validProduct()
	post := func(token string) answer {
		return h.do(call{method: "POST", path: "/v1/products", body: body, token: token})
	}

	for _, c := range []struct {
		name   string
		change func(jwt.MapClaims)
	}{
		{"an expired token", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }},
		{"another issuer", func(c jwt.MapClaims) { c["iss"] = "someone-else" }},
		{"another audience", func(c jwt.MapClaims) { c["aud"] = "elsewhere" }},
		{"no session id", func(c jwt.MapClaims) { delete(c, "sid") }},
	} {
		t.Run(c.name+" is 401", func(t *testing.T) {
			h.expect(post(h.issuer.token(t, "admin", c.change)), 401)
		})
	}

	t.Run("an HMAC token is refused (the public key is no secret)", func(t *testing.T) {
		forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "flash-deal-auth", "aud": "flash-deal",
			"sub": uuid.NewString(), "role": "admin", "sid": "s", "jti": "j", "iat": time.Now().Unix(),
			"exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("guess"))
		h.expect(post(forged), 401)
	})

	t.Run("after a key rotation the new key is fetched on its first token", func(t *testing.T) {
		h.expect(post(h.admin), 201)
		h.issuer.rotate()
		body = validProduct()
		h.expect(post(h.issuer.token(t, "admin", nil)), 201)
	})

	t.Run("a revoked session is refused; an entry past its score is not", func(t *testing.T) {
		ctx := context.Background()
		sid, stale := uuid.NewString(), uuid.NewString()
		revoked := h.issuer.token(t, "admin", func(c jwt.MapClaims) { c["sid"] = sid })
		old := h.issuer.token(t, "admin", func(c jwt.MapClaims) { c["sid"] = stale })
		body = validProduct()
		h.expect(post(revoked), 201)
		h.redis.ZAdd(ctx, "auth:revoked-sessions", redisZ(float64(time.Now().Add(time.Hour).UnixMilli()), sid),
			redisZ(float64(time.Now().Add(-time.Minute).UnixMilli()), stale))
		if err := revocationsOf(h).Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		got := h.expect(post(revoked), 401)
		if got.json(t)["type"] != "urn:flash-deal:problem:session-revoked" {
			t.Fatalf("401: %s", got.raw)
		}
		body = validProduct()
		h.expect(post(old), 201)
	})
}
