# shellcheck shell=bash
# Redis for infra/local under TOPOLOGY=cluster: a Redis Cluster of 3 primaries + 3 replicas, six
# daemonised redis-server processes on REDIS_CLUSTER_PORT .. REDIS_CLUSTER_PORT+5 (AOF on, as in
# redis.sh; their cluster bus 100 above each, not Redis's +10000, which lands in the kernel's
# ephemeral range), joined once by `redis-cli --cluster create --cluster-replicas 1`. Sourced by lib.sh
# after redis.sh: it replaces the redis_* steps that differ (the package steps are shared).

REDIS_CLUSTER_SIZE=6

redis_env() {
  REDIS_CLUSTER_PORT=${REDIS_CLUSTER_PORT:-7000}
  REDIS_CLUSTER_NODE_TIMEOUT_MS=${REDIS_CLUSTER_NODE_TIMEOUT_MS:-2000}
  REDIS_DIR=$FLASH_STATE_DIR/redis-cluster
  REDIS_LOG=$STATE_LOG_DIR/redis-cluster.log
}

redis_port_vars() { echo REDIS_CLUSTER_PORT; }
redis_port() { printf '%s' "$REDIS_CLUSTER_PORT"; }
redis_check_env() {
  (( REDIS_CLUSTER_PORT + REDIS_CLUSTER_SIZE - 1 <= 65535 )) || die "REDIS_CLUSTER_PORT leaves no room for six nodes"
}

# The nodes' ports, in order: the first three become primaries, the rest their replicas.
redis_cluster_ports() { seq "$REDIS_CLUSTER_PORT" $((REDIS_CLUSTER_PORT + REDIS_CLUSTER_SIZE - 1)); }
redis_node_pidfile() { printf '%s/redis-cluster-%s.pid' "$STATE_RUN_DIR" "$1"; }

redis_node_pid() {
  local pid
  pid=$(read_pidfile "$(redis_node_pidfile "$1")") || return 1
  pid_running "$pid" && [[ $(proc_comm "$pid") == redis-server* ]] || return 1
  printf '%s' "$pid"
}

# One node; a node killed by a fault test is started again by the same call.
redis_start_node() {
  local port=$1 dir=$REDIS_DIR/$1 err
  mkdir -p "$dir"
  rm -f "$(redis_node_pidfile "$port")"
  if ! err=$(redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-port $((port + 100)) \
    --cluster-node-timeout "$REDIS_CLUSTER_NODE_TIMEOUT_MS" \
    --appendonly yes --appendfsync everysec --save '' \
    --daemonize yes --pidfile "$(redis_node_pidfile "$port")" --logfile "$dir/redis.log" \
    2>&1 >/dev/null {FLASH_STATE_LOCK_FD}>&-); then
    show_log_tail "$dir/redis.log"
    die "redis: cluster node $port failed to start${err:+: $err}"
  fi
}

redis_start() {
  say "redis: starting a cluster of $REDIS_CLUSTER_SIZE nodes on 127.0.0.1:$REDIS_CLUSTER_PORT-$((REDIS_CLUSTER_PORT + REDIS_CLUSTER_SIZE - 1)) (data $REDIS_DIR, AOF everysec)"
  local port
  for port in $(redis_cluster_ports); do
    redis_node_pid "$port" >/dev/null || redis_start_node "$port"
  done
}

redis_cli_on() { redis-cli -h 127.0.0.1 -p "$@" 2>/dev/null; }
redis_cluster_field() { redis_cli_on "$1" cluster info | tr -d '\r' | sed -n "s/^$2://p"; }

# Every node answers, the cluster is formed (once, on a fresh state dir) and says `ok`.
redis_wait() {
  local deadline=$((SECONDS + INFRA_TIMEOUT_SECONDS)) port
  for port in $(redis_cluster_ports); do
    until [[ $(redis_cli_on "$port" ping) == PONG ]]; do
      (( SECONDS < deadline )) || die "redis: cluster node $port not answering within ${INFRA_TIMEOUT_SECONDS}s"
      sleep 0.2
    done
  done
  if [[ $(redis_cluster_field "$REDIS_CLUSTER_PORT" cluster_known_nodes) == 1 ]]; then
    local -a addresses=()
    for port in $(redis_cluster_ports); do addresses+=("127.0.0.1:$port"); done
    say "redis: creating the cluster (3 primaries, 1 replica each)"
    redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >>"$REDIS_LOG" 2>&1 ||
      { show_log_tail "$REDIS_LOG"; die "redis: redis-cli --cluster create failed"; }
  fi
  for port in $(redis_cluster_ports); do
    until [[ $(redis_cluster_field "$port" cluster_state) == ok ]] && redis_replicated "$port"; do
      (( SECONDS < deadline )) || die "redis: cluster not ok (or a primary without its replica) on node $port within ${INFRA_TIMEOUT_SECONDS}s"
      sleep 0.2
    done
  done
}

# A replica, or a primary whose replica is online: the gateway's WAIT 1 can be answered.
redis_replicated() {
  local info
  info=$(redis_cli_on "$1" info replication | tr -d '\r')
  [[ $info == *role:slave* || $info == *slave0:*state=online* ]]
}

redis_stop() {
  local port pid
  for port in $(redis_cluster_ports); do
    pid=$(redis_node_pid "$port") || { rm -f "$(redis_node_pidfile "$port")"; continue; }
    say "redis: stopping cluster node $port (pid $pid)"
    redis_cli_on "$port" shutdown >/dev/null || kill -TERM "$pid" 2>/dev/null || true
    await_exit_or_kill redis "$pid"
    rm -f "$(redis_node_pidfile "$port")"
  done
}

# Running when every node runs: "pid-of-the-first port-of-the-first".
redis_running() {
  local port first=
  for port in $(redis_cluster_ports); do
    redis_node_pid "$port" >/dev/null || return 1
  done
  first=$(redis_node_pid "$REDIS_CLUSTER_PORT")
  printf '%s %s' "$first" "$REDIS_CLUSTER_PORT"
}

redis_purge() { rm -rf "$REDIS_DIR" "$REDIS_LOG"; }

redis_claim_ports() {
  local port
  for port in $(redis_cluster_ports); do
    redis_node_pid "$port" >/dev/null && continue
    require_free_port "$port" redis
    require_free_port $((port + 100)) redis-cluster-bus
  done
}
