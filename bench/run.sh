#!/usr/bin/env bash
# `make bench`: ceilings and hookd scenarios in one invocation, on loopback only, with ratios to the ceilings
# measured in the same run (absolute figures drift on noisy machines; ratios much less).
#   BENCH_SECONDS (default 10): length of each wrk run (and an upper bound on the fixed-rate runs).
#   HOOKD_BIN (default build/hookd): the binary measured; sqlite_ceiling_bench, bench_preload, bench_loadgen
#   and bench_receiver are taken from its directory. BACKLOG_MESSAGES (default 1,000,000) and GROWTH_MESSAGES
#   (default 10,000,000: about 16 GB of disk and 15-30 minutes of loading) size the backlog and growth
#   scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
HOOKD_BIN="${HOOKD_BIN:-build/hookd}"
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
WORK=$(mktemp -d /tmp/hookd-bench-XXXXXX)
NGINX_PORT=$((20000 + RANDOM % 12000))  # below the ephemeral range (bench/lib.sh)
HOOKD_PORT=$((NGINX_PORT + 1))
TOKEN=bench-token
cleanup() {
  [ -n "${HOOKD_PID:-}" ] && kill "$HOOKD_PID" 2>/dev/null && wait "$HOOKD_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

rate_of() { sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p'; }
metric() { curl -sf "http://127.0.0.1:$HOOKD_PORT/metrics" | sed -n "s/^$1 \([0-9.e+]*\)$/\1/p" | head -1; }

# 1. Ceilings: nginx answering 200 "ok" to keep-alive POSTs of 1 KB; SQLite committing 1 and 100 rows a transaction.
mkdir -p "$WORK/nginx"
sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" bench/nginx.conf.in > "$WORK/nginx.conf"
sed -i "s|pid $WORK/nginx/nginx.pid|pid $WORK/nginx.pid|" "$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/error.log" &
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$NGINX_PORT/" >/dev/null && break; sleep 0.1; done
WRK_NGINX=$(wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" -s bench/post.lua "http://127.0.0.1:$NGINX_PORT/" | rate_of)
SQLITE_JSON=$("$(dirname "$HOOKD_BIN")/sqlite_ceiling_bench" --benchmark_format=json 2>/dev/null)
SQLITE_1=$(echo "$SQLITE_JSON" | node -e 'const j=JSON.parse(require("fs").readFileSync(0));console.log(j.benchmarks.find(b=>b.name.startsWith("insert_rows/1/")).items_per_second.toFixed(0))')
SQLITE_100=$(echo "$SQLITE_JSON" | node -e 'const j=JSON.parse(require("fs").readFileSync(0));console.log(j.benchmarks.find(b=>b.name.startsWith("insert_rows/100/")).items_per_second.toFixed(0))')

# 2. hookd on SQLite (durable default: synchronous=FULL), one tenant, one endpoint at nginx.
"$HOOKD_BIN" serve --listen "127.0.0.1:$HOOKD_PORT" --data-dir "$WORK/data" --admin-token "$TOKEN" \
  --allow-private-targets --catalog booking-platform --log-level warn > "$WORK/hookd.log" 2>&1 &
HOOKD_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HOOKD_PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
auth=(-H "authorization: Bearer $TOKEN" -H "content-type: application/json")
curl -sf "${auth[@]}" -X POST "http://127.0.0.1:$HOOKD_PORT/api/v1/app" -d '{"name":"bench","uid":"bench"}' >/dev/null
curl -sf "${auth[@]}" -X POST "http://127.0.0.1:$HOOKD_PORT/api/v1/app/bench/endpoint" \
  -d "{\"url\":\"http://127.0.0.1:$NGINX_PORT/hook\"}" >/dev/null
node -e 'const c=require("./catalogs/booking-platform.json");const t=c.eventTypes.find(t=>t.name==="booking.created");const p=t.examples[0];p.data.booking.notas="x".repeat(Math.max(0,1024-JSON.stringify(p).length));console.log(JSON.stringify({eventType:t.name,payload:p}))' > "$WORK/payload.json"
PAYLOAD_BYTES=$(wc -c < "$WORK/payload.json")

# Ingest: messages accepted per second, each durable before its 202, 64 clients.
D0=$(metric 'hookd_delivery_attempts_total{outcome="success"}'); T0=$(date +%s.%N)
INGEST=$(HOOKD_TOKEN=$TOKEN HOOKD_APP=bench HOOKD_PAYLOAD_FILE="$WORK/payload.json" \
  wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" -s bench/ingest.lua "http://127.0.0.1:$HOOKD_PORT/" | rate_of)

# Delivery: signed deliveries per second to nginx, each attempt recorded, from the start of the ingest run
# until the backlog it leaves is drained (bounded to 120 s): sustained end-to-end throughput. (The tail of the
# drain alone is too short to measure reliably when delivery keeps up with ingest.)
for _ in $(seq 1 1200); do
  PENDING=$(metric 'hookd_deliveries{status="pending"}')
  [ "${PENDING%.*}" = "0" ] && break
  sleep 0.1
done
D1=$(metric 'hookd_delivery_attempts_total{outcome="success"}'); T1=$(date +%s.%N)
DELIVERY=$(node -e "console.log(((${D1}-${D0})/(${T1}-${T0})).toFixed(0))")
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$HOOKD_PID/status")
CPU_S=$(awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$HOOKD_PID/stat")

ratio() { node -e "console.log((${1}/${2}).toFixed(3))"; }
cat <<TABLE
hookd benchmark  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  $(uname -r)  payload ${PAYLOAD_BYTES} B  ${SECONDS_PER_RUN}s runs
| figure                                   | value        | ceiling (same run)              | ratio |
|------------------------------------------|--------------|---------------------------------|-------|
| ceiling: wrk -> nginx, keep-alive POST   | ${WRK_NGINX} req/s |                           |       |
| ceiling: SQLite WAL FULL, 1 row/tx       | ${SQLITE_1} rows/s |                           |       |
| ceiling: SQLite WAL FULL, 100 rows/tx    | ${SQLITE_100} rows/s |                         |       |
| hookd ingest (64 clients, durable 202)   | ${INGEST} msg/s | SQLite 100 rows/tx           | $(ratio "$INGEST" "$SQLITE_100") |
| hookd delivery (signed, attempt recorded)| ${DELIVERY} del/s | nginx keep-alive           | $(ratio "$DELIVERY" "$WRK_NGINX") |
| hookd peak RSS                           | $((RSS_KB / 1024)) MiB |                        |       |
| hookd CPU per 1,000 messages (ingest + delivery) | $(node -e "console.log((${CPU_S}/((${D1}-${D0})/1000)).toFixed(3))") s | |   |
TABLE

# 3. The other scenarios (bench/scenarios/*.sh, each also runnable alone): each prints its own table, with
# ratios to the wrk -> nginx ceiling measured above. hookd of the ingest run is stopped first.
kill "$HOOKD_PID" 2>/dev/null && wait "$HOOKD_PID" 2>/dev/null || true
HOOKD_PID=
export HOOKD_BIN CEIL_NGINX="$WRK_NGINX"
export BACKLOG_MESSAGES="${BACKLOG_MESSAGES:-1000000}" GROWTH_MESSAGES="${GROWTH_MESSAGES:-10000000}"
status=0
for scenario in delivery latency isolation backlog growth; do
  bench/scenarios/$scenario.sh || { echo "scenario $scenario failed"; status=1; }
done
exit $status
