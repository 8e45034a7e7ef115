#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and multi-node runs on this machine.
#   scripts/pg-cluster.sh start [DIR]   initdb (as an unprivileged user when run as root) and start postgres
#                                       on a free loopback port; prints the URL to use, e.g.
#                                       HOOKD_TEST_PG_URL=$(scripts/pg-cluster.sh start /tmp/pg) or
#                                       hookd serve --store "$(cat /tmp/pg/url)"
#   scripts/pg-cluster.sh stop DIR      stop it and remove DIR
# The unit tests start their own cluster when HOOKD_TEST_PG_URL is not set (tests/unit/pg_cluster.cpp).
set -euo pipefail

user=hookdtest
bin=${HOOKD_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg-cluster: PostgreSQL server binaries not found; run scripts/setup.sh (installs postgresql)" >&2
  exit 1
fi

as_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case "${1:-}" in
  start)
    dir=${2:-$(mktemp -d /tmp/hookd-pg-XXXXXX)}
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
      id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
      chown "$user" "$dir"
    fi
    as_user "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync --no-instructions -E UTF8 --locale=C \
      >"$dir/setup.log" 2>&1
    port=$(free_port)
    as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -k $dir -c max_connections=300 ${HOOKD_PG_OPTIONS:-}" \
      start >>"$dir/setup.log" 2>&1
    url="postgresql://postgres@127.0.0.1:$port/postgres"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
  stop)
    dir=${2:?usage: pg-cluster.sh stop DIR}
    [ -d "$dir/data" ] && as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start [DIR] | stop DIR" >&2
    exit 2
    ;;
esac
