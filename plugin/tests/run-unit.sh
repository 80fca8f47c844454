#!/usr/bin/env bash
# Runs the plugin's PHPUnit tests in a throw-away WordPress with AffRank
# active, and a fake sidecar served over real HTTP. Everything it creates
# (database, config file, directories, servers) is removed on exit.
# AFFRANK_WP_ROOT picks the WordPress core (default Debian's; see
# tests/wordpress/lib.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../tests/wordpress/lib.sh"

NAME="unit-$(random_suffix)"
DIR="$(mktemp -d /tmp/affrank-unit.XXXXXX)"
FAKE_PID=""
cleanup() {
  [ -n "$FAKE_PID" ] && kill -- "-$FAKE_PID" 2>/dev/null || true
  wp_destroy
  rm -rf "$DIR"
}
trap cleanup EXIT

wp_create "$NAME" "http://$NAME.test" "$DIR" >/dev/null

FAKE_PORT=$(free_port)
mkdir -p "$DIR/fake-log"
# Several workers: the "slow" mode must not hold up the next test.
# Its own process group (setsid), so cleanup stops the workers with it.
PHP_CLI_SERVER_WORKERS=4 AFFRANK_FAKE_SIDECAR_LOG="$DIR/fake-log" setsid php -S "127.0.0.1:$FAKE_PORT" "$HERE/fixtures/fake-sidecar.php" >"$DIR/fake.log" 2>&1 &
FAKE_PID=$!
wait_for_http "http://127.0.0.1:$FAKE_PORT/ok/healthz"
rm -f "$DIR/fake-log"/*

cd "$HERE/.."
echo "WordPress $(wp_version) at $WP_ROOT"
AFFRANK_WP_CONFIG="$NAME" AFFRANK_WP_URL="http://$NAME.test" \
AFFRANK_FAKE_SIDECAR="http://127.0.0.1:$FAKE_PORT" AFFRANK_FAKE_SIDECAR_LOG="$DIR/fake-log" \
  phpunit "$@"
