#!/usr/bin/env bash
# Import benchmark: 100,000 generated rows (a generic CSV: transaction id,
# session id, amount with thousands separators, date, status, network),
# imported with `affrank import` into a fresh site, timed with its peak RSS
# (/usr/bin/time), against psql's `\copy` of the same rows into a plain
# table in the same run (the floor: parse + COPY, no checks, no merge).
# Then the same import again at 4x the rows, to show the memory is flat.
# Fails unless every row was imported.
#
#   bench/imports.sh            # 100,000 rows
#   ROWS=20000 bench/imports.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-100000}
PG_BASE=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/}
PG_BASE=${PG_BASE%/}
DB=affrank_bench_imports_$$
OUT=bench/out/imports
mkdir -p "$OUT"

[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet
BIN=target/release/affrank

psql -q "$PG_BASE/postgres" -c "CREATE DATABASE $DB"
trap 'psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null' EXIT
export DATABASE_URL="$PG_BASE/$DB"
"$BIN" migrate >/dev/null

generate() { # rows file
  python3 - "$1" "$2" <<'PY'
import random, string, sys
n, path = int(sys.argv[1]), sys.argv[2]
r = random.Random(7)
alnum = string.ascii_letters + string.digits
with open(path, "w") as f:
    f.write("Order ID,Sub ID,Commission,Date,Status,Network\n")
    for i in range(n):
        sub = "".join(r.choice(alnum) for _ in range(23)) if i % 3 else "newsletter-2024"
        amount = r.randint(1, 500000) / 100
        f.write(f'T{i:09d},{sub},"${amount:,.2f}",2024-{1 + i % 12:02d}-{1 + i % 28:02d} 12:{i % 60:02d}:00,'
                f'{"approved" if i % 4 else "pending"},{("awin", "cj", "impact")[i % 3]}\n')
PY
}

COLUMNS="transaction_id=Order ID,session_id=Sub ID,amount=Commission,date=Date,status=Status,network=Network"
run_import() { # rows
  local file=$OUT/rows-$1.csv site
  generate "$1" "$file"
  site=$("$BIN" site add --name bench --url https://bench.test --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["site_id"])')
  /usr/bin/time -f "%e %M" -o "$OUT/time-$1" "$BIN" import --site "$site" --columns "$COLUMNS" --json "$file" >"$OUT/result-$1.json"
  read -r secs rss <"$OUT/time-$1"
  imported=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["imported"])' "$OUT/result-$1.json")
  [ "$imported" = "$1" ] || { echo "imported $imported of $1 rows" >&2; exit 1; }
  echo "$secs $rss"
}

read -r secs rss < <(run_import "$ROWS")
psql -q "$DATABASE_URL" -c "CREATE TABLE plain (id text, sub text, commission text, date text, status text, network text)"
start=$(date +%s.%N)
psql -q "$DATABASE_URL" -c "\\copy plain FROM '$OUT/rows-$ROWS.csv' WITH (FORMAT csv, HEADER true)"
copy=$(python3 -c "import time; print(round(time.time() - $start, 2))")
read -r secs4 rss4 < <(run_import $((ROWS * 4)))

echo "imports: $ROWS rows in ${secs} s, peak RSS $((rss / 1024)) MiB (affrank import, everything included)"
echo "imports: \\copy of the same rows into a plain table: ${copy} s (the floor)"
echo "imports: $((ROWS * 4)) rows in ${secs4} s, peak RSS $((rss4 / 1024)) MiB (memory flat: same order as above)"
