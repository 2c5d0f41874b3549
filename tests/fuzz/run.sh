#!/usr/bin/env bash
# Schemathesis, every check, against each service's own OpenAPI document (called as the gateway
# calls it) and against the gateway's public document, anonymous and with a customer's and the
# admin's session where the operations ask for one. `make test` runs it on its async stack
# (a few minutes in all); `make fuzz` runs it longer against a running stack (`make dev`).
#
#   bash tests/fuzz/run.sh [target ...]     targets: service:identity, e.g. product:admin
#
# FUZZ_EXAMPLES (examples per operation and phase) and FUZZ_MAX_TIME (seconds per target) size
# it. The stack's GATEWAY_URL, AUTH_URL, PRODUCT_URL, ORDER_URL, REDIS_URL, ADMIN_EMAIL,
# ADMIN_PASSWORD and INTERNAL_AUTH_SECRET default to `make dev`'s (.env.example). Any server
# error or failed check fails the run.
# The payment sandbox is left out: it stands in for a third-party provider, not part of the API.
set -euo pipefail
cd "$(dirname "$0")"
root="$PWD/../.."
: "${GATEWAY_URL:=http://127.0.0.1:8080}" "${AUTH_URL:=http://127.0.0.1:8081}"
: "${PRODUCT_URL:=http://127.0.0.1:8082}" "${ORDER_URL:=http://127.0.0.1:8083}"
: "${REDIS_URL:=redis://127.0.0.1:6379}" "${ADMIN_EMAIL:=admin@flash-deal.local}"
: "${ADMIN_PASSWORD:=change-me-admin-1}"
export INTERNAL_AUTH_SECRET="${INTERNAL_AUTH_SECRET:-dev-internal-auth-secret-change-me-0123456789}"
examples="${FUZZ_EXAMPLES:-10}"
max_time="${FUZZ_MAX_TIME:-20}"
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(
  gateway:anonymous gateway:customer gateway:admin
  auth:anonymous auth:customer
  product:anonymous product:admin
  order:anonymous order:customer order:admin
)

# A customer of its own for this run, signed up through the gateway (429: wait and retry).
customer_email="fuzz-$(date +%s)-$RANDOM@example.com" customer_password="fuzz-password-$RANDOM"
for _ in $(seq 1 30); do
  status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$GATEWAY_URL/v1/auth/signup" \
    -H 'content-type: application/json' \
    -d "{\"email\":\"$customer_email\",\"password\":\"$customer_password\"}")
  [[ $status == 201 ]] && break
  [[ $status == 429 || $status == 503 ]] || { echo "fuzz: sign-up answered $status" >&2; exit 1; }
  sleep 1
done

url_of() { case $1 in gateway) echo "$GATEWAY_URL" ;; auth) echo "$AUTH_URL" ;; product) echo "$PRODUCT_URL" ;; order) echo "$ORDER_URL" ;; esac; }

failed=()
for target in "${targets[@]}"; do
  service=${target%%:*} identity=${target#*:}
  url=$(url_of "$service")
  [[ -n $url ]] || { echo "fuzz: unknown target $target" >&2; exit 2; }
  audience=$service email="" password=""
  [[ $service == gateway ]] && audience=""
  case $identity in
    customer) email=$customer_email password=$customer_password ;;
    admin) email=$ADMIN_EMAIL password=$ADMIN_PASSWORD ;;
    anonymous) ;;
    *) echo "fuzz: unknown identity in $target" >&2; exit 2 ;;
  esac
  echo "==> schemathesis: $service ($identity), $examples examples per operation, at most ${max_time}s"
  if ! FUZZ_AUDIENCE=$audience FUZZ_AUTH_URL=$AUTH_URL FUZZ_EMAIL=$email FUZZ_PASSWORD=$password \
    "$root/.venv/bin/schemathesis" --config-file schemathesis.toml --no-color run "$url/swagger/json" \
    --url "$url" --checks all --max-examples "$examples" --max-time "$max_time" --seed "${FUZZ_SEED:-$RANDOM}"; then
    failed+=("$target")
  fi
done

# The gateway runs' wrong passwords were counted against this machine's address (the per-address
# login throttle, 15 min): forget them, so the scenarios after this start from a clean slate.
redis-cli -u "$REDIS_URL" del "auth:{login}:address:127.0.0.1" >/dev/null

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, 0 server errors, 0 check failures"
