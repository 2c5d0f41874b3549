// Package httpx is what every request goes through before its handler: a request id (kept from
// X-Request-Id when sane), a logger carrying it, the server span continuing the caller's
// traceparent, the body size limit, one JSON access line, and problem+json for what fails.
package httpx

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"flash-deal/services/product/go/internal/problem"
	"flash-deal/services/product/go/internal/telemetry"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
	routeKey
)

// routeHolder receives the matched route template from inside the router (RecordRoute).
type routeHolder struct{ pattern string }

// RecordRoute is the router's first middleware: once the handler has run, the template it
// matched (`/v1/deals/{id}`) names the span, as the TypeScript services' spans do.
func RecordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if holder, ok := r.Context().Value(routeKey).(*routeHolder); ok {
			if route := chi.RouteContext(r.Context()); route != nil {
				holder.pattern = route.RoutePattern()
			}
		}
	})
}

var validRequestID = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

// RequestID is the id of the request ctx belongs to ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Logger is the request's logger (with its requestId), or fallback outside a request.
func Logger(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if logger, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return logger
	}
	return fallback
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// routeParam is chi's `{id}`; the TypeScript services' routes say `:id`.
var routeParam = regexp.MustCompile(`\{(\w+)\}`)

// Route is a route template as the TypeScript services name it (`/v1/products/:id`), so spans
// and the duration histogram have the same names and series whichever implementation runs.
func Route(pattern string) string { return routeParam.ReplaceAllString(pattern, ":$1") }

// requestDuration is `http.server.request.duration` (semantic conventions), in seconds, with
// the buckets the conventions recommend: the kit's histogram.
func requestDuration(meter metric.Meter) metric.Float64Histogram {
	histogram, err := meter.Float64Histogram("http.server.request.duration", metric.WithDescription("Duration of HTTP server requests"),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	if err != nil {
		panic(err) // only for an invalid name or bucket list, both constant
	}
	return histogram
}

// Observe wraps the router: ids, logs, spans, the duration histogram, the body limit and
// panics as 500s.
func Observe(logger *slog.Logger, tel *telemetry.Telemetry, maxBodyBytes int64, next http.Handler) http.Handler {
	duration := requestDuration(tel.Meter)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := tel.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		var span trace.Span
		requestLogger := logger.With("requestId", id)
		if tel.Enabled {
			ctx, span = tel.Tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path),
					attribute.String("user_agent.original", r.UserAgent())))
			sc := span.SpanContext()
			requestLogger = requestLogger.With("traceId", sc.TraceID().String(), "spanId", sc.SpanID().String())
		}
		ctx = context.WithValue(ctx, requestIDKey, id)
		ctx = context.WithValue(ctx, loggerKey, requestLogger)
		route := &routeHolder{}
		ctx = context.WithValue(ctx, routeKey, route)
		r = r.WithContext(ctx)
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if recovered := recover(); recovered != nil {
				requestLogger.Error("request failed", "error", fmt.Sprint(recovered))
				if rec.status == 0 {
					problem.Write(rec, r, id, problem.Internal())
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			pattern := Route(route.pattern)
			// Unmatched paths carry no route: the raw path would make one series per scanner probe.
			attributes := []attribute.KeyValue{attribute.String("http.request.method", r.Method),
				attribute.Int("http.response.status_code", status)}
			if pattern != "" {
				attributes = append(attributes, attribute.String("http.route", pattern))
			}
			if status >= 500 {
				attributes = append(attributes, attribute.String("error.type", strconv.Itoa(status)))
			}
			duration.Record(context.WithoutCancel(ctx), time.Since(started).Seconds(), metric.WithAttributes(attributes...))
			if span != nil {
				if pattern != "" {
					span.SetName(r.Method + " " + pattern)
					span.SetAttributes(attribute.String("http.route", pattern))
				}
				span.SetAttributes(attribute.Int("http.response.status_code", status))
				if status >= 500 {
					span.SetAttributes(attribute.String("error.type", strconv.Itoa(status)))
					span.SetStatus(codes.Error, "")
				}
				span.End()
			}
			requestLogger.Info("request", "method", r.Method, "path", r.URL.Path, "status", status,
				"durationMs", float64(time.Since(started).Microseconds())/1000)
		}()
		if r.ContentLength > maxBodyBytes {
			Fail(rec, r, problem.PayloadTooLarge(int(maxBodyBytes)))
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, maxBodyBytes)
		next.ServeHTTP(rec, r)
	})
}

// Fail writes err as problem+json, logging it when it is our fault (5xx).
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problem.Write(w, r, RequestID(r.Context()), err)
	if p.Status >= 500 {
		Logger(r.Context(), slog.Default()).Error("request failed", "error", err.Error())
	}
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Handler is a handler that returns its error; Wrap renders the error as problem+json.
type Handler func(w http.ResponseWriter, r *http.Request) error

func Wrap(h Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			Fail(w, r, err)
		}
	}
}

// NewLogger is the JSON logger of every line: time, level (lower case), service, msg, fields.
func NewLogger(level string, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	handler := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.LevelKey {
			return slog.String("level", map[slog.Level]string{slog.LevelDebug: "debug", slog.LevelInfo: "info",
				slog.LevelWarn: "warn", slog.LevelError: "error"}[a.Value.Any().(slog.Level)])
		}
		return a
	}})
	return slog.New(handler).With("service", "product", "impl", "go")
}
