package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"flash-deal/services/product/go/internal/repository"

	"github.com/google/uuid"
)

func TestProductWrites(t *testing.T) {
	h := newHarness(t, options{cache: true})

	t.Run("an admin creates a product: 201 with the stored fields", func(t *testing.T) {
		product := h.createProduct()
		if product["price"] != 49_900.0 || product["currency"] != "USD" || product["description"] != "Fast" {
			t.Fatalf("stored fields: %v", product)
		}
		if _, err := time.Parse(time.RFC3339, product["createdAt"].(string)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("no token is 401 and a customer is 403; nothing is written", func(t *testing.T) {
		body := validProduct()
		noToken := h.expect(h.do(call{method: "POST", path: "/v1/products", body: body}), 401)
		if noToken.header.Get("WWW-Authenticate") != "Bearer" || noToken.json(t)["type"] != "urn:flash-deal:problem:unauthorized" {
			t.Fatalf("401: %s %v", noToken.raw, noToken.header)
		}
		forbidden := h.expect(h.do(call{method: "POST", path: "/v1/products", body: body, token: h.customer}), 403)
		if forbidden.json(t)["type"] != "urn:flash-deal:problem:forbidden" {
			t.Fatalf("403: %s", forbidden.raw)
		}
		page := h.expect(h.do(call{method: "GET", path: "/v1/products?limit=100"}), 200)
		if strings.Contains(string(page.raw), body["name"].(string)) {
			t.Fatal("a refused product was written")
		}
	})

	for _, c := range []struct {
		name   string
		change map[string]any
		field  string
	}{
		{"a negative price", map[string]any{"price": -1}, "body.price"},
		{"a fractional price", map[string]any{"price": 1.5}, "body.price"},
		{"a numeric string as the price", map[string]any{"price": "100"}, "body.price"},
		{"a lower-case currency", map[string]any{"currency": "usd"}, "body.currency"},
		{"an empty name", map[string]any{"name": ""}, "body.name"},
		{"a name holding U+0000", map[string]any{"name": "a\u0000b"}, "body.name"},
		{"an unknown field", map[string]any{"stock": 5}, "body.stock"},
	} {
		t.Run(c.name+" is 422 naming the field", func(t *testing.T) {
			body := validProduct()
			for key, value := range c.change {
				body[key] = value
			}
			got := h.expect(h.do(call{method: "POST", path: "/v1/products", body: body, token: h.admin}), 422)
			if got.json(t)["type"] != "urn:flash-deal:problem:validation" || !strings.Contains(got.fields(t), c.field) {
				t.Fatalf("422 of %s: %s", c.name, got.raw)
			}
		})
	}

	t.Run("a body not sent as JSON is 415, broken JSON 400", func(t *testing.T) {
		encoded, _ := json.Marshal(validProduct())
		got := h.expect(h.do(call{method: "POST", path: "/v1/products", body: string(encoded), token: h.admin,
			header: map[string]string{"Content-Type": "text/plain"}}), 415)
		if got.json(t)["type"] != "urn:flash-deal:problem:unsupported-media-type" {
			t.Fatalf("415: %s", got.raw)
		}
		broken := h.expect(h.do(call{method: "POST", path: "/v1/products", body: "{bad", token: h.admin}), 400)
		if broken.json(t)["type"] != "urn:flash-deal:problem:bad-request" {
			t.Fatalf("400: %s", broken.raw)
		}
	})

	t.Run("PATCH changes the given fields; the next read is not a stale cache hit", func(t *testing.T) {
		product := h.createProduct()
		path := "/v1/products/" + product["id"].(string)
		h.expect(h.do(call{method: "GET", path: path}), 200)
		h.expect(h.do(call{method: "PATCH", path: path, body: map[string]any{"price": 100}, token: h.admin}), 200)
		read := h.expect(h.do(call{method: "GET", path: path}), 200)
		if read.header.Get("X-Cache") != "miss" || read.json(t)["price"] != 100.0 || read.json(t)["description"] != "Fast" {
			t.Fatalf("after PATCH: %s %v", read.raw, read.header)
		}
	})

	t.Run("PATCH with no fields, on an unknown id, or by a customer changes nothing", func(t *testing.T) {
		product := h.createProduct()
		path := "/v1/products/" + product["id"].(string)
		h.expect(h.do(call{method: "PATCH", path: path, body: map[string]any{}, token: h.admin}), 422)
		h.expect(h.do(call{method: "PATCH", path: "/v1/products/" + uuid.NewString(), body: map[string]any{"price": 1}, token: h.admin}), 404)
		h.expect(h.do(call{method: "PATCH", path: path, body: map[string]any{"price": 1}, token: h.customer}), 403)
		if got := h.expect(h.do(call{method: "GET", path: path}), 200).json(t)["price"]; got != product["price"] {
			t.Fatalf("price changed to %v", got)
		}
	})
}

func TestProductReads(t *testing.T) {
	h := newHarness(t, options{cache: true})

	t.Run("the second read of a product is a cache hit", func(t *testing.T) {
		product := h.createProduct()
		path := "/v1/products/" + product["id"].(string)
		first := h.expect(h.do(call{method: "GET", path: path}), 200)
		second := h.expect(h.do(call{method: "GET", path: path}), 200)
		if first.header.Get("X-Cache") != "miss" || second.header.Get("X-Cache") != "hit" || string(first.raw) != string(second.raw) {
			t.Fatalf("first %v %s, second %v %s", first.header, first.raw, second.header, second.raw)
		}
		stats := h.expect(h.do(call{method: "GET", path: "/metrics/cache"}), 200).json(t)
		if stats["enabled"] != true || stats["hits"].(float64) < 1 {
			t.Fatalf("stats: %v", stats)
		}
	})

	t.Run("an unknown id is 404, a malformed one 422, an upper-case one is the same product", func(t *testing.T) {
		missing := h.expect(h.do(call{method: "GET", path: "/v1/products/" + uuid.NewString()}), 404)
		if missing.json(t)["type"] != "urn:flash-deal:problem:not-found" {
			t.Fatalf("404: %s", missing.raw)
		}
		malformed := h.expect(h.do(call{method: "GET", path: "/v1/products/42"}), 422)
		if malformed.fields(t) != "params.id" {
			t.Fatalf("422: %s", malformed.raw)
		}
		product := h.createProduct()
		upper := h.expect(h.do(call{method: "GET", path: "/v1/products/" + strings.ToUpper(product["id"].(string))}), 200)
		if upper.json(t)["id"] != product["id"] {
			t.Fatalf("upper-case id read %s", upper.raw)
		}
	})

	t.Run("the list pages with an opaque cursor", func(t *testing.T) {
		for range 3 {
			h.createProduct()
		}
		first := h.expect(h.do(call{method: "GET", path: "/v1/products?limit=2"}), 200).json(t)
		items := first["items"].([]any)
		cursor, ok := first["nextCursor"].(string)
		if len(items) != 2 || !ok {
			t.Fatalf("first page: %v", first)
		}
		second := h.expect(h.do(call{method: "GET", path: "/v1/products?limit=2&cursor=" + cursor}), 200).json(t)
		next := second["items"].([]any)
		if len(next) == 0 || next[0].(map[string]any)["id"] == items[1].(map[string]any)["id"] {
			t.Fatalf("second page repeats the first: %v", second)
		}
	})

	t.Run("an oversized page and an unknown parameter are 422, a forged cursor 400", func(t *testing.T) {
		h.expect(h.do(call{method: "GET", path: "/v1/products?limit=101"}), 422)
		if got := h.expect(h.do(call{method: "GET", path: "/v1/products?x=1"}), 422).fields(t); got != "query.x" {
			t.Fatalf("fields %s", got)
		}
		forged := h.expect(h.do(call{method: "GET", path: "/v1/products?cursor=not-a-cursor"}), 400)
		if forged.fields(t) != "query.cursor" {
			t.Fatalf("400: %s", forged.raw)
		}
		// The cursor's 200 are characters, as the document (and TypeScript) count them: 150 Ω are
		// 300 bytes, within the length, so this forged cursor is 400, not a 422 for its length.
		omegas := url.QueryEscape(strings.Repeat("Ω", 150))
		h.expect(h.do(call{method: "GET", path: "/v1/products?cursor=" + omegas}), 400)
		h.expect(h.do(call{method: "GET", path: "/v1/products?cursor=" + url.QueryEscape(strings.Repeat("Ω", 201))}), 422)
	})
}

// The cache entries are a contract between the two implementations: what one writes, the other
// reads (the TypeScript entry below is byte for byte what its JSON.stringify writes).
func TestCacheEntriesAreSharedWithTypeScript(t *testing.T) {
	h := newHarness(t, options{cache: true})
	ctx := context.Background()

	t.Run("an entry the TypeScript service wrote is a hit here", func(t *testing.T) {
		id := uuid.New()
		entry := `{"id":"` + id.String() + `","name":"Written by TS","description":"","price":1234,"currency":"KRW",` +
			`"createdAt":"2026-11-30T10:00:00.123Z","updatedAt":"2026-11-30T11:00:00.456Z"}`
		h.redis.Set(ctx, "product:{"+id.String()+"}", entry, time.Minute)
		got := h.expect(h.do(call{method: "GET", path: "/v1/products/" + id.String()}), 200)
		if got.header.Get("X-Cache") != "hit" || strings.TrimSpace(string(got.raw)) != entry {
			t.Fatalf("read %s (%v)", got.raw, got.header)
		}
	})

	t.Run("the TypeScript 'none' marker is a cached 404", func(t *testing.T) {
		id := uuid.New()
		h.redis.Set(ctx, "product:{"+id.String()+"}", "\x00none", time.Minute)
		got := h.expect(h.do(call{method: "GET", path: "/v1/products/" + id.String()}), 404)
		if got.header.Get("X-Cache") != "hit" {
			t.Fatalf("not a hit: %v", got.header)
		}
	})

	t.Run("what this service writes back is the TypeScript format, with a jittered TTL", func(t *testing.T) {
		product := h.createProduct()
		id := product["id"].(string)
		h.expect(h.do(call{method: "GET", path: "/v1/products/" + id}), 200)
		entry, err := h.redis.Get(ctx, "product:{"+id+"}").Result()
		if err != nil {
			t.Fatal(err)
		}
		want := `{"id":"` + id + `","name":"` + product["name"].(string) + `","description":"Fast","price":49900,"currency":"USD",` +
			`"createdAt":"` + product["createdAt"].(string) + `","updatedAt":"` + product["updatedAt"].(string) + `"}`
		if entry != want {
			t.Fatalf("entry\n%s\nwant\n%s", entry, want)
		}
		ttl := h.redis.TTL(ctx, "product:{"+id+"}").Val()
		if ttl < 290*time.Second || ttl > 331*time.Second {
			t.Fatalf("ttl %v, want 300 s plus up to 10 %%", ttl)
		}
	})

	t.Run("a missing product is cached as the marker, briefly", func(t *testing.T) {
		id := uuid.NewString()
		h.expect(h.do(call{method: "GET", path: "/v1/products/" + id}), 404)
		if got := h.redis.Get(ctx, "product:{"+id+"}").Val(); got != "\x00none" {
			t.Fatalf("negative entry %q", got)
		}
		if ttl := h.redis.TTL(ctx, "product:{"+id+"}").Val(); ttl > 15*time.Second || ttl <= 0 {
			t.Fatalf("negative ttl %v", ttl)
		}
	})
}

func TestCacheSingleFlightAndFallback(t *testing.T) {
	h := newHarness(t, options{cache: true})
	product := h.createProduct()
	id := uuid.MustParse(product["id"].(string))

	t.Run("concurrent misses of one key share one database read", func(t *testing.T) {
		h.redis.Del(context.Background(), repository.CacheKey(id))
		// The Postgres read is slowed so that all twenty misses surely overlap it.
		options := repository.DefaultCacheOptions()
		options.NearTTL = 0
		cached := repository.NewCached(slowReads{repository.NewRdb(h.pool), 300 * time.Millisecond}, h.redis, slog.Default(), options)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				read, err := cached.GetProduct(context.Background(), id)
				if err != nil || read.Value == nil || read.Value.ID != id {
					t.Errorf("read: %v %v", read, err)
				}
			})
		}
		wg.Wait()
		if stats := cached.Stats(); stats.Loads != 1 || stats.Misses != 20 {
			t.Fatalf("%d database loads for %d concurrent misses", stats.Loads, stats.Misses)
		}
	})

	t.Run("with Redis down reads come from Postgres, counted as fallbacks", func(t *testing.T) {
		down := newHarness(t, options{cache: true, redisURL: deadRedisURL})
		got := down.expect(down.do(call{method: "GET", path: "/v1/products/" + id.String()}), 200)
		if got.json(t)["id"] != id.String() || got.header.Get("X-Cache") != "miss" {
			t.Fatalf("fallback read: %s %v", got.raw, got.header)
		}
		if down.cached.Stats().Fallbacks < 1 {
			t.Fatal("the fallback was not counted")
		}
		if !strings.Contains(down.logs.String(), "product cache unavailable") {
			t.Fatal("the fallback was not logged")
		}
	})
}

// slowReads delays each product read of a real repository.
type slowReads struct {
	repository.ProductRepository
	delay time.Duration
}

func (s slowReads) GetProduct(ctx context.Context, id uuid.UUID) (repository.Read, error) {
	time.Sleep(s.delay)
	return s.ProductRepository.GetProduct(ctx, id)
}
