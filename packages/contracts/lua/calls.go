package dealscripts

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// The keys of one deal: the `{id}` hash tag puts them in one cluster slot.
func StockKey(dealID string) string { return "deal:{" + dealID + "}:stock" }
func InfoKey(dealID string) string  { return "deal:{" + dealID + "}:info" }

// OutboxRegistryKey is the set of deal ids whose outbox the relay drains (outside any deal's
// slot, so no deal script writes it).
const OutboxRegistryKey = "outbox:deals"

// Deal is a deal's terms as the scripts write them to its stock and info keys.
type Deal struct {
	ID           string
	Stock        int32
	Price        int32
	PerUserLimit int32
	StartsAt     time.Time
	EndsAt       time.Time
	ProductID    string
}

// Call is one call of a deal script: its KEYS and ARGV.
type Call struct {
	Script *redis.Script
	Keys   []string
	Args   []any
}

// Run sends the call (EVALSHA, EVAL on NOSCRIPT).
func (c Call) Run(ctx context.Context, client redis.Scripter) *redis.Cmd {
	return c.Script.Run(ctx, client, c.Keys, c.Args...)
}

func termsArgs(d Deal) []any {
	return []any{d.Stock, d.Price, d.PerUserLimit, d.StartsAt.UnixMilli(), d.EndsAt.UnixMilli()}
}

// PublishDeal sets stock and info only where absent; the reply is 1 when the stock was set now.
func PublishDeal(d Deal) Call {
	return Call{PublishDealScript, []string{StockKey(d.ID), InfoKey(d.ID)}, append(termsArgs(d), d.ProductID)}
}

// RescheduleDeal replaces stock and info while the deal has not started by Redis's clock; the
// reply is 1 when replaced, 0 when it has started. The product id never changes.
func RescheduleDeal(d Deal) Call {
	return Call{RescheduleDealScript, []string{StockKey(d.ID), InfoKey(d.ID)}, termsArgs(d)}
}

// RegisterDealOutbox puts the deal in the relay's registry (idempotent), right after PublishDeal.
func RegisterDealOutbox(ctx context.Context, client redis.Cmdable, dealID string) error {
	return client.SAdd(ctx, OutboxRegistryKey, dealID).Err()
}
