# shellcheck shell=bash
# Kafka for infra/local under TOPOLOGY=cluster: three KRaft nodes (each broker and controller,
# one quorum of three voters) from the same jars as kafka.sh, brokers on KAFKA_CLUSTER_PORT
# .. +2 and their controllers on +3 .. +5. Topics get replication factor 3 and
# min.insync.replicas=2 by the brokers' defaults, so an acks=all write is on two brokers before
# it is acknowledged and one broker can die. Sourced by lib.sh after kafka.sh: it replaces the
# kafka_* steps that differ (jar fetch, JVM flags and packages are shared).

KAFKA_CLUSTER_SIZE=3

kafka_env() {
  KAFKA_CLUSTER_PORT=${KAFKA_CLUSTER_PORT:-9192}
  KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}
  KAFKA_STATE_DIR=$FLASH_STATE_DIR/kafka-cluster
  KAFKA_CLUSTER_ID_FILE=$KAFKA_STATE_DIR/cluster-id
  KAFKA_CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/flash-deal/kafka-$KAFKA_VERSION
  KAFKA_LIBS=$KAFKA_CACHE_DIR/libs
  KAFKA_LOG4J=$FLASH_KAFKA_CONF_DIR/log4j.properties
  KAFKA_TEMPLATE=$FLASH_KAFKA_CONF_DIR/server-cluster.properties.tmpl
}

kafka_port_vars() { echo KAFKA_CLUSTER_PORT; }
kafka_port() { printf '%s' "$KAFKA_CLUSTER_PORT"; }
kafka_check_env() {
  (( KAFKA_CLUSTER_PORT + 2 * KAFKA_CLUSTER_SIZE - 1 <= 65535 )) || die "KAFKA_CLUSTER_PORT leaves no room for three brokers"
}

kafka_nodes() { seq 1 "$KAFKA_CLUSTER_SIZE"; }
kafka_broker_port() { printf '%s' $((KAFKA_CLUSTER_PORT + $1 - 1)); }
kafka_controller_port() { printf '%s' $((KAFKA_CLUSTER_PORT + KAFKA_CLUSTER_SIZE + $1 - 1)); }

# Node n's paths: KAFKA_PROPS, KAFKA_DATA_DIR, KAFKA_LOG_DIR (kafka_java_opts reads it), ...
kafka_select_node() {
  local dir=$KAFKA_STATE_DIR/$1
  KAFKA_PROPS=$dir/server.properties
  KAFKA_DATA_DIR=$dir/data
  KAFKA_LOG_DIR=$dir/logs
  KAFKA_OUT=$KAFKA_LOG_DIR/kafka.out
  KAFKA_PIDFILE=$STATE_RUN_DIR/kafka-cluster-$1.pid
}

kafka_voters() {
  local n voters=()
  for n in $(kafka_nodes); do voters+=("$n@127.0.0.1:$(kafka_controller_port "$n")"); done
  local IFS=,
  printf '%s' "${voters[*]}"
}

kafka_write_node_props() {
  local n=$1 text
  text=$(<"$KAFKA_TEMPLATE")
  text=${text//@NODE_ID@/"$n"}
  text=${text//@KAFKA_VOTERS@/"$(kafka_voters)"}
  text=${text//@KAFKA_PORT@/"$(kafka_broker_port "$n")"}
  text=${text//@KAFKA_CONTROLLER_PORT@/"$(kafka_controller_port "$n")"}
  text=${text//@KAFKA_DATA_DIR@/"$KAFKA_DATA_DIR"}
  if [[ $text == *@[A-Z_]*@* ]]; then die "kafka: unknown placeholder left in $KAFKA_TEMPLATE"; fi
  printf '%s\n' "$text" >"$KAFKA_PROPS"
}

kafka_cluster_id() {
  if [[ ! -s $KAFKA_CLUSTER_ID_FILE ]]; then
    local id
    mkdir -p "$KAFKA_STATE_DIR"
    id=$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: unexpected cluster id '$id'"
    printf '%s\n' "$id" >"$KAFKA_CLUSTER_ID_FILE"
  fi
  cat "$KAFKA_CLUSTER_ID_FILE"
}

# Every node's properties; storage formatted once per node, all with one cluster id.
kafka_prepare() {
  kafka_fetch_jars
  local n id
  for n in $(kafka_nodes); do
    kafka_select_node "$n"
    mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOG_DIR"
    kafka_write_node_props "$n"
    kafka_java_opts
    [[ -f $KAFKA_DATA_DIR/meta.properties ]] && continue
    id=$(kafka_cluster_id)
    say "kafka: formatting node $n's storage (cluster id $id)"
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$id" -c "$KAFKA_PROPS" >>"$KAFKA_LOG_DIR/format.log" 2>&1 ||
      { show_log_tail "$KAFKA_LOG_DIR/format.log"; die "kafka: StorageTool format failed on node $n"; }
  done
}

# kafka.sh's check (the pid file's JVM runs these properties), for node n.
kafka_node_pid() {
  kafka_select_node "$1"
  kafka_pid
}

# Starts the nodes that do not run (all on a fresh start; the killed one after a fault test).
kafka_start() {
  say "kafka: starting $KAFKA_CLUSTER_SIZE brokers on 127.0.0.1:$KAFKA_CLUSTER_PORT-$(kafka_broker_port "$KAFKA_CLUSTER_SIZE") (controllers $(kafka_controller_port 1)-$(kafka_controller_port "$KAFKA_CLUSTER_SIZE"))"
  local n
  for n in $(kafka_nodes); do
    kafka_node_pid "$n" >/dev/null && continue
    kafka_select_node "$n"
    kafka_java_opts
    kafka_launch
  done
}

# kafka.sh's launch of one JVM (pid file, new session), for the node selected.
kafka_launch() {
  [[ -f $KAFKA_OUT ]] && mv -f "$KAFKA_OUT" "$KAFKA_OUT.prev"
  rm -f "$KAFKA_PIDFILE"
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'printf "%s\n" "$$" >"$1"; shift; exec "$@"' flash-kafka "$KAFKA_PIDFILE" \
    "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_PROPS" </dev/null >"$KAFKA_OUT" 2>&1 {FLASH_STATE_LOCK_FD}>&- &
  disown 2>/dev/null || true
}

kafka_wait() {
  local deadline=$((SECONDS + INFRA_TIMEOUT_SECONDS * 2)) n
  for n in $(kafka_nodes); do
    kafka_select_node "$n"
    until grep -q 'Kafka Server started' "$KAFKA_OUT" 2>/dev/null && port_accepts "$(kafka_broker_port "$n")"; do
      if (( SECONDS >= deadline )) || ! { sleep 0.5; kafka_node_pid "$n" >/dev/null; }; then
        show_log_tail "$KAFKA_OUT"
        die "kafka: broker $n not ready on 127.0.0.1:$(kafka_broker_port "$n")"
      fi
    done
  done
}

# All brokers are signalled first, so their shutdowns overlap.
kafka_stop() {
  local n pid
  local -a stopping=()
  for n in $(kafka_nodes); do
    kafka_select_node "$n"
    pid=$(kafka_pid) || { rm -f "$KAFKA_PIDFILE"; continue; }
    say "kafka: stopping broker $n (pid $pid; controlled shutdown)"
    kill -TERM "$pid" 2>/dev/null || true
    stopping+=("$pid")
  done
  for pid in "${stopping[@]}"; do await_exit_or_kill kafka "$pid"; done
  rm -f "$STATE_RUN_DIR"/kafka-cluster-*.pid
}

# Running when every broker runs: "pid-of-the-first port-of-the-first".
kafka_running() {
  local n first
  for n in $(kafka_nodes); do kafka_node_pid "$n" >/dev/null || return 1; done
  first=$(kafka_node_pid 1)
  printf '%s %s' "$first" "$KAFKA_CLUSTER_PORT"
}

kafka_purge() { rm -rf "$KAFKA_STATE_DIR"; }

kafka_claim_ports() {
  local n
  for n in $(kafka_nodes); do
    kafka_node_pid "$n" >/dev/null && continue
    require_free_port "$(kafka_broker_port "$n")" kafka
    require_free_port "$(kafka_controller_port "$n")" kafka-controller
  done
}
