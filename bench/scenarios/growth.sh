#!/usr/bin/env bash
# Growth: the delivery rate of new work with 100,000 and with GROWTH_MESSAGES messages already stored and
# delivered (target: within 10 % of each other). `bench_preload --state history` writes the history straight
# into the SQLite tables (each message with its succeeded delivery and one successful attempt, the rows
# record_outcomes leaves; the store interface loads only a few thousand a second), then adds GROWTH_NEW
# pending deliveries through the store interface; hookd starts on it and drains them (as in delivery.sh).
#   GROWTH_MESSAGES (default 10000000: about 23 GB of disk under BENCH_TMP, default /tmp, and about 10 min
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
  preload --data-dir "$dir" --endpoint "http://127.0.0.1:$NGINX_PORT/hook" --messages "$stored" --state history
  preload --data-dir "$dir" --endpoint "http://127.0.0.1:$NGINX_PORT/hook" --messages "$NEW"
  size=$(du -sh "$dir" | cut -f1)
  measure_drain "$dir" "$NEW" 1800
  RATE[$stored]=$DRAIN_RATE
  row "hookd delivery with $stored stored ($size on disk)" "$DRAIN_RATE del/s" "nginx keep-alive" \
    "$(calc "$DRAIN_RATE / $CEIL_NGINX")"
  row "  CPU per 1,000 deliveries / peak RSS" "$DRAIN_CPU_PER_1K s / $DRAIN_HWM_MIB MiB" "" ""
  start_hookd "$dir"
  row "  CPU per /metrics scrape, $stored stored" "$(scrape_cpu) s" "" ""
  stop_hookd
  rm -rf "$dir"
done
row "rate at $LARGE stored vs at $SMALL" "" "target >= 0.90" "$(calc "${RATE[$LARGE]} / ${RATE[$SMALL]}")"
