package clients_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"flash-deal/services/product/go/internal/clients"
	"flash-deal/services/product/go/internal/httpx"
	"flash-deal/services/product/go/internal/telemetry"

	"github.com/redis/go-redis/v9"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// go-redis prints its pool notices as plain text through its own logger unless told otherwise:
// here they must come out as the service's JSON lines, and fast (one dial per attempt).
func TestRedisLogsAsJSONAndFailsFast(t *testing.T) {
	out := &lockedBuffer{}
	logger := httpx.NewLogger("info", out)
	client, err := clients.Redis("redis://127.0.0.1:1", nil, logger, telemetry.Off()) // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	started := time.Now()
	if err := client.Get(context.Background(), "k").Err(); err == nil {
		t.Fatal("a dead Redis answered")
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Fatalf("a command against a dead Redis took %v", elapsed)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	found := false
	for _, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if entry["component"] == "go-redis" && entry["level"] == "warn" && entry["service"] == "product" &&
			strings.Contains(entry["msg"].(string), "dial") {
			found = true
		}
	}
	if !found {
		t.Fatalf("go-redis's dial failure is not in the JSON log: %s", out.String())
	}
}

func TestStatementName(t *testing.T) {
	for sql, want := range map[string]string{
		"-- name: GetProduct :one\nSELECT id FROM products WHERE id = $1": "GetProduct",
		"  -- name: ListOpenDeals :many\nSELECT 1":                        "ListOpenDeals",
		"SELECT 1": "SELECT",
		"begin":    "begin",
	} {
		if got := clients.StatementName(sql); got != want {
			t.Errorf("%q: %q, want %q", sql, got, want)
		}
	}
}

// The cluster client starts from the given nodes, with the single-node client's fail-fast
// settings and room to follow a failover's redirections; the single-node one parses REDIS_URL.
func TestRedisOptions(t *testing.T) {
	nodes := []string{"127.0.0.1:27000", "127.0.0.1:27001"}
	cluster := clients.ClusterOptions(nodes)
	if !slices.Equal(cluster.Addrs, nodes) || cluster.MaxRetries != 1 || cluster.DialerRetries != 1 ||
		cluster.DialTimeout != 2*time.Second || cluster.MaxRedirects != 8 {
		t.Fatalf("cluster options %+v", cluster)
	}
	single, err := clients.SingleOptions("redis://127.0.0.1:6380/2")
	if err != nil {
		t.Fatal(err)
	}
	if single.Addr != "127.0.0.1:6380" || single.DB != 2 || single.MaxRetries != 1 || single.DialerRetries != 1 ||
		single.DialTimeout != 2*time.Second {
		t.Fatalf("single options %+v", single)
	}
	if _, err := clients.SingleOptions("http://127.0.0.1:6379"); err == nil {
		t.Fatal("a non-redis URL parsed")
	}
}

// With cluster nodes, Redis opens a cluster client (not a single-node one on the URL).
func TestRedisOpensAClusterClient(t *testing.T) {
	client, err := clients.Redis("redis://127.0.0.1:1", []string{"127.0.0.1:1"}, httpx.NewLogger("error", &lockedBuffer{}), telemetry.Off())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, ok := client.(*redis.ClusterClient); !ok {
		t.Fatalf("got %T, want *redis.ClusterClient", client)
	}
}
