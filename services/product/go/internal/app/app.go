// Package app builds the product service's HTTP handler from injected clients and strategies;
// it never listens (cmd/product/main.go does, tests call the handler through httptest).
package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"flash-deal/services/product/go/internal/auth"
	"flash-deal/services/product/go/internal/deals"
	"flash-deal/services/product/go/internal/generated"
	"flash-deal/services/product/go/internal/health"
	"flash-deal/services/product/go/internal/httpx"
	"flash-deal/services/product/go/internal/openapi"
	"flash-deal/services/product/go/internal/problem"
	"flash-deal/services/product/go/internal/products"
	"flash-deal/services/product/go/internal/repository"
	"flash-deal/services/product/go/internal/telemetry"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

type Deps struct {
	Pool   *pgxpool.Pool
	Redis  redis.UniversalClient
	Logger *slog.Logger
	// rdb or cached(rdb): chosen by main.go, unknown to everything here.
	Products repository.ProductRepository
	// The cache strategy's counters, when it is the one injected.
	CacheStats  func() repository.CacheStats
	Verifier    *auth.Verifier
	Revocations *auth.Revocations
	// The gateway's HS256 secret; empty accepts /v1 requests without the internal token.
	InternalAuthSecret string
	Telemetry          *telemetry.Telemetry
	MaxBodyBytes       int64
}

func noRoute(w http.ResponseWriter, r *http.Request) {
	httpx.Fail(w, r, problem.NotFound("No route matches this method and path"))
}

var routedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// methodNotAllowed answers a path the router serves with other methods: 405 with Allow, as the
// TypeScript services do (packages/kit/src/allowed-methods.ts).
func methodNotAllowed(router chi.Routes) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, method := range routedMethods {
			if router.Match(chi.NewRouteContext(), method, r.URL.Path) {
				allowed = append(allowed, method)
			}
		}
		if len(allowed) == 0 {
			noRoute(w, r)
			return
		}
		httpx.Fail(w, r, problem.MethodNotAllowed(allowed))
	}
}

func New(d Deps) (http.Handler, error) {
	router, err := newRouter(&d)
	if err != nil {
		return nil, err
	}
	return httpx.Observe(d.Logger, d.Telemetry, d.MaxBodyBytes, router), nil
}

// Operations lists the API's routes as "METHOD /path/{param}" (the Swagger UI's own routes
// left out): what the OpenAPI document must describe, no more and no less.
func Operations(d Deps) ([]string, error) {
	router, err := newRouter(&d)
	if err != nil {
		return nil, err
	}
	var operations []string
	err = chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route != "/swagger" && !strings.HasPrefix(route, "/swagger/") {
			operations = append(operations, method+" "+route)
		}
		return nil
	})
	return operations, err
}

func newRouter(d *Deps) (*chi.Mux, error) {
	if d.Telemetry == nil {
		d.Telemetry = telemetry.Off()
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 64 * 1024
	}
	router := chi.NewRouter()
	router.Use(httpx.RecordRoute)
	if d.InternalAuthSecret != "" {
		router.Use(auth.InternalAuth([]byte(d.InternalAuthSecret), "product", httpx.Fail))
	}
	router.NotFound(noRoute)
	router.MethodNotAllowed(methodNotAllowed(router))

	queries := generated.New(d.Pool)
	health.Routes(router, map[string]health.Check{
		"postgres": func(ctx context.Context) error { _, err := queries.Ping(ctx); return err },
		"redis":    func(ctx context.Context) error { return d.Redis.Ping(ctx).Err() },
	}, 2*time.Second)
	router.Get("/metrics/cache", func(w http.ResponseWriter, _ *http.Request) {
		if d.CacheStats == nil {
			httpx.JSON(w, http.StatusOK, map[string]bool{"enabled": false})
			return
		}
		httpx.JSON(w, http.StatusOK, struct {
			Enabled bool `json:"enabled"`
			repository.CacheStats
		}{true, d.CacheStats()})
	})
	if err := openapi.Routes(router, noRoute); err != nil {
		return nil, err
	}

	admin := func(r *http.Request) error {
		claims, err := d.Verifier.VerifyAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			return err
		}
		if d.Revocations != nil {
			if err := d.Revocations.Check(claims); err != nil {
				return err
			}
		}
		if claims.Role != auth.Admin {
			return problem.Forbidden("This needs an admin account")
		}
		return nil
	}
	products.Routes(router, d.Products, admin)
	deals.Routes(router, deals.NewService(d.Pool, d.Redis, d.Logger), admin)
	return router, nil
}
