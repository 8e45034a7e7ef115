#!/usr/bin/env bash
# Delivery capacity on PostgreSQL, fan-out 1 and 10: delivery.sh's method (a preloaded backlog drained by one
# hookd node to nginx, every attempt recorded) on a throwaway PostgreSQL cluster (scripts/pg-cluster.sh,
# durable: fsync and synchronous_commit on) instead of the embedded SQLite store. Loopback only.
#   PG_DELIVERY_DELIVERIES (default 20000), DELIVERY_FANOUTS (default "1 10")
source "$(dirname "$0")/../lib.sh"
need "$HOOKD_BIN"
DELIVERIES="${PG_DELIVERY_DELIVERIES:-20000}"
# The cluster's directory must be reachable by the unprivileged user that runs postgres: not inside $WORK.
PG_DIR=$(mktemp -d /tmp/hookd-bench-pg-XXXXXX)
trap 'scripts/pg-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true; bench_cleanup' EXIT
PG_URL=$(scripts/pg-cluster.sh start "$PG_DIR")
export HOOKD_SECRET_KEY=${HOOKD_SECRET_KEY:-$("$HOOKD_BIN" secrets generate-key)}
start_nginx
nginx_ceiling
make_payloads
header "delivery on PostgreSQL (preloaded backlog, drained by one hookd node)"
row "ceiling: wrk -> nginx, keep-alive POST 1 KB" "$CEIL_NGINX req/s" "" ""
for fanout in ${DELIVERY_FANOUTS:-1 10}; do
  db="hookd_drain_$fanout"
  psql "$PG_URL" -q -c "CREATE DATABASE $db"
  store="${PG_URL%/postgres}/$db"
  fanout_endpoints "$fanout"
  log "fan-out $fanout: preloading $DELIVERIES deliveries"
  preload --store "$store" "${ENDPOINT_ARGS[@]}" --messages $((DELIVERIES / fanout))
  measure_drain "$WORK/pg-delivery-$fanout" "$DELIVERIES" 600 --store "$store"
  row "hookd delivery on PostgreSQL, fan-out $fanout ($DRAIN_RECORDED recorded in ${DRAIN_SECONDS} s)" \
    "$DRAIN_RATE del/s" "nginx keep-alive" "$(calc "$DRAIN_RATE / $CEIL_NGINX")"
  row "  CPU per 1,000 deliveries (hookd alone), fan-out $fanout" "$DRAIN_CPU_PER_1K s" "" ""
  row "  busiest threads, fan-out $fanout" "$DRAIN_THREADS" "" ""
done
