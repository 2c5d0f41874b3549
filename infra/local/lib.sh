# shellcheck shell=bash
# Shared by infra/local/{up,down,status}.sh: real PostgreSQL, Redis and Kafka on 127.0.0.1
# without Docker. Sourced, never executed. Every path derives from this file's location and from
# FLASH_STATE_DIR, so several independent instances (dev, test) can run side by side.
#
# One file per piece (postgres.sh, redis.sh, kafka.sh), each defining that piece's steps as
# functions named <piece>_<step>; the scripts run a step through the one dispatch, `piece`.
# The steps: env (defaults and paths), port_vars, port, check_env, packages, before_install /
# after_install (around apt), claim_ports, prepare, start, wait, provision, running ("pid
# port"), stop, purge (its data), purge_all (what it keeps outside the state dir). A piece
# without a step skips it.

FLASH_LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLASH_REPO_ROOT=$(cd "$FLASH_LOCAL_DIR/../.." && pwd)
# In start order; down.sh stops them in reverse.
FLASH_ALL_PIECES=(postgres redis kafka)

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

# The calling script's usage: its header comment (after the shebang, up to the first other line).
usage() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
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
# The dispatch
# ---------------------------------------------------------------------------------------------

# piece STEP NAME [ARGS...]: run one piece's step; a piece without that step has nothing to do.
piece() {
  local step=$1 name=$2
  shift 2
  declare -F "${name}_$step" >/dev/null || return 0
  "${name}_$step" "$@"
}

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

  INFRA_TIMEOUT_SECONDS=${INFRA_TIMEOUT_SECONDS:-60}
  STATE_RUN_DIR=$FLASH_STATE_DIR/run
  STATE_LOG_DIR=$FLASH_STATE_DIR/logs
  STATE_MARKER=$FLASH_STATE_DIR/.flash-deal-state

  # Every piece's settings, also for a command naming only some: the ports are checked alike.
  local p name
  for p in "${FLASH_ALL_PIECES[@]}"; do piece env "$p"; done
  for p in "${FLASH_ALL_PIECES[@]}"; do
    for name in $(piece port_vars "$p"); do
      if ! [[ ${!name} =~ ^[0-9]{1,5}$ ]] || (( ${!name} < 1 || ${!name} > 65535 )); then
        die "$name must be a TCP port number (got '${!name}')"
      fi
    done
  done
  [[ $INFRA_TIMEOUT_SECONDS =~ ^[0-9]+$ ]] || die "INFRA_TIMEOUT_SECONDS must be a number of seconds (got '$INFRA_TIMEOUT_SECONDS')"
  for p in "${FLASH_ALL_PIECES[@]}"; do piece check_env "$p"; done
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

# read_command_line [--purge] -- ARGS...: the scripts' one command line. -h/--help prints the
# usage and exits; an unknown option fails; --purge (where allowed) sets PURGE=1; the piece names
# go to PIECES (parse_pieces). Then the environment (flash_init_env).
# shellcheck disable=SC2034 # PURGE: down.sh reads it
read_command_line() {
  local allow_purge=0 arg
  if [[ $1 == --purge ]]; then allow_purge=1; shift; fi
  shift
  PURGE=0
  local -a names=()
  for arg in "$@"; do
    case $arg in
      --purge)
        (( allow_purge )) || { usage >&2; die "unknown option '$arg'"; }
        PURGE=1
        ;;
      -h | --help) usage; exit 0 ;;
      -*) usage >&2; die "unknown option '$arg'" ;;
      *) names+=("$arg") ;;
    esac
  done
  parse_pieces "${names[@]}"
  flash_init_env
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

# ---------------------------------------------------------------------------------------------
# Packages (Debian)
# ---------------------------------------------------------------------------------------------

# Install what the given pieces miss (apt-get update once, only then); each piece then stops
# whatever system service the install auto-started, so it cannot hold the default ports.
ensure_packages() {
  local -a pkgs=()
  local p
  for p in "$@"; do mapfile -t -O "${#pkgs[@]}" pkgs < <(piece packages "$p"); done
  (( ${#pkgs[@]} > 0 )) || return 0

  local -a sudo=()
  if (( EUID != 0 )); then
    command -v sudo >/dev/null 2>&1 || die "missing packages (${pkgs[*]}) and not root: install them first"
    sudo=(sudo)
  fi

  for p in "${FLASH_ALL_PIECES[@]}"; do piece before_install "$p"; done
  local t0
  t0=$(now)
  say "packages: installing ${pkgs[*]} (apt)"
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${pkgs[@]}" >/dev/null ||
    die "apt-get install ${pkgs[*]} failed"
  say "packages: installed in $(elapsed_since "$t0")s"
  for p in "${FLASH_ALL_PIECES[@]}"; do piece after_install "$p" "${sudo[@]}"; done
}

# ---------------------------------------------------------------------------------------------
# The pieces
# ---------------------------------------------------------------------------------------------

# TOPOLOGY=cluster: Redis and Kafka are clusters (redis-cluster.sh, kafka-cluster.sh replace the
# steps that differ); the piece names, and so every command line, stay the same.
FLASH_TOPOLOGY=${TOPOLOGY:-single}
case $FLASH_TOPOLOGY in
  single | cluster) ;;
  *) die "TOPOLOGY must be single or cluster (got '$FLASH_TOPOLOGY')" ;;
esac
for _flash_piece in "${FLASH_ALL_PIECES[@]}"; do
  # shellcheck source=/dev/null # one of postgres.sh, redis.sh, kafka.sh
  source "$FLASH_LOCAL_DIR/$_flash_piece.sh"
  if [[ $FLASH_TOPOLOGY == cluster && -f $FLASH_LOCAL_DIR/$_flash_piece-cluster.sh ]]; then
    # shellcheck source=/dev/null # redis-cluster.sh, kafka-cluster.sh
    source "$FLASH_LOCAL_DIR/$_flash_piece-cluster.sh"
  fi
done
unset _flash_piece
