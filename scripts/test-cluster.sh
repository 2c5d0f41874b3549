#!/usr/bin/env bash
# `make test-cluster`: the purchase path on the cluster topology (TOPOLOGY=cluster), against real
# servers this script starts and stops itself: a Redis Cluster of 3 primaries + 3 replicas, three
# Kafka brokers (replication factor 3, min.insync.replicas=2) and its own Postgres, state in
# .state/test-cluster. Then the system tests of tests/system/cluster: a purchase spike with the
# full accounting, the Redis primary owning the hot deal's slot killed mid-spike, and one Kafka
# broker killed mid-spike.
#
# Ports (TEST_PORT_OFFSET=N, 0-9, moves each by 10*N; system-test services by 200*N): Redis
# 27000-27005 (cluster bus +100), Kafka brokers 28000-28002 and controllers 28003-28005,
# Postgres 28500, the services 19240-19249. All below the kernel's ephemeral port range.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# shellcheck source=scripts/test-offset.sh
source scripts/test-offset.sh
export TOPOLOGY=cluster
export FLASH_STATE_DIR="$root/.state/test-cluster"
export PGPORT="$(port 28500)" PGUSER=flashdeal PGPASSWORD=flashdeal PGDATABASE=flashdeal
export REDIS_CLUSTER_PORT="$(port 27000)" KAFKA_CLUSTER_PORT="$(port 28000)"
export DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@127.0.0.1:$PGPORT/$PGDATABASE"
export REDIS_CLUSTER_NODES="127.0.0.1:$REDIS_CLUSTER_PORT,127.0.0.1:$((REDIS_CLUSTER_PORT + 1)),127.0.0.1:$((REDIS_CLUSTER_PORT + 2))"
export REDIS_URL="redis://127.0.0.1:$REDIS_CLUSTER_PORT" # unused while REDIS_CLUSTER_NODES is set
export KAFKA_BROKERS="127.0.0.1:$KAFKA_CLUSTER_PORT,127.0.0.1:$((KAFKA_CLUSTER_PORT + 1)),127.0.0.1:$((KAFKA_CLUSTER_PORT + 2))"
export SYSTEM_TEST_PORT_BASE=$((19080 + 200 * offset + 160))
export INTERNAL_AUTH_SECRET="test-internal-auth-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export LOG_LEVEL="${LOG_LEVEL:-warn}"

cleanup() {
  local code=$?
  bash infra/local/down.sh >/dev/null 2>&1 || bash infra/local/down.sh || true
  printf '\n==> make test-cluster %s in %ss\n' "$([[ $code -eq 0 ]] && echo passed || echo FAILED)" "$((SECONDS - started))"
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "cluster infrastructure: Postgres :$PGPORT, Redis Cluster :$REDIS_CLUSTER_PORT-$((REDIS_CLUSTER_PORT + 5)), Kafka :$KAFKA_CLUSTER_PORT-$((KAFKA_CLUSTER_PORT + 2))"
bash infra/local/up.sh

step "fresh database and topics (replication factor 3, min.insync.replicas 2)"
fresh_database
bun services/order/src/cli/create-topics.ts

step "system tests on the cluster (spike, Redis primary killed, Kafka broker killed)"
bun test --timeout 240000 ./tests/system/cluster/cluster.cluster.ts
