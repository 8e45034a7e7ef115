#!/usr/bin/env bash
# Backlog: BACKLOG_MESSAGES pending deliveries (one endpoint, "receiver down": preloaded through the store
# interface while hookd is not running, see delivery.sh), then hookd starts with the receiver (nginx) up:
# drain rate and peak RSS (target: under 300 MiB with 1,000,000 pending).
#   BACKLOG_MESSAGES (default 1000000; about 1.5 GB of disk)
source "$(dirname "$0")/../lib.sh"
need "$HOOKD_BIN"
MESSAGES="${BACKLOG_MESSAGES:-1000000}"
start_nginx
nginx_ceiling
make_payloads
header "backlog ($MESSAGES pending deliveries, then the receiver is up)"
log "preloading $MESSAGES pending deliveries"
preload --data-dir "$WORK/backlog" --endpoint "http://127.0.0.1:$NGINX_PORT/hook" --messages "$MESSAGES"
row "store size before the drain" "$(du -sh "$WORK/backlog" | cut -f1)" "" ""
measure_drain "$WORK/backlog" "$MESSAGES" 3600
row "ceiling: wrk -> nginx, keep-alive POST 1 KB" "$CEIL_NGINX req/s" "" ""
row "hookd backlog drain ($DRAIN_RECORDED recorded in ${DRAIN_SECONDS} s)" "$DRAIN_RATE del/s" "nginx keep-alive" \
  "$(calc "$DRAIN_RATE / $CEIL_NGINX")"
row "  peak RSS while draining" "$DRAIN_HWM_MIB MiB" "target 300 MiB" "$(calc "$DRAIN_HWM_MIB / 300")"
row "  CPU per 1,000 deliveries" "$DRAIN_CPU_PER_1K s" "" ""
