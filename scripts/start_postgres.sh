#!/usr/bin/env bash
# Start a throw-away PostgreSQL (Debian package) on a loopback port for the tests and
# benchmarks, and print the URL to export as ZEROPARK_TEST_POSTGRES_URL.
#   usage: scripts/start_postgres.sh [PORT] [DATADIR]     (run as root or as postgres)
# Installs the `postgresql` package when no server binaries are found (needs root).
set -euo pipefail
PORT="${1:-54329}"
PGDATA="${2:-/var/tmp/zeropark-pg-$PORT}"
BIN=""
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && BIN="$dir"; done
if [ -z "$BIN" ]; then
  if [ "$(id -u)" != "0" ]; then echo "postgresql missing and not root" >&2; exit 1; fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql >/dev/null
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && BIN="$dir"; done
fi
as_pg() { if [ "$(id -un)" = "postgres" ]; then "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi; }
if ! as_pg "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA" 2>/dev/null || true
    as_pg "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
  fi
  as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -o \
    "-p $PORT -c listen_addresses=127.0.0.1 -k /tmp -c max_connections=200 -c fsync=off" start >&2
fi
PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'zeropark'")" != "1" ]; then
  "${PSQL[@]}" -c "CREATE ROLE zeropark LOGIN PASSWORD 'zeropark'" >&2
fi
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'zeropark'")" != "1" ]; then
  "${PSQL[@]}" -c "CREATE DATABASE zeropark OWNER zeropark" >&2
fi
echo "postgresql://zeropark:zeropark@127.0.0.1:$PORT/zeropark"
