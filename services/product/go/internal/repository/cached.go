package repository

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"flash-deal/services/product/go/internal/httpx"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/singleflight"
)

// The cached strategy: the same look-aside behaviour as services/product/src/repository/cached.ts.
//
//   - Hit: the product comes from Redis. Miss: it is read through the inner repository and written
//     back with a TTL plus jitter, so keys written together do not expire together.
//   - A missing product is cached too (a short-lived marker), so a flood of requests for an id
//     that does not exist does not reach Postgres.
//   - Single-flight: concurrent misses of one key share one database read.
//   - Every write invalidates the key after the database has committed, and again shortly after
//     (a concurrent miss elsewhere may write the old row back just after the first delete).
//   - If Redis fails, reads fall back to the inner repository (logged and counted).
//   - A tiny in-process near-cache in front of Redis guards the one hot key of a flash sale.
//
// Keys and values are the TypeScript service's: `product:{<id>}` holding the product's JSON, or
// NoneMarker for "no such product", so each implementation reads the other's entries.

// NoneMarker is the cached value meaning "no product has this id" (a NUL byte, then "none").
const NoneMarker = "\x00none"

// CacheKey is the product's Redis key; the hash tag keeps it Cluster friendly.
func CacheKey(id uuid.UUID) string { return "product:{" + id.String() + "}" }

type CacheOptions struct {
	TTL time.Duration
	// Up to this fraction of the TTL is added at random.
	JitterRatio float64
	NegativeTTL time.Duration
	// 0 turns the near-cache off.
	NearTTL            time.Duration
	NearMaxEntries     int
	SecondInvalidation time.Duration
}

func DefaultCacheOptions() CacheOptions {
	return CacheOptions{TTL: 300 * time.Second, JitterRatio: 0.1, NegativeTTL: 15 * time.Second,
		NearTTL: time.Second, NearMaxEntries: 10_000, SecondInvalidation: 500 * time.Millisecond}
}

// CacheStats are the cache's counters, named as the TypeScript service's /metrics/cache.
type CacheStats struct {
	NearHits  int64 `json:"nearHits"`
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	Loads     int64 `json:"loads"`
	Fallbacks int64 `json:"fallbacks"`
}

type nearEntry struct {
	value     *Product
	expiresAt time.Time
}

type Cached struct {
	inner   ProductRepository
	redis   redis.UniversalClient
	logger  *slog.Logger
	options CacheOptions
	flight  singleflight.Group

	nearHits, hits, misses, loads, fallbacks atomic.Int64

	mu   sync.Mutex
	near map[uuid.UUID]nearEntry
}

func NewCached(inner ProductRepository, client redis.UniversalClient, logger *slog.Logger, options CacheOptions) *Cached {
	return &Cached{inner: inner, redis: client, logger: logger, options: options, near: map[uuid.UUID]nearEntry{}}
}

func (c *Cached) Stats() CacheStats {
	return CacheStats{NearHits: c.nearHits.Load(), Hits: c.hits.Load(), Misses: c.misses.Load(),
		Loads: c.loads.Load(), Fallbacks: c.fallbacks.Load()}
}

func (c *Cached) remember(id uuid.UUID, value *Product) {
	if c.options.NearTTL <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.near) >= c.options.NearMaxEntries {
		for key := range c.near { // any one entry: a bound on memory, not an LRU
			delete(c.near, key)
			break
		}
	}
	c.near[id] = nearEntry{value: value, expiresAt: time.Now().Add(c.options.NearTTL)}
}

func (c *Cached) forget(id uuid.UUID) {
	c.mu.Lock()
	delete(c.near, id)
	c.mu.Unlock()
}

func (c *Cached) ttl() time.Duration {
	return time.Duration(float64(c.options.TTL) * (1 + rand.Float64()*c.options.JitterRatio)).Round(time.Second)
}

func (c *Cached) fallback(ctx context.Context, operation string, err error) {
	c.fallbacks.Add(1)
	httpx.Logger(ctx, c.logger).Warn("product cache unavailable, using the database", "operation", operation, "error", err.Error())
}

func (c *Cached) GetProduct(ctx context.Context, id uuid.UUID) (Read, error) {
	if c.options.NearTTL > 0 {
		c.mu.Lock()
		local, ok := c.near[id]
		c.mu.Unlock()
		if ok && time.Now().Before(local.expiresAt) {
			c.nearHits.Add(1)
			return Read{Value: local.value, Source: FromCache}, nil
		}
	}
	cached, err := c.redis.Get(ctx, CacheKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		c.misses.Add(1)
		return c.load(ctx, id)
	}
	if err != nil {
		c.fallback(ctx, "read", err)
		return c.inner.GetProduct(ctx, id)
	}
	var value *Product
	if cached != NoneMarker {
		value = &Product{}
		if err := json.Unmarshal([]byte(cached), value); err != nil {
			// An entry neither implementation wrote: treat as a miss, the load overwrites it.
			c.misses.Add(1)
			return c.load(ctx, id)
		}
	}
	c.hits.Add(1)
	c.remember(id, value)
	return Read{Value: value, Source: FromCache}, nil
}

// load reads through the inner repository once for every concurrent miss of id. It runs
// without the first caller's cancellation: the others wait on the same read.
func (c *Cached) load(ctx context.Context, id uuid.UUID) (Read, error) {
	result, err, _ := c.flight.Do(id.String(), func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		c.loads.Add(1)
		read, err := c.inner.GetProduct(ctx, id)
		if err != nil {
			return Read{}, err
		}
		var writeErr error
		if read.Value != nil {
			entry, _ := json.Marshal(read.Value)
			writeErr = c.redis.Set(ctx, CacheKey(id), entry, c.ttl()).Err()
		} else {
			writeErr = c.redis.Set(ctx, CacheKey(id), NoneMarker, c.options.NegativeTTL).Err()
		}
		if writeErr != nil {
			c.fallback(ctx, "write-back", writeErr)
		}
		c.remember(id, read.Value)
		return Read{Value: read.Value, Source: FromDatabase}, nil
	})
	if err != nil {
		return Read{}, err
	}
	return result.(Read), nil
}

func (c *Cached) deleteKey(ctx context.Context, id uuid.UUID) {
	if err := c.redis.Del(ctx, CacheKey(id)).Err(); err != nil {
		// The entry expires on its own; loud, because until then readers see the old value.
		httpx.Logger(ctx, c.logger).Error("product cache invalidation failed; the entry will expire by TTL", "id", id.String(), "error", err.Error())
	}
}

func (c *Cached) invalidate(ctx context.Context, id uuid.UUID) {
	c.forget(id)
	c.deleteKey(ctx, id)
	if c.options.SecondInvalidation > 0 {
		detached := context.WithoutCancel(ctx)
		time.AfterFunc(c.options.SecondInvalidation, func() {
			c.forget(id)
			c.deleteKey(detached, id)
		})
	}
}

func (c *Cached) ListProducts(ctx context.Context, page PageRequest) ([]Product, error) {
	return c.inner.ListProducts(ctx, page)
}

func (c *Cached) CreateProduct(ctx context.Context, input NewProduct) (Product, error) {
	product, err := c.inner.CreateProduct(ctx, input)
	if err != nil {
		return product, err
	}
	c.invalidate(ctx, product.ID)
	return product, nil
}

func (c *Cached) UpdateProduct(ctx context.Context, id uuid.UUID, patch ProductPatch) (*Product, error) {
	product, err := c.inner.UpdateProduct(ctx, id, patch)
	if err != nil {
		return nil, err
	}
	c.invalidate(ctx, id)
	return product, nil
}

// ObserveCacheStats reports the cache's counters as the observable counter
// `flash_deal.product.cache.reads` by `result` (near_hit, hit, miss, fallback: Redis failed and
// the database answered), the TypeScript service's instrument. Read when metrics are
// collected: the read path keeps its plain atomic increments.
func ObserveCacheStats(meter metric.Meter, stats func() CacheStats) error {
	_, err := meter.Int64ObservableCounter("flash_deal.product.cache.reads",
		metric.WithDescription("Product reads through the cache, by where the answer came from"), metric.WithUnit("{read}"),
		metric.WithInt64Callback(func(_ context.Context, observer metric.Int64Observer) error {
			now := stats()
			observer.Observe(now.NearHits, metric.WithAttributes(attribute.String("result", "near_hit")))
			observer.Observe(now.Hits, metric.WithAttributes(attribute.String("result", "hit")))
			observer.Observe(now.Misses, metric.WithAttributes(attribute.String("result", "miss")))
			observer.Observe(now.Fallbacks, metric.WithAttributes(attribute.String("result", "fallback")))
			return nil
		}))
	return err
}
