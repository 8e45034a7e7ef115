#!/usr/bin/env bash
# `make run`: starts hookd on the embedded SQLite store with the seeds' catalogs and a demo tenant, and prints
# how to send a first event.
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN="${HOOKD_LISTEN:-127.0.0.1:8071}"
DATA_DIR="${HOOKD_DATA_DIR:-./hookd-data}"
TOKEN="${HOOKD_ADMIN_TOKEN:-}"
mkdir -p "$DATA_DIR"
if [ -z "$TOKEN" ]; then
  # A local demo token, kept in the data dir so restarts keep working. Set HOOKD_ADMIN_TOKEN in production.
  [ -f "$DATA_DIR/demo-admin-token" ] || head -c 18 /dev/urandom | base64 | tr '+/' '-_' > "$DATA_DIR/demo-admin-token"
  TOKEN="$(cat "$DATA_DIR/demo-admin-token")"
fi
URL="http://$LISTEN"
RECEIVER_PORT="${HOOKD_DEMO_RECEIVER_PORT:-8072}"
build/hookd serve --listen "$LISTEN" --data-dir "$DATA_DIR" --admin-token "$TOKEN" \
  --catalog booking-platform --catalog buq --catalog wink --allow-private-targets &
PID=$!
# A local receiver for the demo tenant's endpoint: answers 200 "ok" and logs what it gets.
node -e '
  const log = require("fs").createWriteStream(process.argv[2], { flags: "a" });
  require("http").createServer((req, res) => {
    let body = ""; req.on("data", (c) => body += c);
    req.on("end", () => { log.write(`${new Date().toISOString()} ${req.headers["webhook-id"]} ${body}\n`); res.end("ok"); });
  }).listen(Number(process.argv[1]), "127.0.0.1");' "$RECEIVER_PORT" "$DATA_DIR/receiver.log" &
RECEIVER_PID=$!
trap 'kill $PID ${RECEIVER_PID:-} ${DEMO_PID:-} 2>/dev/null; wait $PID 2>/dev/null' INT TERM EXIT
for _ in $(seq 1 100); do curl -sf "$URL/api/v1/health" >/dev/null && break; sleep 0.1; done
auth=(-H "authorization: Bearer $TOKEN" -H "content-type: application/json")
curl -sf "${auth[@]}" -X POST "$URL/api/v1/app?get_if_exists=true" -d '{"name":"Demo salon","uid":"demo-salon"}' >/dev/null
curl -sf "${auth[@]}" -X PUT "$URL/api/v1/app/demo-salon/endpoint/demo-receiver" \
  -d "{\"url\":\"http://127.0.0.1:$RECEIVER_PORT/webhooks\",\"description\":\"make run's local receiver\"}" >/dev/null
# Live traffic for the demo tenant: a simulated salon sending about two events a second until Ctrl-C.
build/hookd demo --url "$URL" --token "$TOKEN" --tenants demo-salon --rate 2 --duration 0 2>>"$DATA_DIR/demo.log" &
DEMO_PID=$!
PORTAL=$(curl -sf "${auth[@]}" -X POST "$URL/api/v1/auth/app-portal-access/demo-salon" -d '{"expiry":86400}' |
  sed -n 's/.*"url":"\([^"]*\)".*/\1/p')
# A first event: the booking.created example from the booking-platform catalog.
EXAMPLE=$(node -e 'const c=require("./catalogs/booking-platform.json");const t=c.eventTypes.find(t=>t.name==="booking.created");console.log(JSON.stringify({type:t.name,tenant_id:"demo-salon",data:t.examples[0].data}))')
cat <<MSG

hookd is running.
  API:          $URL/api/v1   (admin token: $TOKEN)
  Portal:       $URL/portal/  (operator view: paste the admin token)
  Demo tenant:  $PORTAL
  Metrics:      $URL/metrics

The demo tenant gets live simulated salon traffic (hookd demo, log: $DATA_DIR/demo.log), delivered to a
local receiver on 127.0.0.1:$RECEIVER_PORT (log: $DATA_DIR/receiver.log). Send an event yourself:
  curl -X POST $URL/api/v1/events -H 'authorization: Bearer $TOKEN' -H 'content-type: application/json' \\
    -d '$EXAMPLE'

Press Ctrl-C to stop.
MSG
wait $PID
