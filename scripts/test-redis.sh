#!/usr/bin/env bash
# Start a throw-away Redis for the tests (Debian's redis-server, installed when missing), or stop it.
#   eval "$(scripts/test-redis.sh start)"   → exports TEST_REDIS_URL and TEST_REDIS_PORT
#   scripts/test-redis.sh stop "$TEST_REDIS_PORT"
set -euo pipefail
case "${1:-}" in
  start)
    if ! command -v redis-server >/dev/null 2>&1; then
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >&2
    fi
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    redis-server --save '' --appendonly no --port "$port" --bind 127.0.0.1 --daemonize yes \
      --logfile "/tmp/tro-ly-redis-$port.log" >&2
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "export TEST_REDIS_URL=redis://127.0.0.1:$port/1 TEST_REDIS_PORT=$port"
    ;;
  stop)
    redis-cli -p "${2:?usage: stop PORT}" shutdown nosave >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start | stop PORT" >&2; exit 2 ;;
esac
