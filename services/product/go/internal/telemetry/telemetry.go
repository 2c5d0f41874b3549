// Package telemetry sets up tracing from the standard OTEL_* variables, like the TypeScript
// kit: no endpoint, no spans (the caller's traceparent is still read for the logs' sake).
package telemetry

import (
	"context"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Telemetry is the tracer handlers use; Enabled says whether spans are exported.
type Telemetry struct {
	Tracer     trace.Tracer
	Propagator propagation.TextMapPropagator
	Enabled    bool
	shutdown   func(context.Context) error
}

// Off records nothing; the W3C propagator still reads and passes on traceparent.
func Off() *Telemetry {
	return &Telemetry{Tracer: noop.NewTracerProvider().Tracer("product"), Propagator: propagation.TraceContext{},
		shutdown: func(context.Context) error { return nil }}
}

// FromEnv exports spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces one) is
// set and the SDK is not disabled.
func FromEnv(ctx context.Context, serviceName string) (*Telemetry, error) {
	endpoint := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		if base := strings.TrimRight(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "/"); base != "" {
			endpoint = base + "/v1/traces"
		}
	}
	if endpoint == "" || strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") ||
		strings.EqualFold(os.Getenv("OTEL_TRACES_EXPORTER"), "none") {
		return Off(), nil
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint), otlptracehttp.WithTimeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	if name := strings.TrimSpace(os.Getenv("OTEL_SERVICE_NAME")); name != "" {
		serviceName = name
	}
	res := resource.NewSchemaless(attribute.String("service.name", serviceName), attribute.String("service.version", "1.0.0"),
		attribute.String("telemetry.sdk.language", "go"))
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	propagator := propagation.TraceContext{}
	otel.SetTextMapPropagator(propagator)
	return &Telemetry{Tracer: provider.Tracer("flash-deal/product"), Propagator: propagator, Enabled: true,
		shutdown: provider.Shutdown}, nil
}

// Shutdown flushes the spans still queued.
func (t *Telemetry) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }
