#!/usr/bin/env bash
# Growth: the delivery rate of new work with 100,000 and with GROWTH_MESSAGES messages already stored and
# delivered (target: within 10 % of each other). bench_preload fills the store through the store interface
# (create_message, then claim_due and record_outcomes with a successful attempt, as the dispatcher does),
# then adds GROWTH_NEW pending deliveries; hookd starts on it and drains them (measured as in delivery.sh).
#   GROWTH_MESSAGES (default 10000000: about 16 GB of disk under BENCH_TMP, default /tmp, and 15-30 min
#   of loading on the 2-core VM); GROWTH_SMALL (default 100000); GROWTH_NEW (default 100000)
source "$(dirname "$0")/../lib.sh"
need "$HOOKD_BIN"
LARGE="${GROWTH_MESSAGES:-10000000}"
SMALL="${GROWTH_SMALL:-100000}"
NEW="${GROWTH_NEW:-100000}"
start_nginx
nginx_ceiling
make_payloads
header "growth (delivery of $NEW new deliveries with $SMALL and $LARGE messages already stored)"
row "ceiling: wrk -> nginx, keep-alive POST 1 KB" "$CEIL_NGINX req/s" "" ""
declare -A RATE
for stored in "$SMALL" "$LARGE"; do
  dir="$WORK/growth-$stored"
  log "storing $stored delivered messages"
  preload --data-dir "$dir" --endpoint "http://127.0.0.1:$NGINX_PORT/hook" --messages "$stored" --state delivered
  preload --data-dir "$dir" --endpoint "http://127.0.0.1:$NGINX_PORT/hook" --messages "$NEW"
  size=$(du -sh "$dir" | cut -f1)
  measure_drain "$dir" "$NEW" 1800
  RATE[$stored]=$DRAIN_RATE
  row "hookd delivery with $stored stored ($size on disk)" "$DRAIN_RATE del/s" "nginx keep-alive" \
    "$(calc "$DRAIN_RATE / $CEIL_NGINX")"
  row "  CPU per 1,000 deliveries / peak RSS" "$DRAIN_CPU_PER_1K s / $DRAIN_HWM_MIB MiB" "" ""
  rm -rf "$dir"
done
row "rate at $LARGE stored vs at $SMALL" "" "target >= 0.90" "$(calc "${RATE[$LARGE]} / ${RATE[$SMALL]}")"
