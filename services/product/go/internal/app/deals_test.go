package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	dealscripts "flash-deal/packages/contracts/lua"
	"flash-deal/services/product/go/internal/generated"

	"github.com/google/uuid"
)

func minutes(n int) string {
	return time.Now().Add(time.Duration(n) * time.Minute).UTC().Format(time.RFC3339Nano)
}

func (h *harness) dealBody(productID string, change map[string]any) map[string]any {
	body := map[string]any{"productId": productID, "price": 4_900, "stock": 100, "perUserLimit": 2,
		"startsAt": minutes(-1), "endsAt": minutes(60)}
	for key, value := range change {
		body[key] = value
	}
	return body
}

func (h *harness) createDeal(productID string, change map[string]any) map[string]any {
	h.t.Helper()
	return h.expect(h.do(call{method: "POST", path: "/v1/deals", body: h.dealBody(productID, change), token: h.admin}), 201).json(h.t)
}

func (h *harness) openDeals() int {
	rows, err := generated.New(h.pool).ListOpenDeals(context.Background(), generated.ListOpenDealsParams{Window: "open", Limit: 1_000_000})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(rows)
}

func TestDealsCreate(t *testing.T) {
	h := newHarness(t, options{})
	ctx := context.Background()
	productID := h.createProduct()["id"].(string)

	t.Run("an admin creates a live deal; its stock and rules are published to Redis", func(t *testing.T) {
		deal := h.createDeal(productID, nil)
		if deal["status"] != "live" || deal["remaining"] != 100.0 || deal["perUserLimit"] != 2.0 || deal["productId"] != productID {
			t.Fatalf("deal: %v", deal)
		}
		id := deal["id"].(string)
		if got := h.redis.Get(ctx, "deal:{"+id+"}:stock").Val(); got != "100" {
			t.Fatalf("stock %q", got)
		}
		info := h.redis.HGetAll(ctx, "deal:{"+id+"}:info").Val()
		starts, _ := time.Parse(time.RFC3339, deal["startsAt"].(string))
		if info["price"] != "4900" || info["perUserLimit"] != "2" || info["productId"] != productID ||
			info["startsAt"] != strconv.FormatInt(starts.UnixMilli(), 10) {
			t.Fatalf("info %v", info)
		}
		if !h.redis.SIsMember(ctx, "outbox:deals", id).Val() {
			t.Fatal("the relay does not know the deal")
		}
	})

	t.Run("the payment window: 600 s when left out, the one given otherwise, shown on the deal", func(t *testing.T) {
		if got := h.createDeal(productID, nil)["holdSeconds"]; got != 600.0 {
			t.Fatalf("default holdSeconds %v", got)
		}
		id := h.createDeal(productID, map[string]any{"holdSeconds": 5})["id"].(string)
		deal := h.expect(h.do(call{method: "GET", path: "/v1/deals/" + id}), 200).json(t)
		if deal["holdSeconds"] != 5.0 {
			t.Fatalf("holdSeconds %v", deal["holdSeconds"])
		}
	})

	t.Run("publishing again never refills a half-sold deal", func(t *testing.T) {
		id := h.createDeal(productID, nil)["id"].(string)
		h.redis.DecrBy(ctx, "deal:{"+id+"}:stock", 30)
		created, err := dealscripts.PublishDeal(dealscripts.Deal{ID: id, Stock: 100, Price: 1, PerUserLimit: 1,
			StartsAt: time.UnixMilli(0), EndsAt: time.UnixMilli(1), ProductID: productID}).Run(ctx, h.redis).Int()
		if err != nil || created != 0 {
			t.Fatalf("publish again: %d %v", created, err)
		}
		if got := h.redis.Get(ctx, "deal:{"+id+"}:stock").Val(); got != "70" {
			t.Fatalf("stock refilled to %s", got)
		}
	})

	t.Run("an upper-case product id is accepted and stored in lower case", func(t *testing.T) {
		deal := h.createDeal(strings.ToUpper(productID), nil)
		if deal["productId"] != productID {
			t.Fatalf("productId %v", deal["productId"])
		}
	})

	for _, c := range []struct {
		name   string
		change map[string]any
		field  string
	}{
		{"endsAt before startsAt", map[string]any{"startsAt": minutes(10), "endsAt": minutes(5)}, "body.endsAt"},
		{"a per-user limit above the stock", map[string]any{"stock": 3, "perUserLimit": 4}, "body.perUserLimit"},
		{"a per-user limit below 1", map[string]any{"perUserLimit": 0}, "body.perUserLimit"},
		{"a negative stock", map[string]any{"stock": -1}, "body.stock"},
		{"a payment window under 5 s", map[string]any{"holdSeconds": 4}, "body.holdSeconds"},
		{"a payment window over an hour", map[string]any{"holdSeconds": 3601}, "body.holdSeconds"},
		{"a stock sent as a numeric string", map[string]any{"stock": "100"}, "body.stock"},
		{"a negative price", map[string]any{"price": -1}, "body.price"},
		{"a time that is not ISO 8601", map[string]any{"startsAt": "tomorrow"}, "body.startsAt"},
		{"a time without an offset", map[string]any{"startsAt": "2030-01-01T10:00:00"}, "body.startsAt"},
		{"a date that is not in the calendar", map[string]any{"endsAt": "2030-02-30T10:00:00Z"}, "body.endsAt"},
		{"a year before 1970", map[string]any{"startsAt": "1969-12-31T23:00:00Z"}, "body.startsAt"},
		{"an unknown product", map[string]any{"productId": uuid.NewString()}, "body.productId"},
		{"an unknown field", map[string]any{"discount": 10}, "body.discount"},
	} {
		t.Run(c.name+" is 422 naming the field, and nothing is written", func(t *testing.T) {
			before := h.openDeals()
			got := h.expect(h.do(call{method: "POST", path: "/v1/deals", body: h.dealBody(productID, c.change), token: h.admin}), 422)
			if !strings.Contains(got.fields(t), c.field) {
				t.Fatalf("fields %s, want %s", got.fields(t), c.field)
			}
			if h.openDeals() != before {
				t.Fatal("a refused deal was written")
			}
		})
	}

	t.Run("a customer is 403 and no token 401", func(t *testing.T) {
		h.expect(h.do(call{method: "POST", path: "/v1/deals", body: h.dealBody(productID, nil), token: h.customer}), 403)
		h.expect(h.do(call{method: "POST", path: "/v1/deals", body: h.dealBody(productID, nil)}), 401)
	})

	t.Run("with Redis down the deal is not created: 503 and no row", func(t *testing.T) {
		down := newHarness(t, options{redisURL: deadRedisURL})
		before := h.openDeals()
		got := down.expect(down.do(call{method: "POST", path: "/v1/deals", body: h.dealBody(productID, nil), token: down.admin}), 503)
		if got.header.Get("Retry-After") != "1" || got.json(t)["type"] != "urn:flash-deal:problem:unavailable" {
			t.Fatalf("503: %s %v", got.raw, got.header)
		}
		if h.openDeals() != before {
			t.Fatal("a deal Redis does not know was committed")
		}
	})
}

func TestDealsRead(t *testing.T) {
	h := newHarness(t, options{})
	ctx := context.Background()
	productID := h.createProduct()["id"].(string)

	t.Run("remaining comes from Redis during the sale, and 0 left is sold_out", func(t *testing.T) {
		id := h.createDeal(productID, map[string]any{"stock": 5, "perUserLimit": 1})["id"].(string)
		h.redis.DecrBy(ctx, "deal:{"+id+"}:stock", 2)
		deal := h.expect(h.do(call{method: "GET", path: "/v1/deals/" + id}), 200).json(t)
		if deal["remaining"] != 3.0 || deal["status"] != "live" {
			t.Fatalf("deal %v", deal)
		}
		h.redis.Set(ctx, "deal:{"+id+"}:stock", 0, 0)
		deal = h.expect(h.do(call{method: "GET", path: "/v1/deals/" + id}), 200).json(t)
		if deal["remaining"] != 0.0 || deal["status"] != "sold_out" {
			t.Fatalf("deal %v", deal)
		}
	})

	t.Run("a deal that has not started is scheduled and listed as upcoming, not live", func(t *testing.T) {
		deal := h.createDeal(productID, map[string]any{"startsAt": minutes(30), "endsAt": minutes(90)})
		if deal["status"] != "scheduled" {
			t.Fatalf("status %v", deal["status"])
		}
		id := deal["id"].(string)
		upcoming := string(h.expect(h.do(call{method: "GET", path: "/v1/deals?status=upcoming"}), 200).raw)
		live := string(h.expect(h.do(call{method: "GET", path: "/v1/deals?status=live"}), 200).raw)
		if !strings.Contains(upcoming, id) || strings.Contains(live, id) {
			t.Fatal("scheduled deal listed in the wrong window")
		}
	})

	t.Run("unknown ids are 404, malformed ones and unknown filters 422", func(t *testing.T) {
		h.expect(h.do(call{method: "GET", path: "/v1/deals/" + uuid.NewString()}), 404)
		h.expect(h.do(call{method: "GET", path: "/v1/deals/abc"}), 422)
		h.expect(h.do(call{method: "GET", path: "/v1/deals?status=everything"}), 422)
	})
}

func TestDealsEdit(t *testing.T) {
	h := newHarness(t, options{})
	ctx := context.Background()
	productID := h.createProduct()["id"].(string)

	t.Run("a scheduled deal can change; Postgres and Redis both take the new stock", func(t *testing.T) {
		id := h.createDeal(productID, map[string]any{"startsAt": minutes(30), "endsAt": minutes(90)})["id"].(string)
		got := h.expect(h.do(call{method: "PATCH", path: "/v1/deals/" + id, body: map[string]any{"stock": 40, "perUserLimit": 3}, token: h.admin}), 200).json(t)
		if got["stock"] != 40.0 || got["perUserLimit"] != 3.0 || got["remaining"] != 40.0 || got["status"] != "scheduled" {
			t.Fatalf("patched %v", got)
		}
		if h.redis.Get(ctx, "deal:{"+id+"}:stock").Val() != "40" || h.redis.HGet(ctx, "deal:{"+id+"}:info", "perUserLimit").Val() != "3" {
			t.Fatal("Redis did not take the change")
		}
	})

	t.Run("editing the stock of a live deal is 409 and changes nothing", func(t *testing.T) {
		id := h.createDeal(productID, nil)["id"].(string)
		h.redis.DecrBy(ctx, "deal:{"+id+"}:stock", 10)
		got := h.expect(h.do(call{method: "PATCH", path: "/v1/deals/" + id, body: map[string]any{"stock": 500}, token: h.admin}), 409)
		if got.json(t)["type"] != "urn:flash-deal:problem:deal-started" {
			t.Fatalf("409: %s", got.raw)
		}
		row, err := generated.New(h.pool).GetDeal(ctx, uuid.MustParse(id))
		if err != nil || h.redis.Get(ctx, "deal:{"+id+"}:stock").Val() != "90" || row.Stock != 100 {
			t.Fatalf("changed: redis %s, postgres %d (%v)", h.redis.Get(ctx, "deal:{"+id+"}:stock").Val(), row.Stock, err)
		}
	})

	t.Run("an edit that breaks the rules, an unknown deal or a customer changes nothing", func(t *testing.T) {
		id := h.createDeal(productID, map[string]any{"startsAt": minutes(30), "endsAt": minutes(90), "stock": 10})["id"].(string)
		h.expect(h.do(call{method: "PATCH", path: "/v1/deals/" + id, body: map[string]any{"perUserLimit": 11}, token: h.admin}), 422)
		h.expect(h.do(call{method: "PATCH", path: "/v1/deals/" + id, body: map[string]any{}, token: h.admin}), 422)
		h.expect(h.do(call{method: "PATCH", path: "/v1/deals/" + uuid.NewString(), body: map[string]any{"stock": 5}, token: h.admin}), 404)
		h.expect(h.do(call{method: "PATCH", path: "/v1/deals/" + id, body: map[string]any{"stock": 5}, token: h.customer}), 403)
		if h.redis.Get(ctx, "deal:{"+id+"}:stock").Val() != "10" {
			t.Fatal("stock changed")
		}
	})
}
