// The Go product service's composition root: read the environment, open the clients, pick the
// repository strategy (ENABLE_CACHE), serve, and on SIGTERM stop taking requests, finish the
// ones in flight and close the clients. Same variables and defaults as services/product/src.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"flash-deal/services/product/go/internal/app"
	"flash-deal/services/product/go/internal/auth"
	"flash-deal/services/product/go/internal/clients"
	"flash-deal/services/product/go/internal/config"
	"flash-deal/services/product/go/internal/httpx"
	"flash-deal/services/product/go/internal/repository"
	"flash-deal/services/product/go/internal/telemetry"
)

func main() {
	// `product healthcheck`: the container's probe (the Go image has no shell or curl).
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck())
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "product:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load(nil)
	if err != nil {
		return err
	}
	logger := httpx.NewLogger(cfg.LogLevel, os.Stdout)
	// Libraries log through slog.Default (the JWKS refresher): the same JSON lines.
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	tel, err := telemetry.FromEnv(ctx, "product")
	if err != nil {
		return err
	}
	pool, err := clients.Postgres(ctx, cfg.DatabaseURL, tel)
	if err != nil {
		return err
	}
	client, err := clients.Redis(cfg.RedisURL, cfg.RedisClusterNodes, logger, tel)
	if err != nil {
		return err
	}

	// Strategy A: the one place that knows whether reads are cached.
	var products repository.ProductRepository = repository.NewRdb(pool)
	var stats func() repository.CacheStats
	if cfg.EnableCache {
		options := repository.DefaultCacheOptions()
		options.TTL = time.Duration(cfg.CacheTTLSeconds) * time.Second
		options.NegativeTTL = time.Duration(cfg.CacheNegativeTTLSecond) * time.Second
		options.NearTTL = cfg.NearCacheTTL
		cached := repository.NewCached(products, client, logger, options)
		products, stats = cached, cached.Stats
		if err := repository.ObserveCacheStats(tel.Meter, cached.Stats); err != nil {
			return err
		}
		logger.Info("product repository", "strategy", "cached(rdb)")
	} else {
		logger.Info("product repository", "strategy", "rdb")
	}

	background, cancelBackground := context.WithCancel(context.Background())
	defer cancelBackground()
	keys, err := auth.RemoteJWKS(background, cfg.JWKSURL)
	if err != nil {
		return err
	}
	revocations := auth.NewRevocations(client, logger)
	go revocations.Run(telemetry.Untraced(background), cfg.RevocationRefresh)
	if cfg.InternalAuthSecret == "" {
		logger.Warn("INTERNAL_AUTH_SECRET is not set: /v1 requests are accepted without the gateway's internal token")
	}

	handler, err := app.New(app.Deps{Pool: pool, Redis: client, Logger: logger, Products: products, CacheStats: stats,
		Verifier: auth.NewVerifier(keys, cfg.JWTIssuer, cfg.JWTAudience), Revocations: revocations,
		InternalAuthSecret: cfg.InternalAuthSecret, Telemetry: tel, MaxBodyBytes: cfg.MaxBodyBytes})
	if err != nil {
		return err
	}
	server := &http.Server{Addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), Handler: handler,
		ReadHeaderTimeout: 10 * time.Second}
	listener, err := net.Listen("tcp", server.Addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "url", "http://"+listener.Addr().String())
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutdown signal received")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	failed := false
	step := func(name string, close func() error) {
		if err := close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			failed = true
			logger.Error("close failed", "step", name, "error", err.Error())
			return
		}
		logger.Info("closed", "step", name)
	}
	// Stop taking work first, then close the clients the work used.
	step("http", func() error { return server.Shutdown(shutdownCtx) })
	cancelBackground()
	step("postgres", func() error { pool.Close(); return nil })
	step("redis", client.Close)
	step("telemetry", func() error { return tel.Shutdown(shutdownCtx) })
	logger.Info("shutdown complete")
	if failed {
		return errors.New("shutdown had failures")
	}
	return nil
}

func healthcheck() int {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8082"
	}
	client := http.Client{Timeout: 3 * time.Second}
	response, err := client.Get("http://127.0.0.1:" + port + "/health/ready")
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	_ = response.Body.Close()
	if response.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck: /health/ready answered", response.StatusCode)
		return 1
	}
	return 0
}
