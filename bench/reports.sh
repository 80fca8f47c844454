#!/usr/bin/env bash
# Report benchmark: a site with 10 million clicks and about 200,000
# conversions over 365 days (affrank demo-data: 20,000 Zipf-like keywords on
# 5,000 pages), then p50/p95 of every report endpoint for a 30-day and a
# 365-day range, beside the same report computed from the raw tables in the
# same run, and whether every p95 is under 50 ms. Fails if a report's
# figures differ from the raw tables'.
#
#   bench/reports.sh                  # generate (several minutes), measure, drop the database
#   KEEP=1 bench/reports.sh           # keep the database (affrank_reports_bench) afterwards
#   REUSE=1 bench/reports.sh          # measure the kept database again, no generation
#   CLICKS=1000000 bench/reports.sh   # a smaller site
set -euo pipefail
cd "$(dirname "$0")/.."

CLICKS=${CLICKS:-10000000}
DAYS=${DAYS:-365}
REQUESTS=${REQUESTS:-60}
DB=${REPORTS_BENCH_DB:-affrank_reports_bench}
PG_BASE=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/}
PG_BASE=${PG_BASE%/}
DBURL="$PG_BASE/$DB"
# About 200,000 conversions at 10 million clicks: 2.06% of the 96% human clicks, plus 1% unmatched.
RATE=${CONVERSION_RATE:-0.0206}

cargo build --release --quiet --bin affrank --example report_bench
BIN=target/release/affrank
WORK=$(mktemp -d)
cleanup() {
  [ -n "${SIDECAR_PID:-}" ] && kill "$SIDECAR_PID" 2>/dev/null && wait "$SIDECAR_PID" 2>/dev/null || true
  if [ -z "${KEEP:-}" ] && [ -z "${REUSE:-}" ]; then
    psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

KEY="afk_bench$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
if [ -n "${REUSE:-}" ]; then
  SITE=$(psql -tA "$DBURL" -c "SELECT id FROM sites ORDER BY created_at LIMIT 1")
  [ -n "$SITE" ] || { echo "no site in $DB: run KEEP=1 bench/reports.sh first" >&2; exit 1; }
  echo "reusing $DB (site $SITE)" >&2
else
  psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
  SITE=$(DATABASE_URL=$DBURL RUST_LOG=warn "$BIN" site add --name "Bench blog" --url https://blog.example --json \
    --data-dir "$WORK/data" | python3 -c 'import json,sys; print(json.load(sys.stdin)["site_id"])')
  echo "generating $CLICKS clicks over $DAYS days for site $SITE..." >&2
  DATABASE_URL=$DBURL RUST_LOG=warn "$BIN" demo-data --site "$SITE" --clicks "$CLICKS" --days "$DAYS" \
    --seed 1 --conversion-rate "$RATE" --data-dir "$WORK/data"
  psql -q "$DBURL" -c "VACUUM ANALYZE" >/dev/null
fi
# The API key is shown once at creation; give the site a fresh one we know.
psql -q "$DBURL" -c "UPDATE sites SET api_key_hash = sha256(convert_to('$KEY', 'UTF8')) WHERE id = '$SITE'" >/dev/null
LAST=$(psql -tA "$DBURL" -c "SELECT max(day) FROM report_site_day WHERE site_id = '$SITE'")
psql -tA "$DBURL" -c "SELECT format('%s clicks, %s conversions, %s report_day rows, %s checkpoint rows, data up to %s', \
  (SELECT count(*) FROM clicks), (SELECT count(*) FROM conversions), (SELECT count(*) FROM report_day), \
  (SELECT count(*) FROM report_checkpoint), '$LAST')" >&2

PORT=$(free_port)
DATABASE_URL=$DBURL RUST_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" --public-url "http://127.0.0.1:$PORT" \
  --data-dir "$WORK/data" &
SIDECAR_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

target/release/examples/report_bench "http://127.0.0.1:$PORT" "$KEY" "$DBURL" "$SITE" "$LAST" "$REQUESTS"
