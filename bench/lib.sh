# Shared by bench/run.sh and bench/scenarios/*.sh (sourced). Loopback only; every wait is bounded; every
# process started here is stopped by the EXIT trap (by its own pid).
#   HOOKD_BIN     hookd binary (default build/hookd); bench_preload, sqlite_ceiling_bench, bench_loadgen and
#                 bench_receiver are taken from the same directory unless PRELOAD_BIN / CEILING_BIN /
#                 LOADGEN_BIN / RECEIVER_BIN say otherwise.
#   CEIL_NGINX    ceiling already measured by the caller (run.sh) in this invocation: not measured again.
#   BENCH_SECONDS length of the fixed-length runs (wrk, load generator).
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$BENCH_ROOT"
HOOKD_BIN="${HOOKD_BIN:-build/hookd}"
BIN_DIR="$(dirname "$HOOKD_BIN")"
PRELOAD_BIN="${PRELOAD_BIN:-$BIN_DIR/bench_preload}"
CEILING_BIN="${CEILING_BIN:-$BIN_DIR/sqlite_ceiling_bench}"
LOADGEN_BIN="${LOADGEN_BIN:-$BIN_DIR/bench_loadgen}"
RECEIVER_BIN="${RECEIVER_BIN:-$BIN_DIR/bench_receiver}"
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
TOKEN=bench-token
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/hookd-bench-XXXXXX")
# Four consecutive ports below the kernel's ephemeral range (32768 and up here), none in use: a port inside
# that range can be held by one of the previous scenario's client connections, and nginx then cannot bind.
free_base_port() {
  local port used
  used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://')
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 12000))
    if ! printf '%s\n' "$used" | grep -qxE "$port|$((port + 1))|$((port + 2))|$((port + 3))"; then
      echo "$port"
      return
    fi
  done
  echo "$port"
}
BASE_PORT=$(free_base_port)
NGINX_PORT=$BASE_PORT
HOOKD_PORT=$((BASE_PORT + 1))
RECEIVER_PORT=$((BASE_PORT + 2))
STUCK_PORT=$((BASE_PORT + 3))
CLK_TCK=$(getconf CLK_TCK)
BENCH_PIDS=()

# Runs hookd ($1, an absolute path) under valgrind's callgrind from now on, its profile written to $2 when it
# stops: HOOKD_BIN becomes a wrapper script in $WORK (removed with it).
callgrind_hookd() {
  HOOKD_BIN="$WORK/hookd-callgrind"
  printf '#!/bin/bash\nexec valgrind --tool=callgrind --callgrind-out-file=%q %q "$@"\n' "$2" "$1" > "$HOOKD_BIN"
  chmod +x "$HOOKD_BIN"
}
bench_cleanup() {
  [ -n "${HOOKD_PID:-}" ] && kill "$HOOKD_PID" 2>/dev/null && wait "$HOOKD_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap bench_cleanup EXIT

# A throwaway PostgreSQL cluster (scripts/pg-cluster.sh, durable settings) for this run, stopped at exit:
# sets PG_URL, and HOOKD_SECRET_KEY (made with the hookd binary $1) unless it is set, since nodes on one
# store share the key sealing endpoint secrets (docs/RELIABILITY.md).
start_pg_cluster() {
  # The cluster's directory must be reachable by the unprivileged user that runs postgres: not inside $WORK.
  PG_DIR=$(mktemp -d /tmp/hookd-bench-pg-XXXXXX)
  trap 'scripts/pg-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true; bench_cleanup' EXIT
  PG_URL=$(scripts/pg-cluster.sh start "$PG_DIR")
  export HOOKD_SECRET_KEY=${HOOKD_SECRET_KEY:-$("$1" secrets generate-key)}
}
# Creates database $1 on the cluster and prints its URL.
new_pg_database() {
  psql "$PG_URL" -q -c "CREATE DATABASE $1"
  echo "${PG_URL%/postgres}/$1"
}

log() { echo "  [$(date +%H:%M:%S)] $*" >&2; }
calc() { node -e "const v=($1);console.log(Number.isFinite(v)?(Math.abs(v)>=100?v.toFixed(0):v.toFixed(3)):'n/a')"; }
need() { [ -x "$1" ] || { echo "missing $1 (build it: make build, or set HOOKD_BIN)" >&2; exit 2; }; }

# nginx answering 200 "ok" to everything, with stub_status at /nginx_status (its request counter tells how
# many deliveries arrived without asking hookd).
start_nginx() {
  mkdir -p "$WORK/nginx"
  sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" bench/nginx.conf.in > "$WORK/nginx.conf"
  sed -i "s|pid $WORK/nginx/nginx.pid|pid $WORK/nginx.pid|" "$WORK/nginx.conf"
  nginx -c "$WORK/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/error.log" &
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$NGINX_PORT/" >/dev/null && return 0; sleep 0.1; done
  echo "nginx did not start" >&2; exit 1
}
nginx_requests() { curl -sf "http://127.0.0.1:$NGINX_PORT/nginx_status" | awk 'NR==3 {print $3}'; }

# The delivery ceiling: wrk's keep-alive POSTs of 1 KB per second against nginx (kept from the caller).
nginx_ceiling() {
  if [ -z "${CEIL_NGINX:-}" ]; then
    local secs=$((SECONDS_PER_RUN < 5 ? SECONDS_PER_RUN : 5))
    CEIL_NGINX=$(wrk -t2 -c64 -d"${secs}s" -s bench/post.lua "http://127.0.0.1:$NGINX_PORT/" |
      sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p')
  fi
  export CEIL_NGINX
}

# hookd on a data dir; extra arguments are passed on. Sets HOOKD_PID, HOOKD_T0 (launch time, s).
start_hookd() {
  local data="$1"; shift
  HOOKD_T0=$(date +%s.%N)
  "$HOOKD_BIN" serve --listen "127.0.0.1:$HOOKD_PORT" --data-dir "$data" --admin-token "$TOKEN" \
    --allow-private-targets --log-level warn "$@" >> "$WORK/hookd.log" 2>&1 &
  HOOKD_PID=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$HOOKD_PORT/api/v1/health" >/dev/null && return 0
    kill -0 "$HOOKD_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "hookd did not start:" >&2; tail -5 "$WORK/hookd.log" >&2; exit 1
}
stop_hookd() {
  kill "$HOOKD_PID" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$HOOKD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$HOOKD_PID" 2>/dev/null || true
  wait "$HOOKD_PID" 2>/dev/null || true
  HOOKD_PID=
}
api() { curl -sf -H "authorization: Bearer $TOKEN" -H "content-type: application/json" -X "$1" \
  "http://127.0.0.1:$HOOKD_PORT$2" ${3:+-d "$3"}; }
# awk reads to the end: leaving early would fail curl with a broken pipe (exit 23), and pipefail with it.
metric() { curl -sf "http://127.0.0.1:$HOOKD_PORT/metrics" | awk -v n="$1" '$1 == n && v == "" {v = $2} END {print v}'; }

# The writer's durable commits so far, from /metrics, as "ALL SLOW": all of them, and those over 10 ms (every
# create waits for one, so a slow one, a disk stall or a starved writer, holds up every message behind it).
durable_commits() {
  local all fast
  all=$(metric 'hookd_store_durable_commit_seconds_bucket{le="+Inf"}')
  fast=$(metric 'hookd_store_durable_commit_seconds_bucket{le="0.01"}')
  echo "${all:-0} $(( ${all:-0} - ${fast:-0} ))"
}
# The median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# CPU seconds (utime + stime) and peak RSS (VmHWM, KiB) of a live process.
cpu_seconds() { awk -v t="$CLK_TCK" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$1/stat"; }
hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
# CPU seconds hookd spends on one /metrics scrape (mean of 10): its queue gauges count the whole store.
scrape_cpu() {
  local c0 c1
  c0=$(cpu_seconds "$HOOKD_PID")
  for _ in $(seq 1 10); do curl -sf "http://127.0.0.1:$HOOKD_PORT/metrics" >/dev/null; done
  c1=$(cpu_seconds "$HOOKD_PID")
  calc "($c1 - $c0) / 10"
}
# Thread switches of all of a process's threads, voluntary (it waited) and involuntary (it was preempted).
ctx_switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^voluntary_ctxt_switches/ {v += $2} /^nonvoluntary_ctxt_switches/ {n += $2} END {print v, n}'
}
# CPU seconds of the busiest threads, by name ("hookd-writer 6.40 s, hookd-http 6.39 s, ..."): hookd names its
# SQLite writer, HTTP client and dispatcher threads, so this shows which one bounds a run.
thread_cpu() {
  local t
  for t in /proc/"$1"/task/*; do
    echo "$(cat "$t/comm") $(awk '{ sub(/^.*\) /, ""); print $12, $13 }' "$t/stat")"
  done | awk -v tck="$CLK_TCK" '{ u[$1] += $2; k[$1] += $3 }
      END { for (n in u) printf "%s %.2f s (user %.2f, system %.2f)\n", n, (u[n] + k[n]) / tck, u[n] / tck, k[n] / tck }' |
    sort -k2 -n -r | head -3 | paste -sd ';' | sed 's/;/, /g'
}

# Catalog payloads of about 1 KB (booking.created, padded). $WORK/body.json is a request body for
# POST /api/v1/app/{app}/msg and $WORK/payload.json the payload alone; both carry the "bench_t=0;" marker
# that bench_loadgen (bench/tools/loadgen.cpp) replaces with the send time.
make_payloads() {
  node -e '
    const c = require("./catalogs/booking-platform.json");
    const t = c.eventTypes.find((t) => t.name === "booking.created");
    const p = structuredClone(t.examples[0]);
    p.data.booking.notas = "bench_t=0000000000000000000;";
    p.data.booking.notas += "x".repeat(Math.max(0, 1024 - JSON.stringify(p).length));
    const fs = require("fs");
    fs.writeFileSync(process.argv[1] + "/payload.json", JSON.stringify(p));
    fs.writeFileSync(process.argv[1] + "/body.json", JSON.stringify({ eventType: t.name, payload: p }));
  ' "$WORK"
}

# bench_receiver (bench/tools/receiver.cpp): the timing endpoint, and the never-answering one on STUCK_PORT.
start_receiver() {
  need "$RECEIVER_BIN"
  "$RECEIVER_BIN" --port "$RECEIVER_PORT" --stuck-port "$STUCK_PORT" > "$WORK/receiver.log" 2>&1 &
  RECEIVER_PID=$!
  BENCH_PIDS+=("$RECEIVER_PID")
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$RECEIVER_PORT/stats" >/dev/null && return 0; sleep 0.1; done
  echo "receiver did not start" >&2; exit 1
}
receiver_stats() { curl -sf "http://127.0.0.1:$RECEIVER_PORT/stats?prefix=$1${2:+&reset=1}"; }
json() { node -e "const j=JSON.parse(process.argv[1]);const v=j[process.argv[2]];console.log(typeof v==='number'?(Math.abs(v)>=100?v.toFixed(0):v.toFixed(3)):typeof v==='object'?JSON.stringify(v):v)" "$1" "$2"; }

# Waits (at most $2 s) until the receiver has $1 samples under prefix $3.
wait_receiver() {
  local want="$1" limit="$2" prefix="$3"
  for _ in $(seq 1 $((limit * 10))); do
    [ "$(json "$(receiver_stats "$prefix")" count)" -ge "$want" ] && return 0
    sleep 0.1
  done
  log "receiver got $(json "$(receiver_stats "$prefix")" count) of $want under $prefix"
}

# Drain measurement: hookd is started on a data dir preloaded with $2 pending deliveries to nginx; returns
# when nginx has answered them all and hookd has recorded every attempt (bounded by $3 s). Sets
# DRAIN_SECONDS, DRAIN_RATE, DRAIN_CPU_PER_1K, DRAIN_HWM_MIB, DRAIN_RECORDED. Arguments after $3 go to hookd serve.
measure_drain() {
  local data="$1" deliveries="$2" limit="$3"; shift 3  # the rest: more arguments for hookd serve
  local r0; r0=$(nginx_requests)
  start_hookd "$data" "$@"
  local t_end=$(( $(date +%s) + limit ))
  node bench/tools/wait_nginx.mjs --port "$NGINX_PORT" --from "$r0" --count "$deliveries" --timeout "$limit" || true
  # Every attempt recorded: nothing pending or out.
  while [ "$(date +%s)" -lt "$t_end" ]; do
    local m; m=$(curl -sf "http://127.0.0.1:$HOOKD_PORT/metrics")
    local left; left=$(echo "$m" | awk '$1 ~ /^hookd_deliveries\{status="(pending|sending)"\}$/ {s += $2} END {print s + 0}')
    [ "$left" = "0" ] && break
    sleep 0.05
  done
  local t1; t1=$(date +%s.%N)
  DRAIN_SECONDS=$(calc "$t1 - $HOOKD_T0")
  DRAIN_CPU=$(cpu_seconds "$HOOKD_PID")
  DRAIN_HWM_MIB=$(( $(hwm_kib "$HOOKD_PID") / 1024 ))
  DRAIN_THREADS=$(thread_cpu "$HOOKD_PID")
  DRAIN_RECORDED=$(metric 'hookd_delivery_attempts_total{outcome="success"}')
  DRAIN_RATE=$(calc "$DRAIN_RECORDED / ($t1 - $HOOKD_T0)")
  DRAIN_CPU_PER_1K=$(calc "$DRAIN_CPU / ($DRAIN_RECORDED / 1000)")
  DRAIN_COMMITS=$(metric hookd_store_commits_total)
  DRAIN_DURABLE_COMMITS=$(metric hookd_store_durable_commit_seconds_count)
  DRAIN_JOBS=$(metric hookd_store_committed_jobs_total)
  stop_hookd
  [ "$DRAIN_RECORDED" -ge "$deliveries" ] || log "only $DRAIN_RECORDED of $deliveries deliveries recorded within ${limit}s"
}

# `--endpoint URL` arguments for bench_preload: N endpoints at nginx (/hook/1 … /hook/N), in ENDPOINT_ARGS.
fanout_endpoints() {
  ENDPOINT_ARGS=()
  local i
  for i in $(seq 1 "$1"); do ENDPOINT_ARGS+=(--endpoint "http://127.0.0.1:$NGINX_PORT/hook/$i"); done
}

# A payload-only file without the marker's digits mattering (preloaded messages are not timed).
preload() {
  need "$PRELOAD_BIN"
  "$PRELOAD_BIN" --payload-file "$WORK/payload.json" "$@" >&2
}

header() {
  echo
  echo "## $1  ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo "| figure | value | ceiling or reference (same run) | ratio |"
  echo "|---|---|---|---|"
}
row() { echo "| $1 | $2 | $3 | $4 |"; }
