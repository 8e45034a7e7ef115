#!/usr/bin/env bash
# Ingest and sustained delivery on SQLite (one node) and on PostgreSQL with 1, 2 and 3 nodes, in one
# invocation on loopback, each with its ratio to the SQLite single node of the same run.
#   BENCH_SECONDS (default 10): length of each ingest run. HOOKD_BIN (default build/hookd): the binary
#   measured. Run by `make bench` after bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
HOOKD_BIN="${HOOKD_BIN:-build/hookd}"
WORK=$(mktemp -d /tmp/hookd-bench-mn-XXXXXX)
TOKEN=bench-token
NGINX_PORT=$((20000 + RANDOM % 12000))  # below the ephemeral range (bench/lib.sh)
PIDS=()
PG_DIR=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  [ -n "$PG_DIR" ] && scripts/pg-cluster.sh stop "$PG_DIR" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
rate_of() { sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p'; }
metric() { curl -sf "$1/metrics" | sed -n "s/^$2 \([0-9.e+]*\)$/\1/p" | head -1; }

mkdir -p "$WORK/nginx"
sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" bench/nginx.conf.in > "$WORK/nginx.conf"
sed -i "s|pid $WORK/nginx/nginx.pid|pid $WORK/nginx.pid|" "$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/error.log" &
node -e 'const c=require("./catalogs/booking-platform.json");const t=c.eventTypes.find(t=>t.name==="booking.created");console.log(JSON.stringify({eventType:t.name,payload:t.examples[0]}))' > "$WORK/payload.json"
# The cluster's directory must be reachable by the unprivileged user that runs postgres: not inside $WORK.
PG_DIR=$(mktemp -d /tmp/hookd-bench-pg-XXXXXX)
PG_URL=$(scripts/pg-cluster.sh start "$PG_DIR")
# Nodes on one PostgreSQL store share the key sealing endpoint secrets (docs/RELIABILITY.md).
export HOOKD_SECRET_KEY=${HOOKD_SECRET_KEY:-$("$HOOKD_BIN" secrets generate-key)}

# run_case NAME NODES STORE: starts NODES hookd processes on STORE, ingests from one wrk per node, measures.
run_case() {
  local name=$1 nodes=$2 store=$3 urls=() port
  for i in $(seq 1 "$nodes"); do
    port=$((NGINX_PORT + 10 + i))
    "$HOOKD_BIN" serve --listen "127.0.0.1:$port" --data-dir "$WORK/data-$name" --admin-token "$TOKEN" \
      --allow-private-targets --catalog booking-platform --log-level warn --node-id "node$i" \
      ${store:+--store "$store"} > "$WORK/$name-$i.log" 2>&1 &
    PIDS+=($!)
    urls+=("http://127.0.0.1:$port")
    for _ in $(seq 1 100); do curl -sf "${urls[-1]}/api/v1/health" >/dev/null && break; sleep 0.1; done
  done
  local auth=(-H "authorization: Bearer $TOKEN" -H "content-type: application/json")
  curl -sf "${auth[@]}" -X POST "${urls[0]}/api/v1/app" -d '{"name":"bench","uid":"bench"}' >/dev/null
  curl -sf "${auth[@]}" -X POST "${urls[0]}/api/v1/app/bench/endpoint" -d "{\"url\":\"http://127.0.0.1:$NGINX_PORT/hook\"}" >/dev/null
  local d0=0 t0 rates=()
  for u in "${urls[@]}"; do d0=$((d0 + $(metric "$u" 'hookd_delivery_attempts_total{outcome="success"}'))); done
  t0=$(date +%s.%N)
  for u in "${urls[@]}"; do
    (HOOKD_TOKEN=$TOKEN HOOKD_APP=bench HOOKD_PAYLOAD_FILE="$WORK/payload.json" \
      wrk -t1 -c$((64 / nodes)) -d"${SECONDS_PER_RUN}s" -s bench/ingest.lua "$u/" | rate_of > "$WORK/rate-$name-${u##*:}") &
  done
  sleep "$SECONDS_PER_RUN"
  for _ in $(seq 1 100); do [ "$(ls "$WORK"/rate-"$name"-* 2>/dev/null | wc -l)" -ge "$nodes" ] &&
    [ -z "$(pgrep -x wrk)" ] && break; sleep 0.1; done
  local ingest
  ingest=$(cat "$WORK"/rate-"$name"-* 2>/dev/null | awk '{s+=$1} END {printf "%.0f", s}')
  for _ in $(seq 1 1200); do
    [ "$(metric "${urls[0]}" 'hookd_deliveries{status="pending"}')" = "0" ] &&
      [ "$(metric "${urls[0]}" 'hookd_deliveries{status="sending"}')" = "0" ] && break
    sleep 0.1
  done
  local d1=0 t1
  for u in "${urls[@]}"; do d1=$((d1 + $(metric "$u" 'hookd_delivery_attempts_total{outcome="success"}'))); done
  t1=$(date +%s.%N)
  local delivery
  delivery=$(node -e "console.log(((${d1}-${d0})/(${t1}-${t0})).toFixed(0))")
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${PIDS[@]}" 2>/dev/null || true
  PIDS=()
  echo "$name $nodes $ingest $delivery"
}

RESULTS=()
RESULTS+=("$(run_case sqlite 1 "")")
for n in 1 2 3; do
  db="hookd_bench_$n"
  psql "$PG_URL" -q -c "CREATE DATABASE $db"
  RESULTS+=("$(run_case "postgres$n" "$n" "${PG_URL%/postgres}/$db")")
done

base_ingest=$(echo "${RESULTS[0]}" | awk '{print $3}')
base_delivery=$(echo "${RESULTS[0]}" | awk '{print $4}')
echo "hookd multi-node benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  ${SECONDS_PER_RUN}s runs, 64 clients in all"
echo "| store | nodes | ingest msg/s | vs SQLite | sustained delivery/s | vs SQLite |"
echo "|---|---|---|---|---|---|"
for r in "${RESULTS[@]}"; do
  read -r name nodes ingest delivery <<< "$r"
  echo "| ${name%%[0-9]*} | $nodes | $ingest | $(node -e "console.log(($ingest/$base_ingest).toFixed(2))") | $delivery | $(node -e "console.log(($delivery/$base_delivery).toFixed(2))") |"
done
