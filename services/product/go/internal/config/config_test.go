package config_test

import (
	"slices"
	"strings"
	"testing"

	"flash-deal/services/product/go/internal/config"
)

func load(vars map[string]string) (config.Config, error) {
	return config.Load(func(name string) string { return vars[name] })
}

// REDIS_CLUSTER_NODES as the TypeScript services read it (the kit's redisClusterNodes): unset is
// the single-node client on REDIS_URL, a host:port list the cluster's start-up nodes.
func TestRedisClusterNodes(t *testing.T) {
	single, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if single.RedisClusterNodes != nil || single.RedisURL != "redis://127.0.0.1:6379" {
		t.Fatalf("unset: nodes %v, url %q", single.RedisClusterNodes, single.RedisURL)
	}
	cluster, err := load(map[string]string{"REDIS_CLUSTER_NODES": " 127.0.0.1:27000,redis-b:27001 "})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"127.0.0.1:27000", "redis-b:27001"}; !slices.Equal(cluster.RedisClusterNodes, want) {
		t.Fatalf("nodes %v, want %v", cluster.RedisClusterNodes, want)
	}
	for _, bad := range []string{"127.0.0.1", "127.0.0.1:27000,", "a:1, b:2", "127.0.0.1:port"} {
		_, err := load(map[string]string{"REDIS_CLUSTER_NODES": bad})
		if err == nil || !strings.Contains(err.Error(), "REDIS_CLUSTER_NODES") {
			t.Errorf("%q: want an error naming REDIS_CLUSTER_NODES, got %v", bad, err)
		}
	}
}
