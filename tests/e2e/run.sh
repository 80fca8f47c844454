#!/usr/bin/env bash
# End-to-end test of the AffRank plugin, from nothing: a WordPress core
# (AFFRANK_WP_ROOT, default Debian's; see tests/wordpress/lib.sh) on the
# running MariaDB (random database), served by `php -S`; the sidecar
# binary on a fresh PostgreSQL database (random name); the plugin copied in,
# activated and connected; Debian's nginx in front of both, as the README's
# deployment puts it (the blog's address is nginx's: /go/ goes to the
# sidecar, falling back to WordPress while the sidecar is down, everything
# else to WordPress); then tests/e2e/e2e.mjs drives HTTP and headless
# Chromium through issue 5's end-to-end steps and issue 18's fallback.
# Everything is removed on exit.
#
# Env: AFFRANK_BIN (default $REPO/target/debug/affrank),
#      AFFRANK_PG_URL (default postgres://postgres@127.0.0.1:5432),
#      AFFRANK_E2E_RESULT (file that receives "passed failed skipped"),
#      AFFRANK_SCREENSHOTS (where the wp-admin screenshots go; default a
#      directory removed on exit, so a test run leaves the tree clean: set it
#      to docs/screenshots to refresh the README's).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../wordpress/lib.sh"

BIN="${AFFRANK_BIN:-$REPO/target/debug/affrank}"
PG_URL="${AFFRANK_PG_URL:-postgres://postgres@127.0.0.1:5432}"
RESULT="${AFFRANK_E2E_RESULT:-/dev/null}"

fail_setup() {
  echo "e2e: $*" >&2
  echo "0 1 0" >"$RESULT"
  exit 1
}
[ -x "$BIN" ] || fail_setup "no sidecar binary at $BIN (build it with cargo build, or set AFFRANK_BIN)"
[ -d "$HERE/node_modules/playwright-core" ] || fail_setup "run scripts/install-plugin-deps first (npm ci in tests/e2e)"

RUN="e2e-$(random_suffix)"
DIR="$(mktemp -d /tmp/affrank-e2e.XXXXXX)"
PG_DB="affrank_${RUN//-/_}"
SIDECAR_PID=""
cleanup() {
  if [ -n "$SIDECAR_PID" ]; then
    kill -CONT "$SIDECAR_PID" 2>/dev/null || true
    kill "$SIDECAR_PID" 2>/dev/null || true
    wait "$SIDECAR_PID" 2>/dev/null || true
  fi
  # The sidecar e2e.mjs started again after stopping this one.
  if [ -s "$DIR/sidecar-restarted.pid" ]; then
    kill -CONT "$(cat "$DIR/sidecar-restarted.pid")" 2>/dev/null || true
    kill "$(cat "$DIR/sidecar-restarted.pid")" 2>/dev/null || true
  fi
  [ -s "$DIR/nginx/nginx.pid" ] && kill "$(cat "$DIR/nginx/nginx.pid")" 2>/dev/null || true
  wp_destroy
  psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

# --- The sidecar on a fresh database -------------------------------------
SIDECAR_PORT=$(free_port)
SIDECAR_URL="http://127.0.0.1:$SIDECAR_PORT"
WP_PORT=$(free_port)
NGINX_PORT=$(free_port)
# The blog's address is nginx's; php -S on WP_PORT is only nginx's upstream.
BLOG_URL="http://127.0.0.1:$NGINX_PORT"
psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
export DATABASE_URL="$PG_URL/$PG_DB" AFFRANK_DATA_DIR="$DIR/sidecar" AFFRANK_PUBLIC_URL="$SIDECAR_URL"
mkdir -p "$AFFRANK_DATA_DIR"
"$BIN" migrate >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; fail_setup "affrank migrate failed"; }
"$BIN" site add --name "Trail & Gear Notes" --url "$BLOG_URL" --json >"$DIR/site.json" 2>"$DIR/site-add.log" \
  || { cat "$DIR/site-add.log" >&2; fail_setup "affrank site add failed"; }
"$BIN" serve --listen "127.0.0.1:$SIDECAR_PORT" --public-url "$SIDECAR_URL" >"$DIR/sidecar.log" 2>&1 &
SIDECAR_PID=$!
wait_for_http "$SIDECAR_URL/healthz" 30 || { tail -20 "$DIR/sidecar.log" >&2; fail_setup "the sidecar did not come up"; }
API_KEY=$(php -r 'echo json_decode(file_get_contents($argv[1]), true)["api_key"];' "$DIR/site.json")

# --- nginx in front of both -------------------------------------------------
# The README's "2b" set-up: /go/ to the sidecar, and to WordPress's
# /?affrank_go={id} when the sidecar cannot answer; everything else to
# WordPress. Run by hand (no service), everything under $DIR/nginx.
[ -x /usr/sbin/nginx ] || fail_setup "no nginx (run scripts/install-plugin-deps: nginx-light)"
mkdir -p "$DIR/nginx"
NGINX_USER=""
# As root, workers would run as nobody, who cannot write the temp paths here.
[ "$(id -u)" -eq 0 ] && NGINX_USER="user root;"
cat >"$DIR/nginx/nginx.conf" <<NGINX
$NGINX_USER
worker_processes 1;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log;
events { worker_connections 256; }
http {
  access_log $DIR/nginx/access.log;
  client_body_temp_path $DIR/nginx; proxy_temp_path $DIR/nginx; fastcgi_temp_path $DIR/nginx;
  uwsgi_temp_path $DIR/nginx; scgi_temp_path $DIR/nginx;
  client_max_body_size 16m;
  upstream affrank {
    server 127.0.0.1:$SIDECAR_PORT max_fails=0;
    keepalive 8;
  }
  upstream wordpress {
    server 127.0.0.1:$WP_PORT;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location /go/ {
      proxy_pass http://affrank;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_connect_timeout 2s;
      proxy_read_timeout 5s;
      proxy_intercept_errors on;
      error_page 502 503 504 = @affrank_fallback;
    }
    location @affrank_fallback {
      rewrite "^/go/([A-Za-z0-9_-]{1,64})\$" /?affrank_go=\$1? last;
      return 404;
    }
    location / {
      proxy_pass http://wordpress;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
NGINX
/usr/sbin/nginx -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" \
  || { cat "$DIR/nginx/error.log" >&2; fail_setup "nginx did not start"; }

# --- WordPress with the plugin --------------------------------------------
wp_create "$RUN" "$BLOG_URL" "$DIR/wp" >/dev/null
wp_serve "$WP_PORT"
# Posts: the review (step 1), and two never rendered before step 4.
POST_A=$(wp_php "$HERE/wp/create-post.php" "The best hiking boots of 2026" best-hiking-boots "$HERE/fixtures/review-post.html" "best hiking boots")
POST_B=$(wp_php "$HERE/wp/create-post.php" "Tent deals" tent-deals "$HERE/fixtures/cold-post.html")
POST_C=$(wp_php "$HERE/wp/create-post.php" "Stove deals" stove-deals "$HERE/fixtures/cold-post.html")
# Two more reviews, so the report screens show more than one keyword and page.
POST_D=$(wp_php "$HERE/wp/create-post.php" "Trail running shoes that grip" trail-running-shoes "$HERE/fixtures/trail-shoes-post.html" "trail running shoes")
POST_E=$(wp_php "$HERE/wp/create-post.php" "The lightest one-person tent" ultralight-tent "$HERE/fixtures/tents-post.html" "ultralight tent")
# A review with a CJ and an Amazon link, for the report imports (#15).
POST_F=$(wp_php "$HERE/wp/create-post.php" "A cast iron skillet for hob and campfire" cast-iron-skillet "$HERE/fixtures/skillet-post.html" "cast iron skillet")
# The Theme Unit Test Data posts, each with one affiliate link mixed in.
wp_php "$HERE/wp/import-posts.php" "$HERE/fixtures/theme-test-posts.json" >"$DIR/theme-posts.txt"
# The pages before the plugin is connected: the reference for "unchanged".
curl -sf "$POST_A" >"$DIR/original.html"
mkdir -p "$DIR/theme-original"
n=0
while read -r url; do
  curl -sf "$url" >"$DIR/theme-original/$n.html"
  n=$((n + 1))
done <"$DIR/theme-posts.txt"
wp_php "$HERE/wp/configure.php" "$SIDECAR_URL" "$API_KEY" >/dev/null

# --- The checks ------------------------------------------------------------
cd "$HERE"
BLOG_URL="$BLOG_URL" SIDECAR_URL="$SIDECAR_URL" SIDECAR_PID="$SIDECAR_PID" \
AFFRANK_BIN="$BIN" SIDECAR_PORT="$SIDECAR_PORT" SIDECAR_RESTART_PID="$DIR/sidecar-restarted.pid" SIDECAR_RESTART_LOG="$DIR/sidecar-restarted.log" \
WP_PASSWORD="$WP_ADMIN_PASSWORD" WP_NAME="$RUN" WP_DEBUG_LOG="$DIR/wp/debug.log" WP_VERSION="$(wp_version)" \
POST_A="$POST_A" POST_B="$POST_B" POST_C="$POST_C" POST_D="$POST_D" POST_E="$POST_E" POST_F="$POST_F" ORIGINAL_HTML="$DIR/original.html" \
THEME_POSTS="$DIR/theme-posts.txt" THEME_ORIGINALS="$DIR/theme-original" \
SITE_JSON="$DIR/site.json" DATABASE_URL="$DATABASE_URL" \
SCREENSHOTS="${AFFRANK_SCREENSHOTS:-$DIR/screenshots}" RESULT="$RESULT" \
  node e2e.mjs
