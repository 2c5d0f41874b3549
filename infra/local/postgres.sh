# shellcheck shell=bash
# PostgreSQL for infra/local: the Debian package's server binaries, one cluster per state dir,
# run as the `postgres` OS user when root. Sourced by lib.sh; the piece's steps are the
# postgres_* functions (see the dispatch in lib.sh), the rest are its own helpers.

postgres_env() {
  PGPORT=${PGPORT:-5432}
  PGUSER=${PGUSER:-flashdeal}
  PGPASSWORD=${PGPASSWORD:-flashdeal}
  PGDATABASE=${PGDATABASE:-flashdeal}

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
}

postgres_port_vars() { echo PGPORT; }
postgres_port() { printf '%s' "$PGPORT"; }

# Run a command as the database OS user (root: via runuser, from a directory it can read).
as_pg() {
  if (( EUID == 0 )); then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    "$@"
  fi
}

pg_bindir() {
  local dir best=
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/initdb && -x $dir/pg_ctl ]] || continue
    best=$(printf '%s\n%s\n' "$best" "$dir" | sed '/^$/d' | sort -V | tail -n 1)
  done
  [[ -n $best ]] || return 1
  printf '%s' "$best"
}

postgres_packages() { pg_bindir >/dev/null || echo postgresql; }

online_pg_clusters() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters -h 2>/dev/null | awk '$4 ~ /^online/ { print $1, $2 }'
}

# Before and after a package install: a cluster the install started (Debian starts one) is
# stopped, so it cannot hold the default port; one that ran before is left alone.
postgres_before_install() { PG_CLUSTERS_BEFORE=$(online_pg_clusters); }
postgres_after_install() {
  local cluster
  while read -r cluster; do
    [[ -n $cluster ]] || continue
    grep -qxF "$cluster" <<<"$PG_CLUSTERS_BEFORE" && continue
    say "packages: stopping the PostgreSQL cluster the install started ($cluster)"
    # shellcheck disable=SC2086 # "version name"
    "$@" pg_ctlcluster $cluster stop || warn "could not stop cluster $cluster"
  done < <(online_pg_clusters)
}

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
# The piece's steps
# ---------------------------------------------------------------------------------------------

postgres_prepare() { pg_init; }
postgres_start() { pg_start; }
postgres_wait() { pg_wait; }
postgres_stop() { pg_stop; }

# The application's role and database, also when Postgres was already running.
postgres_provision() {
  PG_BIN=$(pg_bindir)
  pg_provision
  say "postgres: role '$PGUSER' and database '$PGDATABASE' ready (password auth on 127.0.0.1)"
}

postgres_running() {
  local pid port
  pid=$(pg_pid) || return 1
  port=$(pg_running_port)
  printf '%s %s' "$pid" "${port:-?}"
}

postgres_purge() {
  if [[ -n $PG_OUTSIDE ]]; then
    pg_purge_outside
    rm -f "$FLASH_STATE_DIR/postgres"
  else
    rm -rf "$PG_DATA" "$PG_LOG"
  fi
  rm -f "$STATE_LOG_DIR/initdb.log"
}

# With the whole state dir gone (down.sh --purge): what lives outside it.
postgres_purge_all() {
  pg_purge_outside
  case $PG_SOCKET_DIR in "$FLASH_STATE_DIR"/*) ;; *) rm -rf "$PG_SOCKET_DIR" ;; esac
}

postgres_claim_ports() { require_free_port "$PGPORT" postgres; }
