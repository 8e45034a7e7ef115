#!/usr/bin/env bash
# A/B: the ingest scenario (wrk, 64 clients, 1 KB booking.created, one endpoint at nginx, durable 202s) on two
# hookd binaries, alternating A B A B ... in one invocation, so both see the same machine noise; prints
# each run and the ratio of the medians. For judging a change: build the old commit elsewhere and run
#   bench/scenarios/ab.sh OLD/hookd build/hookd          (AB_ROUNDS, default 3; BENCH_SECONDS per run)
# AB_STORE=postgres runs both on one throwaway PostgreSQL cluster (scripts/pg-cluster.sh, durable settings),
# each run on a new database of its own, instead of the embedded SQLite store.
source "$(dirname "$0")/../lib.sh"
A_BIN="$1"; B_BIN="$2"; ROUNDS="${AB_ROUNDS:-3}"
need "$A_BIN"; need "$B_BIN"
[ "${AB_STORE:-sqlite}" != postgres ] || start_pg_cluster "$A_BIN"
start_nginx
make_payloads
run_one() {  # binary -> "msg/s cpu_s_per_1000_msgs"
  HOOKD_BIN="$1"
  rm -rf "$WORK/data"
  local store_args=()
  # run_one runs in a subshell: no counter survives it, so the database is named by the time.
  [ -z "${PG_URL:-}" ] || store_args=(--store "$(new_pg_database "hookd_ab_$(date +%s%N)")")
  start_hookd "$WORK/data" --catalog booking-platform "${store_args[@]}"
  api POST /api/v1/app '{"name":"bench","uid":"bench"}' >/dev/null
  api POST /api/v1/app/bench/endpoint "{\"url\":\"http://127.0.0.1:$NGINX_PORT/hook\"}" >/dev/null
  local cpu0 rate cpu1 total
  cpu0=$(cpu_seconds "$HOOKD_PID")
  local out sw0 sw1
  read -r -a sw0 <<<"$(ctx_switches "$HOOKD_PID")"
  local commits0 jobs0
  commits0=$(metric hookd_store_commits_total); jobs0=$(metric hookd_store_committed_jobs_total)
  out=$(HOOKD_TOKEN=$TOKEN HOOKD_APP=bench HOOKD_PAYLOAD_FILE="$WORK/body.json" \
    wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" -s bench/ingest.lua "http://127.0.0.1:$HOOKD_PORT/")
  rate=$(echo "$out" | sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p')
  total=$(echo "$out" | sed -n 's/^[[:space:]]*\([0-9]*\) requests in.*/\1/p')
  cpu1=$(cpu_seconds "$HOOKD_PID")
  read -r -a sw1 <<<"$(ctx_switches "$HOOKD_PID")"
  log "$(basename "$1"): $(thread_cpu "$HOOKD_PID")"
  if [ -n "$commits0" ]; then
    log "$(basename "$1"): store jobs a commit: $(calc "($(metric hookd_store_committed_jobs_total) - $jobs0) / ($(metric hookd_store_commits_total) - $commits0)")"
  fi
  log "$(basename "$1"): thread switches a message: $(calc "(${sw1[0]} - ${sw0[0]}) / $total") voluntary, $(calc "(${sw1[1]} - ${sw0[1]}) / $total") involuntary"
  stop_hookd
  echo "$rate $(calc "($cpu1 - $cpu0) * 1000 / $total")"
}
A_RATES=(); B_RATES=()
echo "| round | A msg/s | A CPU s/1000 msgs | B msg/s | B CPU s/1000 msgs |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  read -r a a_cpu <<<"$(run_one "$A_BIN")"
  read -r b b_cpu <<<"$(run_one "$B_BIN")"
  A_RATES+=("$a"); B_RATES+=("$b")
  echo "| $round | $a | $a_cpu | $b | $b_cpu |"
done
MA=$(median "${A_RATES[@]}"); MB=$(median "${B_RATES[@]}")
echo "median ingest: A $MA msg/s, B $MB msg/s, B/A $(calc "$MB / $MA")"
