package app_test

// Tracing and metrics on the real Postgres and Redis: the spans a request makes (the server
// span continuing the caller's traceparent, a child per SQL statement and per Redis command)
// and the cache's counter, read through the OpenTelemetry SDK's in-memory recorder and reader.

import (
	"context"
	"strings"
	"testing"

	"flash-deal/services/product/go/internal/repository"
	"flash-deal/services/product/go/internal/telemetry"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func recordingTelemetry(t *testing.T) (*telemetry.Telemetry, *tracetest.SpanRecorder) {
	recorder := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	return telemetry.New(provider, nil), recorder
}

// children are the names of the spans whose parent is the server span named server.
func children(t *testing.T, recorder *tracetest.SpanRecorder, server string) ([]string, sdktrace.ReadOnlySpan) {
	t.Helper()
	var parent sdktrace.ReadOnlySpan
	for _, span := range recorder.Ended() {
		if span.Name() == server {
			parent = span
		}
	}
	if parent == nil {
		t.Fatalf("no server span %q", server)
	}
	var names []string
	for _, span := range recorder.Ended() {
		if span.Parent().SpanID() == parent.SpanContext().SpanID() {
			names = append(names, span.Name())
		}
	}
	return names, parent
}

func attributeOf(span sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range span.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

func TestTracing(t *testing.T) {
	tel, recorder := recordingTelemetry(t)
	h := newHarness(t, options{cache: true, telemetry: tel})
	id := h.createProduct()["id"].(string)

	t.Run("cached(rdb): a miss is a Redis GET, then GetProduct, then a Redis SET, all under the request", func(t *testing.T) {
		recorder.Reset()
		h.expect(h.do(call{method: "GET", path: "/v1/products/" + id}), 200)
		names, _ := children(t, recorder, "GET /v1/products/:id")
		if strings.Join(names, " ") != "get GetProduct set" {
			t.Fatalf("children of the request span: %v", names)
		}
		for _, span := range recorder.Ended() {
			switch span.Name() {
			case "GetProduct":
				if attributeOf(span, "db.system.name") != "postgresql" && attributeOf(span, "db.system") != "postgresql" {
					t.Errorf("GetProduct attributes: %v", span.Attributes())
				}
			case "get":
				if attributeOf(span, "db.system") != "redis" && attributeOf(span, "db.system.name") != "redis" {
					t.Errorf("GET attributes: %v", span.Attributes())
				}
			}
		}
	})

	t.Run("the server span continues the caller's traceparent, and the log line carries its ids", func(t *testing.T) {
		recorder.Reset()
		traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
		h.expect(h.do(call{method: "GET", path: "/v1/deals", header: map[string]string{
			"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01", "X-Request-Id": "trace-req-1"}}), 200)
		names, server := children(t, recorder, "GET /v1/deals")
		if server.SpanContext().TraceID().String() != traceID || server.Parent().SpanID().String() != "00f067aa0ba902b7" {
			t.Fatalf("the caller's trace was not continued: %v parent %v", server.SpanContext().TraceID(), server.Parent().SpanID())
		}
		// The statement, then one Redis GET per live deal (its remaining stock).
		if len(names) == 0 || names[0] != "ListOpenDeals" || strings.Trim(strings.Join(names[1:], ""), "get") != "" {
			t.Fatalf("children of GET /v1/deals: %v", names)
		}
		if !strings.Contains(h.logs.String(), `"requestId":"trace-req-1","traceId":"`+traceID+`"`) {
			t.Fatalf("the access log does not carry the trace: %s", h.logs.String())
		}
	})

	t.Run("publishing a deal: its statements and the deal script are spans under the request", func(t *testing.T) {
		recorder.Reset()
		h.createDeal(id, nil)
		names, _ := children(t, recorder, "POST /v1/deals")
		joined := strings.Join(names, " ")
		for _, want := range []string{"GetProduct", "CreateDeal", "evalsha", "sadd"} {
			if !strings.Contains(joined, want) {
				t.Fatalf("children of POST /v1/deals: %v (no %s)", names, want)
			}
		}
	})

	t.Run("background work starts no root spans", func(t *testing.T) {
		recorder.Reset()
		_ = h.redis.Get(telemetry.Untraced(context.Background()), "nothing").Err()
		if len(recorder.Ended()) != 0 {
			t.Fatalf("untraced work made spans: %d", len(recorder.Ended()))
		}
	})
}

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	tel := telemetry.New(nil, provider)
	h := newHarness(t, options{cache: true, telemetry: tel})
	if err := repository.ObserveCacheStats(tel.Meter, h.cached.Stats); err != nil {
		t.Fatal(err)
	}
	id := h.createProduct()["id"].(string)
	h.expect(h.do(call{method: "GET", path: "/v1/products/" + id}), 200) // miss
	h.expect(h.do(call{method: "GET", path: "/v1/products/" + id}), 200) // hit
	h.expect(h.do(call{method: "GET", path: "/v1/products/" + id}), 200) // hit

	var collected metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &collected); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	durations := map[string]uint64{}
	for _, scope := range collected.ScopeMetrics {
		for _, m := range scope.Metrics {
			if m.Name == "http.server.request.duration" {
				histogram, ok := m.Data.(metricdata.Histogram[float64])
				if !ok || m.Unit != "s" {
					t.Fatalf("http.server.request.duration is not a histogram in seconds: %#v", m)
				}
				for _, point := range histogram.DataPoints {
					method, _ := point.Attributes.Value("http.request.method")
					route, _ := point.Attributes.Value("http.route")
					status, _ := point.Attributes.Value("http.response.status_code")
					durations[method.AsString()+" "+route.AsString()+" "+status.Emit()] += point.Count
				}
			}
			if m.Name != "flash_deal.product.cache.reads" {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || !sum.IsMonotonic || m.Unit != "{read}" {
				t.Fatalf("flash_deal.product.cache.reads is not a monotonic counter of {read}: %#v", m)
			}
			for _, point := range sum.DataPoints {
				result, _ := point.Attributes.Value(attribute.Key("result"))
				counts[result.AsString()] = point.Value
			}
		}
	}
	if counts["miss"] != 1 || counts["hit"] != 2 || counts["fallback"] != 0 {
		t.Fatalf("counter by result: %v", counts)
	}
	if _, ok := counts["near_hit"]; !ok {
		t.Fatalf("near_hit is reported too: %v", counts)
	}
	// Routes named as the TypeScript services name them, so both feed the same series.
	if durations["GET /v1/products/:id 200"] != 3 || durations["POST /v1/products 201"] != 1 {
		t.Fatalf("request durations by method, route, status: %v", durations)
	}
}
