#!/usr/bin/env bash
# Start the action server (:5055) and the Rasa server (:5005) and stop both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1 HF_HUB_OFFLINE=1
# Serving: one TensorFlow thread per process (small models; several workers share the cores).
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
export TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
RASA_PORT="${RASA_PORT:-5005}"
ACTION_PORT="${ACTION_PORT:-5055}"
mkdir -p var/log
# Rasa server processes (SANIC_WORKERS, environment or .env): 1 by default; more (one per core)
# need the Redis lock store (REDIS_URL).
read -r SANIC_WORKERS has_redis < <("$BIN/python" -c \
  'from bot.settings import get_settings as g; s = g(); print(s.sanic_workers, int(bool(s.redis_url)))')
export SANIC_WORKERS
if [ "$SANIC_WORKERS" != 1 ] && [ "$has_redis" != 1 ]; then
  echo "SANIC_WORKERS=$SANIC_WORKERS needs REDIS_URL=redis://host:6379/1 (shared conversation locks)." >&2
  exit 2
fi

"$BIN/python" -m bot db upgrade
# REST, console and outreach always; Telegram and Zalo when their settings are set.
"$BIN/python" -m bot channels credentials --base credentials.yml --out var/credentials.yml

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the assistant…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "Stopped."
}
trap stop INT TERM EXIT

"$BIN/rasa" run actions --actions actions --port "$ACTION_PORT" > var/log/actions.log 2>&1 &
pids+=($!)
"$BIN/rasa" run --model models/tro-ly.tar.gz --endpoints endpoints.yml --credentials var/credentials.yml \
  --enable-api --port "$RASA_PORT" --log-file var/log/rasa.log &
pids+=($!)

echo "Waiting for the assistant to start…"
for _ in $(seq 1 180); do
  if curl -fsS "http://localhost:${RASA_PORT}/status" >/dev/null 2>&1; then break; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "A server stopped during start-up; see var/log/." >&2; exit 1; }
  done
  sleep 1
done
cat <<MSG

The assistant is running.
  Talk to it:   curl -s localhost:${RASA_PORT}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
                  -d '{"sender": "demo", "message": "xin chào"}'
  HTTP API:     http://localhost:${RASA_PORT}/ (status: /status)
  Actions:      http://localhost:${ACTION_PORT}/health
  Console:      http://localhost:${RASA_PORT}/webhooks/console/ (account: .venv/bin/python -m bot staff add NAME --password-stdin)
  Logs:         var/log/rasa.log, var/log/actions.log
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
