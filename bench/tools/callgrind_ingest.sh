#!/usr/bin/env bash
# Instruction counts of ingest: hookd runs under valgrind's callgrind while wrk creates 1 KB booking.created
# messages for one tenant whose one endpoint is nginx, as bench/scenarios/ab.sh does (loopback only; the
# deliveries run alongside). Divide by the accepted messages it prints to compare two builds.
#   bench/tools/callgrind_ingest.sh [HOOKD] [OUT]   (default build/hookd, /tmp/hookd-ingest.callgrind)
#   INGEST_SECONDS (default 60), INGEST_CLIENTS (default 16)
# Then: callgrind_annotate --inclusive=yes OUT | grep -E 'Api::handle|GroupCommitWriter::run|Dispatcher::run'
REAL="$(realpath "${1:-build/hookd}")"
OUT="$(realpath -m "${2:-/tmp/hookd-ingest.callgrind}")"
source "$(dirname "$0")/../lib.sh"
callgrind_hookd "$REAL" "$OUT"
start_nginx
make_payloads
start_hookd "$WORK/data" --catalog booking-platform
api POST /api/v1/app '{"name":"bench","uid":"bench"}' >/dev/null
api POST /api/v1/app/bench/endpoint "{\"url\":\"http://127.0.0.1:$NGINX_PORT/hook\"}" >/dev/null
# A long timeout: under callgrind each request takes tens of milliseconds.
HOOKD_TOKEN=$TOKEN HOOKD_APP=bench HOOKD_PAYLOAD_FILE="$WORK/body.json" \
  wrk -t1 -c"${INGEST_CLIENTS:-16}" -d"${INGEST_SECONDS:-60}s" --timeout 30s -s bench/ingest.lua \
  "http://127.0.0.1:$HOOKD_PORT/" | grep -E "requests in|Non-2xx|Socket errors" || true
sleep 5  # let the deliveries of the last messages finish
echo "accepted: $(metric 'hookd_ingest_requests_total{outcome="accepted"}') messages; delivered: \
$(metric 'hookd_delivery_attempts_total{outcome="success"}') (claimed $(metric 'hookd_deliveries_started_total{source="claim"}'), \
handed over as written $(metric 'hookd_deliveries_started_total{source="handoff"}')); profile in $OUT (written when hookd stops)"
stop_hookd
