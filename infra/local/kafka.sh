# shellcheck shell=bash
# Kafka for infra/local: a single-node KRaft broker (broker and controller in one JVM) from the
# kafka_2.13 jars on Maven Central, run with the machine's java. Sourced by lib.sh; the piece's
# steps are the kafka_* functions named in its dispatch.

FLASH_KAFKA_CONF_DIR=$FLASH_REPO_ROOT/infra/kafka
KAFKA_VERSION=3.9.1

kafka_env() {
  KAFKA_PORT=${KAFKA_PORT:-9092}
  KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
  KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
  KAFKA_STATE_DIR=$FLASH_STATE_DIR/kafka
  KAFKA_DATA_DIR=$KAFKA_STATE_DIR/data
  KAFKA_LOG_DIR=$KAFKA_STATE_DIR/logs
  KAFKA_OUT=$KAFKA_LOG_DIR/kafka.out
  KAFKA_PROPS=$KAFKA_STATE_DIR/server.properties
  KAFKA_CLUSTER_ID_FILE=$KAFKA_STATE_DIR/cluster-id
  KAFKA_PIDFILE=$STATE_RUN_DIR/kafka.pid
  KAFKA_CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/flash-deal/kafka-$KAFKA_VERSION
  KAFKA_LIBS=$KAFKA_CACHE_DIR/libs
  KAFKA_LOG4J=$FLASH_KAFKA_CONF_DIR/log4j.properties
  KAFKA_TEMPLATE=$FLASH_KAFKA_CONF_DIR/server.properties.tmpl
}

kafka_port_vars() { echo KAFKA_PORT KAFKA_CONTROLLER_PORT; }
kafka_port() { printf '%s' "$KAFKA_PORT"; }
kafka_check_env() {
  [[ $KAFKA_PORT != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
}

kafka_packages() {
  command -v java >/dev/null 2>&1 || echo default-jre-headless
  command -v mvn >/dev/null 2>&1 || echo maven
}

kafka_pid() {
  local pid
  pid=$(read_pidfile "$KAFKA_PIDFILE") || return 1
  pid_running "$pid" || return 1
  [[ $(proc_cmdline "$pid") == *kafka.Kafka*"$KAFKA_PROPS"* ]] || return 1
  printf '%s' "$pid"
}

kafka_running_port() {
  sed -n 's/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$KAFKA_PROPS" 2>/dev/null
}

# Copy the broker's runtime jars into the per-user cache once (marker = checksum of the pom).
kafka_fetch_jars() {
  local pom=$FLASH_KAFKA_CONF_DIR/pom.xml marker=$KAFKA_LIBS/.complete sum
  sum=$(sha256sum "$pom" | cut -d' ' -f1)
  if [[ -f $marker && $(<"$marker") == "$sum" ]]; then return 0; fi

  mkdir -p "$KAFKA_CACHE_DIR"
  local lock_fd
  if command -v flock >/dev/null 2>&1; then
    exec {lock_fd}>"$KAFKA_CACHE_DIR/.lock"
    flock -w 900 "$lock_fd" || die "kafka: timed out waiting for $KAFKA_CACHE_DIR/.lock"
    # Another instance may have finished the download while we waited.
    if [[ -f $marker && $(<"$marker") == "$sum" ]]; then
      exec {lock_fd}>&-
      return 0
    fi
  fi

  local t0 tmp log=$KAFKA_CACHE_DIR/mvn.log
  t0=$(now)
  say "kafka: fetching Kafka $KAFKA_VERSION jars with Maven into $KAFKA_LIBS (first run only)"
  tmp=$(mktemp -d "$KAFKA_CACHE_DIR/libs.tmp.XXXXXX")
  if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$tmp" >"$log" 2>&1; then
    rm -rf "$tmp"
    show_log_tail "$log" 40
    die "kafka: Maven could not fetch the broker jars (see $log)"
  fi
  local jar
  for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-server-common-$KAFKA_VERSION.jar" \
    slf4j-reload4j-1.7.36.jar reload4j-1.2.25.jar; do
    [[ -f $tmp/$jar ]] || {
      rm -rf "$tmp"
      die "kafka: $jar missing after the Maven copy"
    }
  done
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  printf '%s\n' "$sum" >"$marker"
  say "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars ready in $(elapsed_since "$t0")s"
  if [[ -n ${lock_fd:-} ]]; then exec {lock_fd}>&-; fi
}

kafka_java_opts() {
  local -a heap
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  KAFKA_JAVA=(java "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    "-Dkafka.logs.dir=$KAFKA_LOG_DIR" "-Dlog4j.configuration=file:$KAFKA_LOG4J"
    -cp "$KAFKA_LIBS/*")
}

kafka_write_props() {
  local text
  text=$(<"$KAFKA_TEMPLATE")
  text=${text//@KAFKA_PORT@/"$KAFKA_PORT"}
  text=${text//@KAFKA_CONTROLLER_PORT@/"$KAFKA_CONTROLLER_PORT"}
  text=${text//@KAFKA_DATA_DIR@/"$KAFKA_DATA_DIR"}
  if [[ $text == *@KAFKA_*@* ]]; then die "kafka: unknown placeholder left in $KAFKA_TEMPLATE"; fi
  printf '%s\n' "$text" >"$KAFKA_PROPS"
}

# Format the KRaft storage once; the cluster id is kept in the state dir.
kafka_init() {
  mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOG_DIR"
  kafka_write_props
  kafka_java_opts
  [[ -f $KAFKA_DATA_DIR/meta.properties ]] && return 0

  local id log=$KAFKA_LOG_DIR/format.log
  if [[ -s $KAFKA_CLUSTER_ID_FILE ]]; then
    id=$(<"$KAFKA_CLUSTER_ID_FILE")
  else
    id=$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>"$log" | tail -n 1) ||
      { show_log_tail "$log"; die "kafka: StorageTool random-uuid failed"; }
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: unexpected cluster id '$id'"
    printf '%s\n' "$id" >"$KAFKA_CLUSTER_ID_FILE"
  fi
  say "kafka: formatting storage in $KAFKA_DATA_DIR (cluster id $id)"
  if ! "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$id" -c "$KAFKA_PROPS" >>"$log" 2>&1; then
    show_log_tail "$log"
    die "kafka: StorageTool format failed"
  fi
}

kafka_start() {
  [[ -f $KAFKA_OUT ]] && mv -f "$KAFKA_OUT" "$KAFKA_OUT.prev"
  rm -f "$KAFKA_PIDFILE"
  say "kafka: starting on 127.0.0.1:$KAFKA_PORT (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT, data $KAFKA_DATA_DIR)"
  # New session, no terminal, output to a file: survives this script. The inner shell writes
  # its own pid and execs java, so the pid file holds the JVM's pid.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c 'printf "%s\n" "$$" >"$1"; shift; exec "$@"' flash-kafka "$KAFKA_PIDFILE" \
    "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_PROPS" </dev/null >"$KAFKA_OUT" 2>&1 {FLASH_STATE_LOCK_FD}>&- &
  disown 2>/dev/null || true
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s $KAFKA_PIDFILE ]] && return 0
    sleep 0.1
  done
  die "kafka: the JVM did not start (no pid file at $KAFKA_PIDFILE)"
}

kafka_wait() {
  local deadline=$((SECONDS + INFRA_TIMEOUT_SECONDS))
  while :; do
    if grep -q 'Kafka Server started' "$KAFKA_OUT" 2>/dev/null && port_accepts "$KAFKA_PORT"; then
      return 0
    fi
    if ! kafka_pid >/dev/null; then
      show_log_tail "$KAFKA_OUT"
      die "kafka: the broker exited during start-up (127.0.0.1:$KAFKA_PORT)"
    fi
    if (( SECONDS >= deadline )); then
      show_log_tail "$KAFKA_OUT"
      die "kafka: not ready on 127.0.0.1:$KAFKA_PORT within ${INFRA_TIMEOUT_SECONDS}s"
    fi
    sleep 0.3
  done
}

kafka_stop() {
  local pid
  if ! pid=$(kafka_pid); then
    say "kafka: not running"
    rm -f "$KAFKA_PIDFILE"
    return 0
  fi
  say "kafka: stopping (pid $pid; controlled shutdown)"
  kill -TERM "$pid" 2>/dev/null || true
  await_exit_or_kill kafka "$pid"
  rm -f "$KAFKA_PIDFILE"
}

kafka_prepare() {
  kafka_fetch_jars
  kafka_init
}

kafka_running() {
  local pid port
  pid=$(kafka_pid) || return 1
  port=$(kafka_running_port)
  printf '%s %s' "$pid" "${port:-?}"
}

kafka_purge() { rm -rf "$KAFKA_STATE_DIR"; }

kafka_claim_ports() {
  require_free_port "$KAFKA_PORT" kafka
  require_free_port "$KAFKA_CONTROLLER_PORT" kafka-controller
}
