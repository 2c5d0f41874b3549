// Package clients opens the product service's Postgres pool and Redis client the one way both
// main.go and the tests use: named, failing fast while a server is down (as the TypeScript
// kit's clients do), each statement and command a child span of the request's, and go-redis's
// own log lines in the service's JSON log.
package clients

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"flash-deal/services/product/go/internal/httpx"
	"flash-deal/services/product/go/internal/telemetry"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// sqlcName is the `-- name: GetProduct :one` line sqlc keeps at the top of each statement.
var sqlcName = regexp.MustCompile(`^\s*-- name: (\w+)`)

// StatementName names a statement's span after its query in db/query.sql, as the TypeScript
// services' spans are named (GetProduct, ListOpenDeals); other SQL keeps its first word.
func StatementName(sql string) string {
	if match := sqlcName.FindStringSubmatch(sql); match != nil {
		return match[1]
	}
	for i, c := range sql {
		if c == ' ' || c == '\n' || c == '\t' {
			return sql[:i]
		}
	}
	return sql
}

// Postgres is the pool on url, application_name "product", traced through tel.
func Postgres(ctx context.Context, url string, tel *telemetry.Telemetry) (*pgxpool.Pool, error) {
	config, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	config.ConnConfig.RuntimeParams["application_name"] = "product"
	config.ConnConfig.Tracer = otelpgx.NewTracer(otelpgx.WithTracerProvider(tel.TracerProvider),
		otelpgx.WithSpanNameFunc(StatementName), otelpgx.WithDisableAcquireTracer())
	return pgxpool.NewWithConfig(ctx, config)
}

// Redis is the client on url, or with clusterNodes (REDIS_CLUSTER_NODES) a Redis Cluster client
// started from those nodes (url is then not used), as the TypeScript kit's createRedis does: one
// retry and one dial attempt per command, so a command fails within about the dial timeout while
// Redis is down and its caller falls back or answers 503 (go-redis would otherwise dial five
// times per attempt); traced through tel.
func Redis(url string, clusterNodes []string, logger *slog.Logger, tel *telemetry.Telemetry) (redis.UniversalClient, error) {
	var client redis.UniversalClient
	if len(clusterNodes) > 0 {
		client = redis.NewClusterClient(ClusterOptions(clusterNodes))
	} else {
		options, err := SingleOptions(url)
		if err != nil {
			return nil, err
		}
		client = redis.NewClient(options)
	}
	UseLogger(logger)
	if err := redisotel.InstrumentTracing(client, redisotel.WithTracerProvider(tel.TracerProvider),
		redisotel.WithDBStatement(false), redisotel.WithDialFilter(true)); err != nil {
		_ = client.Close()
		return nil, err
	}
	return client, nil
}

const (
	maxRetries    = 1
	dialerRetries = 1
	dialTimeout   = 2 * time.Second
	// A promoted replica takes over in about the cluster's node timeout: follow MOVED and
	// CLUSTERDOWN answers a few times (with go-redis's backoff), then fail so the caller answers 503.
	maxRedirects = 8
)

// SingleOptions: the one-node client's options from REDIS_URL.
func SingleOptions(url string) (*redis.Options, error) {
	options, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	options.MaxRetries = maxRetries
	options.DialerRetries = dialerRetries
	options.DialTimeout = dialTimeout
	return options, nil
}

// ClusterOptions: the cluster client's options, its start-up nodes the host:port list of
// REDIS_CLUSTER_NODES; the client learns the rest of the cluster (and each failover) from them.
func ClusterOptions(nodes []string) *redis.ClusterOptions {
	return &redis.ClusterOptions{Addrs: nodes, MaxRedirects: maxRedirects, MaxRetries: maxRetries,
		DialerRetries: dialerRetries, DialTimeout: dialTimeout}
}

// redisLog is go-redis's logger (pool and reconnect notices, which it prints as plain text
// otherwise) as JSON lines of the service's log, with the request id when the context has one.
// While Redis is down it would print one line per failed dial: a few per second get through.
type redisLog struct {
	logger *slog.Logger
	limit  *rate.Limiter
}

func (l *redisLog) Printf(ctx context.Context, format string, v ...any) {
	if l.limit.Allow() {
		httpx.Logger(ctx, l.logger).Warn(fmt.Sprintf(format, v...), "component", "go-redis")
	}
}

var setLogger sync.Once

// UseLogger routes go-redis's process-wide logger to logger (the first one given wins: it is
// one setting for the whole process).
func UseLogger(logger *slog.Logger) {
	setLogger.Do(func() { redis.SetLogger(&redisLog{logger: logger, limit: rate.NewLimiter(rate.Limit(2), 5)}) })
}
