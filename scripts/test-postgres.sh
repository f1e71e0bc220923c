#!/usr/bin/env bash
# Start a throw-away PostgreSQL 15 server for the tests, or stop it.
#   eval "$(scripts/test-postgres.sh start)"   → exports TEST_POSTGRES_URL and TEST_POSTGRES_DIR
#   scripts/test-postgres.sh stop "$TEST_POSTGRES_DIR"
# PostgreSQL refuses to run as root, so the server runs as the `postgres` user in a temporary
# directory it owns, on a spare port, listening on 127.0.0.1 only.
set -euo pipefail
bindir="$(pg_config --bindir 2>/dev/null || true)"
[ -x "$bindir/initdb" ] || bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found (initdb); install postgresql-15" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }

case "${1:-}" in
  start)
    dir="$(mktemp -d /tmp/tro-ly-pg.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    as_postgres "'$bindir/initdb' -D '$dir/data' -U postgres -A trust -E UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1"
    as_postgres "'$bindir/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
      -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
    as_postgres "'$bindir/createdb' -h 127.0.0.1 -p $port -U postgres tro_ly_test"
    echo "export TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/tro_ly_test TEST_POSTGRES_DIR=$dir"
    ;;
  stop)
    dir="${2:?usage: stop DIR}"
    as_postgres "'$bindir/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null" || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
