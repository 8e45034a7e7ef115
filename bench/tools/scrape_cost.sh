#!/usr/bin/env bash
# CPU hookd spends on one /metrics scrape with SCRAPE_STORED delivered messages in its store (default
# 1,000,000, written by bench_preload --state history): the queue gauges count the whole store.
#   bench/tools/scrape_cost.sh [HOOKD ...]   (each binary in turn, on a copy of the same store; with an older
#   binary among them, set PRELOAD_BIN to that build's bench_preload: a newer schema is refused)
source "$(dirname "$0")/../lib.sh"
N="${SCRAPE_STORED:-1000000}"
BINS=("$@"); [ ${#BINS[@]} -gt 0 ] || BINS=("$HOOKD_BIN")
make_payloads
preload --data-dir "$WORK/history" --endpoint "http://127.0.0.1:9/unused" --messages "$N" --state history
for bin in "${BINS[@]}"; do
  need "$bin"
  rm -rf "$WORK/copy"; cp -r "$WORK/history" "$WORK/copy"
  HOOKD_BIN="$bin"
  start_hookd "$WORK/copy"
  t0=$(date +%s.%N)
  cpu=$(scrape_cpu)
  t1=$(date +%s.%N)
  echo "$bin, $N stored: $cpu CPU s and $(calc "($t1 - $t0) / 10") s a scrape"
  stop_hookd
done
