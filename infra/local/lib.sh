# shellcheck shell=bash
# Shared helpers for infra/local/{up,down,status}.sh: real PostgreSQL, Redis and Kafka on
# 127.0.0.1 without Docker. Sourced, never executed. Every path derives from this file's location
# and from FLASH_STATE_DIR, so several independent instances (dev, test) can run side by side.

FLASH_LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLASH_REPO_ROOT=$(cd "$FLASH_LOCAL_DIR/../.." && pwd)
FLASH_KAFKA_CONF_DIR=$FLASH_REPO_ROOT/infra/kafka
FLASH_ALL_PIECES=(postgres redis kafka)
KAFKA_VERSION=3.9.1

# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

FLASH_PROG=${FLASH_PROG:-infra}

say() { printf '==> %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$FLASH_PROG" "$*" >&2; }
die() {
  printf '%s: %s\n' "$FLASH_PROG" "$*" >&2
  exit 1
}

# Print the last lines of a log file to stderr, indented, after a failure.
show_log_tail() {
  local file=$1 lines=${2:-30}
  if [[ -r $file ]]; then
    printf '%s: last %s lines of %s:\n' "$FLASH_PROG" "$lines" "$file" >&2
    tail -n "$lines" "$file" | sed 's/^/    /' >&2
  else
    printf '%s: (no log at %s)\n' "$FLASH_PROG" "$file" >&2
  fi
}

# Seconds since the epoch with decimals, and elapsed seconds since a start value.
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s)}"; }
elapsed_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

# ---------------------------------------------------------------------------------------------
# Environment and layout
# ---------------------------------------------------------------------------------------------

flash_init_env() {
  FLASH_STATE_DIR=${FLASH_STATE_DIR:-$FLASH_REPO_ROOT/.state/dev}
  case $FLASH_STATE_DIR in
    /*) ;;
    *) FLASH_STATE_DIR=$PWD/$FLASH_STATE_DIR ;;
  esac
  while [[ $FLASH_STATE_DIR == */ && $FLASH_STATE_DIR != / ]]; do
    FLASH_STATE_DIR=${FLASH_STATE_DIR%/}
  done
  # The path ends up inside pg_ctl's shell command line and in Java properties: keep it plain.
  if [[ $FLASH_STATE_DIR == / || $FLASH_STATE_DIR =~ [[:space:]\'\"\\] ]]; then
    die "FLASH_STATE_DIR must be a directory path without spaces, quotes or backslashes (got '$FLASH_STATE_DIR')"
  fi

  PGPORT=${PGPORT:-5432}
  PGUSER=${PGUSER:-flashdeal}
  PGPASSWORD=${PGPASSWORD:-flashdeal}
  PGDATABASE=${PGDATABASE:-flashdeal}
  REDIS_PORT=${REDIS_PORT:-6379}
  KAFKA_PORT=${KAFKA_PORT:-9092}
  KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
  KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
  INFRA_TIMEOUT_SECONDS=${INFRA_TIMEOUT_SECONDS:-60}

  local name
  for name in PGPORT REDIS_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT; do
    if ! [[ ${!name} =~ ^[0-9]{1,5}$ ]] || (( ${!name} < 1 || ${!name} > 65535 )); then
      die "$name must be a TCP port number (got '${!name}')"
    fi
  done
  [[ $INFRA_TIMEOUT_SECONDS =~ ^[0-9]+$ ]] || die "INFRA_TIMEOUT_SECONDS must be a number of seconds (got '$INFRA_TIMEOUT_SECONDS')"
  [[ $KAFKA_PORT != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

  STATE_RUN_DIR=$FLASH_STATE_DIR/run
  STATE_LOG_DIR=$FLASH_STATE_DIR/logs
  STATE_MARKER=$FLASH_STATE_DIR/.flash-deal-state

  PG_DATA=$FLASH_STATE_DIR/postgres
  PG_SOCKET_DIR=$STATE_RUN_DIR/postgres
  PG_LOG=$STATE_LOG_DIR/postgres.log
  # Unix socket paths are limited to 107 bytes; fall back to a per-state-dir directory in /tmp.
  if (( ${#PG_SOCKET_DIR} + ${#PGPORT} + 12 > 100 )); then
    PG_SOCKET_DIR=${TMPDIR:-/tmp}/flash-deal-pg-$(printf '%s' "$FLASH_STATE_DIR" | cksum | cut -d' ' -f1)
  fi
  if (( EUID == 0 )); then PG_OS_USER=postgres; else PG_OS_USER=$(id -un); fi
  PG_SUPERUSER=$PG_OS_USER
  # A state dir the postgres OS user cannot traverse (a checkout under root's 0700 home) keeps
  # Postgres's files outside it, in that user's own home; `postgres` is then a symlink to the
  # data directory there (see pg_relocate), which records the choice for every later run.
  PG_OUTSIDE=
  if [[ -L $PG_DATA ]]; then
    PG_DATA=$(readlink -f "$PG_DATA")
    PG_OUTSIDE=$(dirname "$PG_DATA")
    PG_LOG=$PG_OUTSIDE/postgres.log
    PG_SOCKET_DIR=$PG_OUTSIDE/run
  fi

  REDIS_DIR=$FLASH_STATE_DIR/redis
  REDIS_PIDFILE=$STATE_RUN_DIR/redis.pid
  REDIS_LOG=$STATE_LOG_DIR/redis.log

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

# Validate piece names given on the command line into PIECES, once each and in start order
# (postgres, redis, kafka); all of them when none is given.
parse_pieces() {
  local p k
  local -A wanted=()
  for p in "$@"; do
    [[ " ${FLASH_ALL_PIECES[*]} " == *" $p "* ]] || die "unknown piece '$p' (expected: ${FLASH_ALL_PIECES[*]})"
    wanted[$p]=1
  done
  PIECES=()
  for k in "${FLASH_ALL_PIECES[@]}"; do
    if (( $# == 0 )) || [[ -n ${wanted[$k]:-} ]]; then PIECES+=("$k"); fi
  done
}

# Serialise up/down on one state dir (two up.sh runs on the same dir would race).
# Every server launch closes this descriptor ({FLASH_STATE_LOCK_FD}>&-): a daemon inheriting it
# would hold the lock for its whole life.
FLASH_STATE_LOCK_FD=
lock_state_dir() {
  mkdir -p "$FLASH_STATE_DIR"
  exec {FLASH_STATE_LOCK_FD}>"$FLASH_STATE_DIR/.lock"
  command -v flock >/dev/null 2>&1 || return 0
  if ! flock -w "$INFRA_TIMEOUT_SECONDS" "$FLASH_STATE_LOCK_FD"; then
    die "another up/down is holding $FLASH_STATE_DIR/.lock"
  fi
}

prepare_state_dir() {
  mkdir -p "$FLASH_STATE_DIR" "$STATE_RUN_DIR" "$STATE_LOG_DIR"
  # The postgres OS user must traverse these.
  chmod 755 "$FLASH_STATE_DIR" "$STATE_RUN_DIR" "$STATE_LOG_DIR"
  [[ -f $STATE_MARKER ]] || printf 'flash-deal local infrastructure state (infra/local/up.sh)\n' >"$STATE_MARKER"
}

# ---------------------------------------------------------------------------------------------
# Processes and ports
# ---------------------------------------------------------------------------------------------

# True when the pid exists and is not a zombie.
pid_running() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

proc_comm() { cat "/proc/$1/comm" 2>/dev/null || true; }
proc_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# First line of a pid file, when it is a number.
read_pidfile() {
  local file=$1 pid=
  [[ -r $file ]] || return 1
  read -r pid <"$file" || true
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  printf '%s' "$pid"
}

# Wait until a pid is gone; returns non-zero after the given number of seconds.
wait_pid_exit() {
  local pid=$1 timeout=$2 deadline
  deadline=$((SECONDS + timeout))
  while pid_running "$pid"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

# Waits for a stopping process; past the timeout it is killed, since a stuck server must not
# block the next start.
await_exit_or_kill() {
  local piece=$1 pid=$2
  if ! wait_pid_exit "$pid" "$INFRA_TIMEOUT_SECONDS"; then
    warn "$piece: pid $pid still running after ${INFRA_TIMEOUT_SECONDS}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" 10 || die "$piece: could not stop pid $pid"
  fi
}

# True when something accepts TCP connections on 127.0.0.1:port.
port_accepts() {
  # shellcheck disable=SC2016 # $1 belongs to the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# Who listens on a TCP port (any local address); empty when nobody does.
port_listener() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$port" 2>/dev/null | head -n 1 | awk '{
      who = ""
      if (match($0, /users:\(\("[^"]*",pid=[0-9]+/)) {
        split(substr($0, RSTART + 9, RLENGTH - 9), f, /",pid=/)
        who = f[1] " pid " f[2] " on "
      }
      print who $4
    }'
  elif port_accepts "$port"; then
    printf '127.0.0.1:%s\n' "$port"
  fi
}

# Fail when a port we are about to bind is taken (called only when this state dir's process
# for that piece is not running, so whoever holds it is somebody else).
require_free_port() {
  local port=$1 piece=$2 who
  who=$(port_listener "$port")
  if [[ -n $who ]]; then
    printf '%s: port %s (%s) is already in use by another process (%s)\n' \
      "$FLASH_PROG" "$port" "$piece" "$who" >&2
    exit 1
  fi
}

# Run a command as the database OS user (root: via runuser, from a directory it can read).
as_pg() {
  if (( EUID == 0 )); then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    "$@"
  fi
}

# ---------------------------------------------------------------------------------------------
# Packages (Debian)
# ---------------------------------------------------------------------------------------------

pg_bindir() {
  local dir best=
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/initdb && -x $dir/pg_ctl ]] || continue
    best=$(printf '%s\n%s\n' "$best" "$dir" | sed '/^$/d' | sort -V | tail -n 1)
  done
  [[ -n $best ]] || return 1
  printf '%s' "$best"
}

# Packages missing for the given pieces, one per line.
missing_packages() {
  local piece
  for piece in "$@"; do
    case $piece in
      postgres) pg_bindir >/dev/null || echo postgresql ;;
      redis)
        command -v redis-server >/dev/null 2>&1 || echo redis-server
        command -v redis-cli >/dev/null 2>&1 || echo redis-tools
        ;;
      kafka)
        command -v java >/dev/null 2>&1 || echo default-jre-headless
        command -v mvn >/dev/null 2>&1 || echo maven
        ;;
    esac
  done
}

online_pg_clusters() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters -h 2>/dev/null | awk '$4 ~ /^online/ { print $1, $2 }'
}

# Install what is missing (apt-get update once, only then), and stop any system service the
# Debian packages auto-started during this install so it cannot hold the default ports.
ensure_packages() {
  local -a pkgs
  mapfile -t pkgs < <(missing_packages "$@")
  (( ${#pkgs[@]} > 0 )) || return 0

  local -a sudo=()
  if (( EUID != 0 )); then
    command -v sudo >/dev/null 2>&1 || die "missing packages (${pkgs[*]}) and not root: install them first"
    sudo=(sudo)
  fi

  local pg_before redis_before
  pg_before=$(online_pg_clusters)
  redis_before=$(pgrep -x redis-server 2>/dev/null || true)

  local t0
  t0=$(now)
  say "packages: installing ${pkgs[*]} (apt)"
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${pkgs[@]}" >/dev/null ||
    die "apt-get install ${pkgs[*]} failed"
  say "packages: installed in $(elapsed_since "$t0")s"

  local cluster
  while read -r cluster; do
    [[ -n $cluster ]] || continue
    grep -qxF "$cluster" <<<"$pg_before" && continue
    say "packages: stopping the PostgreSQL cluster the install started ($cluster)"
    # shellcheck disable=SC2086 # "version name"
    "${sudo[@]}" pg_ctlcluster $cluster stop || warn "could not stop cluster $cluster"
  done < <(online_pg_clusters)

  local pid
  for pid in $(pgrep -x redis-server 2>/dev/null || true); do
    grep -qxF "$pid" <<<"$redis_before" && continue
    say "packages: stopping the system redis-server the install started (pid $pid)"
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
      "${sudo[@]}" systemctl stop redis-server.service || true
    fi
    if pid_running "$pid"; then
      "${sudo[@]}" kill -TERM "$pid" 2>/dev/null || true
      wait_pid_exit "$pid" 15 || warn "system redis-server (pid $pid) did not stop"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

# Pid of this state dir's running postmaster.
pg_pid() {
  local pid
  pid=$(read_pidfile "$PG_DATA/postmaster.pid") || return 1
  pid_running "$pid" && [[ $(proc_comm "$pid") == postgres* ]] || return 1
  printf '%s' "$pid"
}

# Port the running postmaster listens on (line 4 of postmaster.pid).
pg_running_port() { sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null; }

# Where the files of a state dir's Postgres go when the postgres OS user cannot traverse the
# state dir: under that user's home (Debian: /var/lib/postgresql), one directory per state dir.
pg_outside_dir() {
  local home
  home=$(getent passwd "$PG_OS_USER" | cut -d: -f6)
  [[ -n $home && -d $home ]] || die "postgres: the '$PG_OS_USER' OS user has no home directory to keep the data in"
  printf '%s/flash-deal/%s' "$home" "$(printf '%s' "$FLASH_STATE_DIR" | cksum | cut -d' ' -f1)"
}

# Run as root with a state dir the postgres OS user cannot reach (a parent is not traversable,
# e.g. a checkout under root's 0700 home): keep data, log and socket outside, and leave a
# symlink at $FLASH_STATE_DIR/postgres so status, down and purge find them. Opening up the
# user's home directory instead is not ours to decide.
pg_relocate() {
  (( EUID == 0 )) || return 0
  [[ -n $PG_OUTSIDE ]] && return 0
  as_pg test -x "$FLASH_STATE_DIR" && return 0
  local outside
  outside=$(pg_outside_dir)
  # An empty data directory left by an earlier failed attempt gives way to the link.
  if [[ -d $PG_DATA && ! -L $PG_DATA ]]; then
    rmdir "$PG_DATA" 2>/dev/null || die "postgres: $PG_DATA is not empty but the '$PG_OS_USER' OS user cannot reach it"
  fi
  say "postgres: the '$PG_OS_USER' OS user cannot traverse $FLASH_STATE_DIR; keeping its files in $outside"
  mkdir -p "$outside/data" "$outside/run"
  chown "$PG_OS_USER" "$outside" "$outside/data" "$outside/run"
  chmod 700 "$outside/data"
  chmod 755 "$outside" "$outside/run"
  printf 'Postgres files of the flash-deal state dir %s (infra/local/up.sh)\n' "$FLASH_STATE_DIR" >"$outside/STATE_DIR"
  ln -sfn "$outside/data" "$PG_DATA"
  PG_DATA=$outside/data
  PG_OUTSIDE=$outside
  PG_LOG=$outside/postgres.log
  PG_SOCKET_DIR=$outside/run
}

# Deletes what pg_relocate put outside the state dir (down.sh --purge).
pg_purge_outside() {
  [[ -n $PG_OUTSIDE && -f $PG_OUTSIDE/STATE_DIR ]] || return 0
  rm -rf "$PG_OUTSIDE"
}

pg_init() {
  PG_BIN=$(pg_bindir) || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
  [[ -f $PG_DATA/PG_VERSION ]] && return 0
  pg_relocate

  say "postgres: initdb into $PG_DATA ($("$PG_BIN/postgres" --version))"
  mkdir -p "$PG_DATA"
  chown "$PG_OS_USER" "$PG_DATA"
  chmod 700 "$PG_DATA"
  if ! as_pg test -w "$PG_DATA"; then
    die "postgres: the '$PG_OS_USER' OS user cannot reach $PG_DATA (a parent directory is not traversable); choose another FLASH_STATE_DIR or chmod o+x its parents"
  fi
  local log=$STATE_LOG_DIR/initdb.log
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" -E UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 >"$log" 2>&1; then
    show_log_tail "$log"
    die "postgres: initdb failed"
  fi
  # Our settings live in their own file, rewritten on every start.
  printf "\n# flash-deal: local settings, rewritten by infra/local/up.sh\ninclude_if_exists = 'flash-deal.conf'\n" |
    as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

pg_write_settings() {
  as_pg tee "$PG_DATA/flash-deal.conf" >/dev/null <<'EOF'
# Written by infra/local/up.sh on every start: edit the script, not this file.
# Sized for a 2-core box running load tests. Port, socket directory and listen address come
# from pg_ctl's -o options. Durability stays on: fsync and full_page_writes are never turned off.
max_connections = 200
shared_buffers = 256MB
effective_cache_size = 1GB
work_mem = 4MB
maintenance_work_mem = 64MB
wal_buffers = 16MB
max_wal_size = 2GB
min_wal_size = 256MB
checkpoint_completion_target = 0.9
random_page_cost = 1.1
max_parallel_workers_per_gather = 1
fsync = on
full_page_writes = on
password_encryption = 'scram-sha-256'
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

pg_start() {
  mkdir -p "$PG_SOCKET_DIR"
  chown "$PG_OS_USER" "$PG_SOCKET_DIR"
  chmod 755 "$PG_SOCKET_DIR"
  touch "$PG_LOG"
  chown "$PG_OS_USER" "$PG_LOG"
  pg_write_settings
  say "postgres: starting on 127.0.0.1:$PGPORT (data $PG_DATA)"
  if ! as_pg "$PG_BIN/pg_ctl" start -W -D "$PG_DATA" -l "$PG_LOG" \
    -o "-p $PGPORT -k '$PG_SOCKET_DIR' -c listen_addresses=127.0.0.1" \
    >/dev/null {FLASH_STATE_LOCK_FD}>&-; then
    show_log_tail "$PG_LOG"
    die "postgres: pg_ctl start failed"
  fi
}

pg_wait() {
  local deadline=$((SECONDS + INFRA_TIMEOUT_SECONDS)) started=$SECONDS
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -t 1; do
    # postmaster.pid appears a moment after pg_ctl returns: give it two seconds.
    if (( SECONDS - started > 2 )) && ! pg_pid >/dev/null; then
      show_log_tail "$PG_LOG"
      die "postgres: the server exited during start-up (127.0.0.1:$PGPORT)"
    fi
    if (( SECONDS >= deadline )); then
      show_log_tail "$PG_LOG"
      die "postgres: not ready on 127.0.0.1:$PGPORT within ${INFRA_TIMEOUT_SECONDS}s"
    fi
    sleep 0.2
  done
}

# Role and database for the application (idempotent; the password follows PGPASSWORD).
pg_provision() {
  local port
  port=$(pg_running_port)
  port=${port:-$PGPORT}
  if ! as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$port" \
    -U "$PG_SUPERUSER" -d postgres \
    -v app_user="$PGUSER" -v app_password="$PGPASSWORD" -v app_db="$PGDATABASE" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB PASSWORD %L', :'app_user', :'app_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db') \gexec
SQL
  then
    die "postgres: could not create role '$PGUSER' / database '$PGDATABASE'"
  fi
  # Prove the application's path: TCP, password auth.
  if ! PGPASSWORD=$PGPASSWORD "$PG_BIN/psql" -X -q -w -h 127.0.0.1 -p "$port" -U "$PGUSER" \
    -d "$PGDATABASE" -c 'SELECT 1' >/dev/null; then
    die "postgres: password login as '$PGUSER' to '$PGDATABASE' over 127.0.0.1:$port failed"
  fi
}

pg_stop() {
  local pid
  if ! pid=$(pg_pid); then
    say "postgres: not running"
    return 0
  fi
  PG_BIN=$(pg_bindir) || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
  say "postgres: stopping (pid $pid)"
  if ! as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -t "$INFRA_TIMEOUT_SECONDS" >/dev/null; then
    warn "postgres: fast shutdown did not finish in ${INFRA_TIMEOUT_SECONDS}s, trying immediate"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -t 30 >/dev/null ||
      die "postgres: could not stop pid $pid"
  fi
}

# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------

redis_pid() {
  local pid
  pid=$(read_pidfile "$REDIS_PIDFILE") || return 1
  pid_running "$pid" && [[ $(proc_comm "$pid") == redis-server* ]] || return 1
  printf '%s' "$pid"
}

# Port from the process title ("redis-server 127.0.0.1:6379").
redis_running_port() {
  proc_cmdline "$1" | sed -n 's/.*:\([0-9][0-9]*\).*/\1/p' | head -n 1
}

redis_start() {
  mkdir -p "$REDIS_DIR"
  rm -f "$REDIS_PIDFILE"
  say "redis: starting on 127.0.0.1:$REDIS_PORT (data $REDIS_DIR, AOF everysec)"
  local err
  # Errors before the log file opens (bad options) arrive on stderr.
  if ! err=$(redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" \
    --appendonly yes --appendfsync everysec --save '' \
    --daemonize yes --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" 2>&1 >/dev/null {FLASH_STATE_LOCK_FD}>&-); then
    show_log_tail "$REDIS_LOG"
    die "redis: redis-server failed to start${err:+: $err}"
  fi
}

redis_wait() {
  local deadline=$((SECONDS + INFRA_TIMEOUT_SECONDS)) started=$SECONDS reply
  while :; do
    reply=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)
    [[ $reply == PONG ]] && return 0
    if (( SECONDS - started > 2 )) && ! redis_pid >/dev/null; then
      show_log_tail "$REDIS_LOG"
      die "redis: the server exited during start-up (127.0.0.1:$REDIS_PORT)"
    fi
    if (( SECONDS >= deadline )); then
      show_log_tail "$REDIS_LOG"
      die "redis: not ready on 127.0.0.1:$REDIS_PORT within ${INFRA_TIMEOUT_SECONDS}s (last reply: ${reply:-none})"
    fi
    sleep 0.2
  done
}

redis_stop() {
  local pid port
  if ! pid=$(redis_pid); then
    say "redis: not running"
    rm -f "$REDIS_PIDFILE"
    return 0
  fi
  port=$(redis_running_port "$pid")
  say "redis: stopping (pid $pid)"
  # SHUTDOWN fsyncs the AOF; SIGTERM takes the same path when the client cannot reach it.
  redis-cli -h 127.0.0.1 -p "${port:-$REDIS_PORT}" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  await_exit_or_kill redis "$pid"
  rm -f "$REDIS_PIDFILE"
}

# ---------------------------------------------------------------------------------------------
# Kafka (KRaft, single node, jars from Maven Central)
# ---------------------------------------------------------------------------------------------

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

# ---------------------------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------------------------

# Prints "<pid> <port>" for a running piece; fails when it is stopped.
piece_running() {
  local pid port
  case $1 in
    postgres) pid=$(pg_pid) || return 1; port=$(pg_running_port) ;;
    redis) pid=$(redis_pid) || return 1; port=$(redis_running_port "$pid") ;;
    kafka) pid=$(kafka_pid) || return 1; port=$(kafka_running_port) ;;
  esac
  printf '%s %s' "$pid" "${port:-?}"
}

piece_configured_port() {
  case $1 in
    postgres) printf '%s' "$PGPORT" ;;
    redis) printf '%s' "$REDIS_PORT" ;;
    kafka) printf '%s' "$KAFKA_PORT" ;;
  esac
}
