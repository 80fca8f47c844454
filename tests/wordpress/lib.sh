# Shell helpers to stand up a throw-away WordPress. Sourced by
# plugin/tests/run-unit.sh, tests/e2e/run.sh and scripts/test-plugin.
#
# Two WordPress cores: Debian's package (/usr/share/wordpress, the oldest
# version the plugin supports) and a newer one, WordPress Playground's core
# build that scripts/install-plugin-deps unpacks (WP_BUILD_ROOT). AFFRANK_WP_ROOT
# picks one; Debian's is the default. Both run the same way: PHP's built-in
# server on the running MariaDB.
#
# Each WordPress gets a random name used for its MariaDB database, its
# config file (/etc/wordpress/config-NAME.php, picked through the
# WORDPRESS_CONFIG variable that Debian's wp-config.php honours, and
# tests/wordpress/wp-config.php in the other core) and its own wp-content
# directory, so runs never share state with each other or with a real blog
# on the machine.

WP_HELPERS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$WP_HELPERS/../.." && pwd)"
WP_DEBIAN_ROOT=/usr/share/wordpress
# The newer core: which of the package's builds (see package.json), and where it is unpacked.
WP_BUILD=6.5
WP_BUILD_ROOT="$WP_HELPERS/core/wp-$WP_BUILD"
WP_ROOT="${AFFRANK_WP_ROOT:-$WP_DEBIAN_ROOT}"
# router.php, wp.php and the PHPUnit bootstrap read it from the environment.
export AFFRANK_WP_ROOT="$WP_ROOT"
MYSQL=(mysql --protocol=tcp -h "${AFFRANK_MYSQL_HOST:-127.0.0.1}" -P "${AFFRANK_MYSQL_PORT:-3306}" -u "${AFFRANK_MYSQL_USER:-root}")

random_suffix() { head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# wp_version [ROOT]: the WordPress version of a core (default: WP_ROOT).
wp_version() {
  php -r 'include $argv[1] . "/wp-includes/version.php"; echo $wp_version;' "${1:-$WP_ROOT}"
}

free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo explode(":", stream_socket_get_name($s, false))[1];'
}

wait_for_http() { # url [seconds]
  local url=$1 deadline=$(( $(date +%s) + ${2:-20} ))
  until curl -s -o /dev/null --max-time 2 "$url"; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for $url" >&2; return 1; }
    sleep 0.2
  done
}

# wp_create NAME URL DIR: database, config, content dir, site install, plugin copy + activation.
wp_create() {
  local name=$1 url=$2 dir=$3
  WP_NAME=$name WP_URL=$url WP_DIR=$dir WP_DB="affrank_${name//-/_}"
  WP_CONFIG_FILE="/etc/wordpress/config-$name.php"
  mkdir -p "$dir/wp-content/plugins" "$dir/wp-content/themes" "$dir/wp-content/uploads" "$dir/wp-content/mu-plugins"
  [ -f "$WP_ROOT/wp-load.php" ] || { echo "no WordPress at $WP_ROOT (run scripts/install-plugin-deps)" >&2; return 1; }
  # The core's own themes, so wp_install activates its default one.
  local theme
  for theme in "$WP_ROOT"/wp-content/themes/*/; do
    ln -sfn "${theme%/}" "$dir/wp-content/themes/$(basename "$theme")"
  done
  cp "$WP_HELPERS/mu-plugin.php" "$dir/wp-content/mu-plugins/affrank-test-env.php"
  rm -rf "$dir/wp-content/plugins/affrank"
  cp -r "$REPO/plugin/affrank" "$dir/wp-content/plugins/affrank"

  "${MYSQL[@]}" -e "CREATE DATABASE \`$WP_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  php "$WP_HELPERS/write-config.php" "$WP_CONFIG_FILE" "$WP_DB" "$url" "$dir/wp-content" "$dir/debug.log" \
    "${AFFRANK_MYSQL_HOST:-127.0.0.1}:${AFFRANK_MYSQL_PORT:-3306}" "${AFFRANK_MYSQL_USER:-root}"
  WP_ADMIN_PASSWORD="pw-$(random_suffix)"
  wp_php "$WP_HELPERS/install.php" "$WP_ADMIN_PASSWORD"
}

# wp_php SCRIPT [ARGS…]: run a PHP script with this WordPress loaded.
wp_php() {
  php "$WP_HELPERS/wp.php" "$WP_NAME" "$WP_URL" "$@"
}

# wp_serve PORT: php's built-in server in the background; sets WP_SERVER_PID.
wp_serve() {
  AFFRANK_WP_CONFIG="$WP_NAME" AFFRANK_WP_CONTENT="$WP_DIR/wp-content" AFFRANK_WP_ROOT="$WP_ROOT" \
    php -S "127.0.0.1:$1" -t "$WP_ROOT" "$WP_HELPERS/router.php" >"$WP_DIR/server.log" 2>&1 &
  WP_SERVER_PID=$!
  wait_for_http "$WP_URL/wp-login.php"
}

wp_destroy() {
  [ -n "${WP_SERVER_PID:-}" ] && kill "$WP_SERVER_PID" 2>/dev/null || true
  [ -n "${WP_DB:-}" ] && "${MYSQL[@]}" -e "DROP DATABASE IF EXISTS \`$WP_DB\`" || true
  [ -n "${WP_CONFIG_FILE:-}" ] && rm -f "$WP_CONFIG_FILE" || true
}
