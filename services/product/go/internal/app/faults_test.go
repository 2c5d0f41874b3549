package app_test

// Dependencies that go away while the service runs: the test puts a TCP relay it owns between
// the service and the real Postgres or Redis, lets the service connect, then stops the relay
// (its listener and every connection through it) and starts it again on the same port. The
// service must answer 503 problems or fall back exactly as the TypeScript one does, change
// nothing while a dependency is gone, and recover without a restart.

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"flash-deal/services/product/go/internal/generated"

	"github.com/google/uuid"
)

// relay forwards TCP connections from its own port to target until stopped.
type relay struct {
	t        *testing.T
	target   string
	addr     string
	mu       sync.Mutex
	listener net.Listener
	conns    map[net.Conn]struct{}
}

func startRelay(t *testing.T, target string) *relay {
	r := &relay{t: t, target: target, conns: map[net.Conn]struct{}{}}
	r.listen("127.0.0.1:0")
	t.Cleanup(r.stop)
	return r
}

func (r *relay) listen(addr string) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.listener, r.addr = listener, listener.Addr().String()
	r.mu.Unlock()
	go func() {
		for {
			client, err := listener.Accept()
			if err != nil {
				return
			}
			go r.pipe(client)
		}
	}()
}

func (r *relay) pipe(client net.Conn) {
	server, err := net.Dial("tcp", r.target)
	if err != nil {
		_ = client.Close()
		return
	}
	r.mu.Lock()
	r.conns[client], r.conns[server] = struct{}{}, struct{}{}
	r.mu.Unlock()
	go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
	_, _ = io.Copy(client, server)
	_ = client.Close()
}

// stop closes the port and cuts every connection: the dependency is down.
func (r *relay) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.listener != nil {
		_ = r.listener.Close()
		r.listener = nil
	}
	for conn := range r.conns {
		_ = conn.Close()
	}
	r.conns = map[net.Conn]struct{}{}
}

// restart listens on the same port again: the dependency is back.
func (r *relay) restart() { r.listen(r.addr) }

// through rewrites a URL's host:port to the relay's.
func (r *relay) through(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		r.t.Fatal(err)
	}
	u.Host = r.addr
	return u.String()
}

func hostPort(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func (h *harness) expectUnavailable(got answer) {
	h.t.Helper()
	if got.status != 503 || got.header.Get("Retry-After") != "1" || got.json(h.t)["type"] != "urn:flash-deal:problem:unavailable" {
		h.t.Fatalf("want a 503 unavailable problem with Retry-After, got %d %s %v\nlogs: %s", got.status, got.raw, got.header, h.logs)
	}
}

func (h *harness) productCount(ctx context.Context, direct *harness) int {
	var n int
	if err := direct.pool.QueryRow(ctx, "SELECT count(*) FROM products").Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestPostgresGoesAway(t *testing.T) {
	direct := newHarness(t, options{})
	pg := startRelay(t, hostPort(t, databaseURL))
	h := newHarness(t, options{databaseURL: pg.through(databaseURL)})
	product := h.createProduct()
	id := product["id"].(string)
	ctx := context.Background()

	pg.stop()
	before := h.productCount(ctx, direct)
	h.expectUnavailable(h.do(call{method: "GET", path: "/v1/products/" + id}))
	h.expectUnavailable(h.do(call{method: "GET", path: "/v1/products"}))
	h.expectUnavailable(h.do(call{method: "GET", path: "/v1/deals"}))
	h.expectUnavailable(h.do(call{method: "POST", path: "/v1/products", body: validProduct(), token: h.admin}))
	h.expectUnavailable(h.do(call{method: "PATCH", path: "/v1/products/" + id, body: map[string]any{"price": 1}, token: h.admin}))
	h.expectUnavailable(h.do(call{method: "POST", path: "/v1/deals", body: h.dealBody(id, nil), token: h.admin}))
	ready := h.expect(h.do(call{method: "GET", path: "/health/ready"}), 503).json(t)
	if down := ready["down"].([]any); len(down) != 1 || down[0] != "postgres" {
		t.Fatalf("readiness while Postgres is away: %v", ready)
	}
	if after := h.productCount(ctx, direct); after != before {
		t.Fatalf("a write went through while Postgres was away: %d -> %d", before, after)
	}
	if !strings.Contains(h.logs.String(), `"level":"ERROR"`) {
		t.Fatalf("the 503s were not logged: %s", h.logs.String())
	}

	pg.restart()
	deadline := time.Now().Add(10 * time.Second)
	for h.do(call{method: "GET", path: "/health/ready"}).status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("not ready again after Postgres came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := h.expect(h.do(call{method: "GET", path: "/v1/products/" + id}), 200).json(t)
	if got["price"] != product["price"] {
		t.Fatalf("the refused patch changed the product: %v", got)
	}
}

func TestRedisGoesAway(t *testing.T) {
	direct := newHarness(t, options{})
	rd := startRelay(t, hostPort(t, redisURL))
	h := newHarness(t, options{redisURL: rd.through(redisURL), cache: true})
	product := h.createProduct()
	productID := product["id"].(string)
	h.expect(h.do(call{method: "GET", path: "/v1/products/" + productID}), 200) // cached now
	live := h.createDeal(productID, map[string]any{"stock": 7})
	scheduled := h.createDeal(productID, map[string]any{"startsAt": minutes(30), "endsAt": minutes(90)})
	// A reservation lands in Redis first: during the sale, remaining is Redis's count.
	if err := direct.redis.DecrBy(context.Background(), "deal:{"+live["id"].(string)+"}:stock", 2).Err(); err != nil {
		t.Fatal(err)
	}
	if got := h.expect(h.do(call{method: "GET", path: "/v1/deals/" + live["id"].(string)}), 200).json(t); got["remaining"] != float64(5) {
		t.Fatalf("remaining from Redis: %v", got)
	}

	rd.stop()
	t.Run("reads fall back to Postgres", func(t *testing.T) {
		got := h.expect(h.do(call{method: "GET", path: "/v1/products/" + productID}), 200)
		if got.header.Get("X-Cache") != "miss" || got.json(t)["id"] != productID {
			t.Fatalf("product read without Redis: %s %v", got.raw, got.header)
		}
		deal := h.expect(h.do(call{method: "GET", path: "/v1/deals/" + live["id"].(string)}), 200).json(t)
		if deal["remaining"] != float64(7) || deal["status"] != "live" {
			t.Fatalf("a live deal without Redis answers Postgres's count: %v", deal)
		}
		h.expect(h.do(call{method: "GET", path: "/v1/deals?status=live"}), 200)
		if h.cached.Stats().Fallbacks < 1 || !strings.Contains(h.logs.String(), "deal stock unreadable in Redis") {
			t.Fatalf("fallbacks not counted or logged: %+v", h.cached.Stats())
		}
	})
	t.Run("deal writes are 503 and change nothing", func(t *testing.T) {
		before := direct.openDeals()
		h.expectUnavailable(h.do(call{method: "POST", path: "/v1/deals", body: h.dealBody(productID, nil), token: h.admin}))
		h.expectUnavailable(h.do(call{method: "PATCH", path: "/v1/deals/" + scheduled["id"].(string),
			body: map[string]any{"stock": 3}, token: h.admin}))
		if direct.openDeals() != before {
			t.Fatal("a deal Redis does not know was committed")
		}
		row, err := generated.New(direct.pool).GetDeal(context.Background(), uuid.MustParse(scheduled["id"].(string)))
		if err != nil || row.Stock != 100 {
			t.Fatalf("the refused edit reached Postgres: %v %v", row.Stock, err)
		}
	})
	t.Run("product writes still go through (the cache entry is dropped when Redis is back or by TTL)", func(t *testing.T) {
		h.expect(h.do(call{method: "PATCH", path: "/v1/products/" + productID, body: map[string]any{"price": 7}, token: h.admin}), 200)
	})
	ready := h.expect(h.do(call{method: "GET", path: "/health/ready"}), 503).json(t)
	if down := ready["down"].([]any); len(down) != 1 || down[0] != "redis" {
		t.Fatalf("readiness while Redis is away: %v", ready)
	}

	rd.restart()
	deadline := time.Now().Add(10 * time.Second)
	for h.do(call{method: "GET", path: "/health/ready"}).status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("not ready again after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.expect(h.do(call{method: "PATCH", path: "/v1/deals/" + scheduled["id"].(string), body: map[string]any{"stock": 3}, token: h.admin}), 200)
}

func TestUnreadableDealStock(t *testing.T) {
	h := newHarness(t, options{})
	deal := h.createDeal(h.createProduct()["id"].(string), map[string]any{"stock": 9})
	id := deal["id"].(string)
	key := "deal:{" + id + "}:stock"
	if err := h.redis.Set(context.Background(), key, "NaN", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// Put the true count back: the reconciler of a later stack must not find a garbled deal.
	t.Cleanup(func() { h.redis.Set(context.Background(), key, "9", 0) })
	got := h.expect(h.do(call{method: "GET", path: "/v1/deals/" + id}), 200).json(t)
	if got["remaining"] != float64(9) {
		t.Fatalf("a garbled Redis stock answers Postgres's count: %v", got)
	}
	list := h.expect(h.do(call{method: "GET", path: "/v1/deals?status=live"}), 200).json(t)
	found := false
	for _, item := range list["items"].([]any) {
		found = found || item.(map[string]any)["id"] == id
	}
	if !found || !strings.Contains(h.logs.String(), "deal stock in Redis is not an integer") {
		t.Fatalf("the list left the deal out, or the garbled value was not logged: %v", found)
	}
}
