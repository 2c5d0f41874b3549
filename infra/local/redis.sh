# shellcheck shell=bash
# Redis for infra/local: the Debian package's redis-server, daemonised, AOF on. Sourced by
# lib.sh; the piece's steps are the redis_* functions named in its dispatch.

redis_env() {
  REDIS_PORT=${REDIS_PORT:-6379}
  REDIS_DIR=$FLASH_STATE_DIR/redis
  REDIS_PIDFILE=$STATE_RUN_DIR/redis.pid
  REDIS_LOG=$STATE_LOG_DIR/redis.log
}

redis_port_vars() { echo REDIS_PORT; }
redis_port() { printf '%s' "$REDIS_PORT"; }

redis_packages() {
  command -v redis-server >/dev/null 2>&1 || echo redis-server
  command -v redis-cli >/dev/null 2>&1 || echo redis-tools
}

# Before and after a package install: a redis-server the install started (Debian's service) is
# stopped, so it cannot hold the default port; one that ran before is left alone.
redis_before_install() { REDIS_PIDS_BEFORE=$(pgrep -x redis-server 2>/dev/null || true); }
redis_after_install() {
  local pid
  for pid in $(pgrep -x redis-server 2>/dev/null || true); do
    grep -qxF "$pid" <<<"$REDIS_PIDS_BEFORE" && continue
    say "packages: stopping the system redis-server the install started (pid $pid)"
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
      "$@" systemctl stop redis-server.service || true
    fi
    if pid_running "$pid"; then
      "$@" kill -TERM "$pid" 2>/dev/null || true
      wait_pid_exit "$pid" 15 || warn "system redis-server (pid $pid) did not stop"
    fi
  done
}

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

redis_running() {
  local pid port
  pid=$(redis_pid) || return 1
  port=$(redis_running_port "$pid")
  printf '%s %s' "$pid" "${port:-?}"
}

redis_purge() { rm -rf "$REDIS_DIR" "$REDIS_LOG"; }

redis_claim_ports() { require_free_port "$REDIS_PORT" redis; }
