#!/usr/bin/env bash
# Runs the Python client against a fresh server: proof that a service in another language can use
# quotedesk. Usage: examples/python/run.sh [path/to/quotedesk]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/debug/quotedesk}
STORY=${QUOTEDESK_SHARED:-../shared}/data/seed/lavrov-pyongyang.txt
VENV=${PYTHON_VENV:-target/python-example-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r examples/python/requirements.txt

DATA=$(mktemp -d)
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" serve --listen "127.0.0.1:$PORT" --metrics-listen off --data-dir "$DATA" 2>"$DATA.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA" "$DATA.log"' EXIT
for _ in $(seq 100); do
  (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
"$VENV/bin/python" examples/python/client.py "127.0.0.1:$PORT" "$STORY"
