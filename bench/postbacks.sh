#!/usr/bin/env bash
# Postback benchmark: in one run, (a) Debian's nginx answering every request
# with a static 200 JSON body (this machine's HTTP ceiling), (b) pgbench doing
# what a naive receiver does, one INSERT … ON CONFLICT DO NOTHING transaction
# per postback (synchronous_commit on), and (c) affrank's
# /api/v1/postbacks/{site} with everything included: auth, rate limits,
# dedupe, matching to the click, the log row, durability before the answer.
# Transaction ids are distinct but for a 20% share of repeats. Prints the
# rates, p50/p99 and the ratios, and fails unless the conversions stored
# equal the distinct transaction ids sent and every answer was 200.
#
#   bench/postbacks.sh             # 64 connections, 15 s per side
#   DURATION=30 bench/postbacks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PG_BASE=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/}
PG_BASE=${PG_BASE%/}

if ! need wrk || ! [ -x /usr/sbin/nginx ] || ! need pgbench; then
  echo "installing wrk, nginx and pgbench (Debian packages)..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light postgresql-contrib >/dev/null
fi

cargo build --release --quiet
BIN=target/release/affrank
WORK=$(mktemp -d)
DB="affrank_bench_$(python3 -c "import secrets; print(secrets.token_hex(5))")"
cleanup() {
  [ -n "${SIDECAR_PID:-}" ] && kill "$SIDECAR_PID" 2>/dev/null && wait "$SIDECAR_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  [ -n "${KEEP_DB:-}" ] && echo "kept database $DB" >&2 || psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  [ -f "$WORK/sidecar.log" ] && grep -E "WARN|ERROR" "$WORK/sidecar.log" | grep -v IncompleteMessage | sort | uniq -c | sort -rn | head -5 >&2 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# wrk output → "rate p50_ms p99_ms requests non2xx distinct"
parse_wrk() {
  python3 - "$1" <<'PY'
import re, sys
out = sys.argv[1]
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\b" % label, out, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
reqs = int(re.search(r"(\d+) requests in", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
distinct = re.search(r"DISTINCT (\d+)", out)
errors = re.search(r"Socket errors: (.*)", out)
print(f"{rate:.0f} {ms('50%'):.3f} {ms('99%'):.3f} {reqs} {bad.group(1) if bad else 0} {distinct.group(1) if distinct else 0}")
if errors: print("wrk: socket errors:", errors.group(1), file=sys.stderr)
PY
}
run_wrk() {  # url [script]; warm-up output is kept too, for its DISTINCT count
  local url=$1 script=${2:-} args=() warm out
  [ -n "$script" ] && args=(-s "$script")
  warm=$(RUN_TAG=warm wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${args[@]}" "$url")
  out=$(RUN_TAG=run wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${args[@]}" "$url")
  echo "$out" >&2
  sed -n 's/^DISTINCT //p' <<<"$warm" >"$WORK/warm-distinct"
  parse_wrk "$out"
}

# (a) nginx: a static 200
NGINX_PORT=$(free_port)
start_nginx "$NGINX_PORT" 'default_type application/json; return 200 '\''{"status":"matched"}'\'';'
echo "== (a) nginx static 200" >&2
read -r A_RATE A_P50 A_P99 _ _ _ < <(run_wrk "http://127.0.0.1:$NGINX_PORT/api/v1/postbacks/x?sid=a")
stop_nginx

psql -q "$PG_BASE/postgres" -c "CREATE DATABASE $DB" >/dev/null
DBURL="$PG_BASE/$DB"
SYNC=$(psql -tA "$DBURL" -c "SHOW synchronous_commit")

# (b) pgbench: one transaction per postback
psql -q "$DBURL" -c "CREATE TABLE naive (site text, transaction_id text, amount numeric, PRIMARY KEY (site, transaction_id))"
cat >"$WORK/naive.sql" <<'SQL'
\set n random(1, 2000000000)
INSERT INTO naive VALUES ('site', 'T' || :n, 12.50) ON CONFLICT DO NOTHING;
SQL
echo "== (b) pgbench, one INSERT ... ON CONFLICT DO NOTHING per transaction" >&2
B_OUT=$(pgbench -n -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -f "$WORK/naive.sql" -r "$DBURL" 2>&1)
echo "$B_OUT" | grep -E "tps|latency" >&2
B_RATE=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$B_OUT")

# (c) affrank
SITE=$(DATABASE_URL=$DBURL "$BIN" site add --name Bench --url https://blog.example --json --data-dir "$WORK/data")
json() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$SITE" "$1"; }
KEY=$(json api_key); SITE_ID=$(json site_id); SECRET=$(json postback_secret)
PORT=$(free_port)
DATABASE_URL=$DBURL RUST_LOG=warn AFFRANK_POSTBACK_SITE_RATE=1000000 AFFRANK_POSTBACK_SITE_BURST=1000000 \
  AFFRANK_POSTBACK_ADDRESS_RATE=1000000 AFFRANK_POSTBACK_ADDRESS_BURST=1000000 \
  "$BIN" serve --listen "127.0.0.1:$PORT" --public-url "http://127.0.0.1:$PORT" --data-dir "$WORK/data" 2>"$WORK/sidecar.log" &
SIDECAR_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
LINK=$(curl -fs -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"html":"<a href=\"https://www.shareasale.com/r.cfm?b=1&u=2&m=3\">x</a>","page_url":"https://blog.example/p/","keyword":"bench"}' \
  "http://127.0.0.1:$PORT/api/v1/rewrite" | python3 -c 'import json,sys; print(json.load(sys.stdin)["links"][0]["id"])')
SID=$(curl -s -o /dev/null -w '%{redirect_url}' -A "Mozilla/5.0 Chrome/131.0" "http://127.0.0.1:$PORT/go/$LINK" \
  | python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.stdin.read()).query)["affrank_sid"][0])')
export POSTBACK_PATH="/api/v1/postbacks/$SITE_ID?sid=$SID&amount=12.50&token=$SECRET"
echo "== (c) affrank postbacks (synchronous_commit=$SYNC)" >&2
read -r C_RATE C_P50 C_P99 C_REQS C_BAD C_DISTINCT < <(run_wrk "http://127.0.0.1:$PORT/" bench/postbacks.lua)
sleep 0.5
METRICS=$(curl -fs "http://127.0.0.1:$PORT/metrics")
BATCH=$(awk '/^affrank_postback_batch_size_(sum|count) /{v[$1]=$2} END{printf "%.1f", v["affrank_postback_batch_size_sum"]/v["affrank_postback_batch_size_count"]}' <<<"$METRICS")
RSS_KB=$(awk '/VmHWM/{print $2}' "/proc/$SIDECAR_PID/status")
kill "$SIDECAR_PID"; wait "$SIDECAR_PID" || true; SIDECAR_PID=
# Postbacks answered `queued` (spooled after a batch failed) are durable but
# reach the database only when a sidecar replays the spool: start one until
# the spool is empty, so the counts below include them.
spooled() { compgen -G "$WORK/data/spool/*.jsonl" >/dev/null || compgen -G "$WORK/data/spool/*.open" >/dev/null; }
if spooled; then
  echo "replaying the spool before counting..." >&2
  DATABASE_URL=$DBURL RUST_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" --public-url "http://127.0.0.1:$PORT" \
    --data-dir "$WORK/data" 2>>"$WORK/sidecar.log" &
  SIDECAR_PID=$!
  for _ in $(seq 600); do spooled || break; sleep 0.1; done
  kill "$SIDECAR_PID"; wait "$SIDECAR_PID" || true; SIDECAR_PID=
  spooled && echo "the spool was not replayed within 60 s" >&2
fi
read -r CONVERSIONS MATCHED < <(psql -tA -F' ' "$DBURL" -c "SELECT count(*), count(clicked_at) FROM conversions")
read -r LOG_ROWS RECEIVED_IDS < <(psql -tA -F' ' "$DBURL" -c \
  "SELECT count(*), count(DISTINCT params->>'transaction_id') FROM postback_log")
SENT_IDS=$((C_DISTINCT + $(cat "$WORK/warm-distinct")))

python3 - "$A_RATE" "$A_P50" "$A_P99" "$B_RATE" "$C_RATE" "$C_P50" "$C_P99" "$C_BAD" \
  "$RECEIVED_IDS" "$CONVERSIONS" "$MATCHED" "$LOG_ROWS" "$BATCH" "$RSS_KB" "$CONNECTIONS" "$DURATION" "$SENT_IDS" <<'PY'
import sys
a_rate, a50, a99, b_rate, c_rate, c50, c99 = map(float, sys.argv[1:8])
bad, expected, conversions, matched, log_rows = map(int, sys.argv[8:13])
batch, rss_kb, conns, dur, sent = sys.argv[13], int(sys.argv[14]), sys.argv[15], sys.argv[16], int(sys.argv[17])
print()
print(f"postback benchmark: {conns} connections, {dur} s each, load generator on the same 2-core machine")
print(f"{'':44}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
print(f"{'(a) nginx static 200':44}{a_rate:>10.0f}{a50:>10.2f}{a99:>10.2f}")
print(f"{'(b) pgbench, one transaction per postback':44}{b_rate:>10.0f}")
print(f"{'(c) affrank, everything included':44}{c_rate:>10.0f}{c50:>10.2f}{c99:>10.2f}")
met = "met" if c_rate >= 15000 else "MISSED"
print(f"c/a: {c_rate / a_rate:.2f}   c/b: {c_rate / b_rate:.2f}   target >= 15,000/s: {met}   "
      f"mean batch: {batch} postbacks/commit   peak RSS: {rss_kb / 1024:.1f} MB")
ok = conversions == expected and bad == 0 and matched == conversions
# wrk may stop with a few requests generated but never sent: the ids the
# sidecar received (its log) are what the conversions must equal.
ok = ok and expected <= sent <= expected + 2 * int(conns)
print(f"distinct transaction ids received: {expected} (generated: {sent}), conversions: {conversions} "
      f"(matched {matched}), log rows: {log_rows}, non-2xx: {bad} -> "
      + ("conversions == distinct ids" if ok else "MISMATCH"))
sys.exit(0 if ok else 1)
PY
