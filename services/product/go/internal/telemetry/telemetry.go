// Package telemetry sets up tracing and metrics from the standard OTEL_* variables, like the
// TypeScript kit (packages/kit/src/telemetry.ts, metrics.ts): no endpoint, no spans and no
// metrics (the caller's traceparent is still read for the logs' sake).
package telemetry

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Telemetry is what handlers and clients trace and measure with. Enabled says whether spans
// are exported; the providers are handed to the Postgres and Redis instrumentation, so their
// spans are children of the request's.
type Telemetry struct {
	Tracer         trace.Tracer
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator
	Enabled        bool
	// Meter makes the service's instruments (the cache's counter); a no-op without metrics.
	Meter    metric.Meter
	shutdown []func(context.Context) error
}

// Off records nothing; the W3C propagator still reads and passes on traceparent.
func Off() *Telemetry {
	provider := noop.NewTracerProvider()
	return &Telemetry{Tracer: provider.Tracer("product"), TracerProvider: provider, Propagator: propagation.TraceContext{},
		Meter: metricnoop.NewMeterProvider().Meter("product")}
}

// New is telemetry on the given providers (tests pass recording ones); nil keeps that part off.
func New(tracerProvider trace.TracerProvider, meterProvider metric.MeterProvider) *Telemetry {
	t := Off()
	if tracerProvider != nil {
		t.Tracer, t.TracerProvider, t.Enabled = tracerProvider.Tracer("flash-deal/product"), tracerProvider, true
	}
	if meterProvider != nil {
		t.Meter = meterProvider.Meter("flash-deal/product")
	}
	return t
}

func off(name string) bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(name)), "none")
}

func endpoint(signal, path string) string {
	if specific := os.Getenv("OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT"); specific != "" {
		return specific
	}
	if base := strings.TrimRight(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "/"); base != "" {
		return base + path
	}
	return ""
}

func positiveMillis(name string, fallback int) time.Duration {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return time.Duration(n) * time.Millisecond
	}
	return time.Duration(fallback) * time.Millisecond
}

// FromEnv exports spans and metrics over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the
// signal's own endpoint) is set, each unless switched off (OTEL_SDK_DISABLED,
// OTEL_TRACES_EXPORTER=none, OTEL_METRICS_EXPORTER=none). Metrics are exported every
// OTEL_METRIC_EXPORT_INTERVAL (default 60 s), as the TypeScript services do.
func FromEnv(ctx context.Context, serviceName string) (*Telemetry, error) {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return Off(), nil
	}
	if name := strings.TrimSpace(os.Getenv("OTEL_SERVICE_NAME")); name != "" {
		serviceName = name
	}
	res := resource.NewSchemaless(attribute.String("service.name", serviceName), attribute.String("service.version", "1.0.0"),
		attribute.String("telemetry.sdk.language", "go"))
	t := Off()
	if url := endpoint("TRACES", "/v1/traces"); url != "" && !off("OTEL_TRACES_EXPORTER") {
		exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(url), otlptracehttp.WithTimeout(5*time.Second))
		if err != nil {
			return nil, err
		}
		provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
		otel.SetTextMapPropagator(t.Propagator)
		t.Tracer, t.TracerProvider, t.Enabled = provider.Tracer("flash-deal/product"), provider, true
		t.shutdown = append(t.shutdown, provider.Shutdown)
	}
	if url := endpoint("METRICS", "/v1/metrics"); url != "" && !off("OTEL_METRICS_EXPORTER") {
		exporter, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(url))
		if err != nil {
			return nil, err
		}
		interval := positiveMillis("OTEL_METRIC_EXPORT_INTERVAL", 60_000)
		reader := sdkmetric.NewPeriodicReader(exporter, sdkmetric.WithInterval(interval),
			sdkmetric.WithTimeout(min(positiveMillis("OTEL_METRIC_EXPORT_TIMEOUT", 30_000), interval)))
		provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res))
		t.Meter = provider.Meter("flash-deal/product")
		t.shutdown = append(t.shutdown, provider.Shutdown)
	}
	return t, nil
}

// Shutdown flushes the spans and metrics still queued.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, shutdown := range t.shutdown {
		errs = append(errs, shutdown(ctx))
	}
	return errors.Join(errs...)
}

// Untraced marks ctx for background work (the revocation refresh every second): its Postgres
// and Redis calls start no root spans, because their parent is a span that is not sampled.
func Untraced(ctx context.Context) context.Context {
	return trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0: 1}, SpanID: trace.SpanID{0: 1}}))
}
