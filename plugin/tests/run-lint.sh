#!/usr/bin/env bash
# The WordPress Coding Standards checks of the plugin (plugin/affrank):
#
#   1. WordPress-Docs, which is made of PHP_CodeSniffer's own sniffs only, so
#      Debian's php-codesniffer runs it as WPCS does (phpcs/wordpress-docs.xml);
#   2. the PHP_CodeSniffer sniffs that WordPress-Core and WordPress-Extra
#      include, with WPCS's settings (phpcs/wordpress-core-extra-phpcs-sniffs.xml);
#   3. lint-wpcs.php: the WPCS and PHPCSExtra sniffs (WordPress.*, Universal.*)
#      the plugin has tripped, which need Packagist to install;
#   4. a self-test: lint-wpcs.php finds each of them in a file made to break them.
#
# No error and no warning is allowed: phpcs exits non-zero on either.
# Needs php-codesniffer (Debian). Prints "N passed, N failed" last.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PLUGIN="$HERE/../affrank"
passed=0 failed=0

if ! command -v phpcs >/dev/null; then
  echo "run-lint: phpcs is missing (apt-get install php-codesniffer)"
  echo "0 passed, 1 failed"
  exit 1
fi

check() {
  local name="$1"; shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAILED: $name"
  fi
}

check "phpcs: WordPress-Docs" phpcs -q -s --standard="$HERE/phpcs/wordpress-docs.xml" "$PLUGIN"
check "phpcs: WordPress-Core and WordPress-Extra, PHP_CodeSniffer's own sniffs" \
  phpcs -q -s --standard="$HERE/phpcs/wordpress-core-extra-phpcs-sniffs.xml" "$PLUGIN"
check "lint-wpcs.php: WPCS and PHPCSExtra sniffs" php "$HERE/lint-wpcs.php" "$PLUGIN"

self_test() {
  local dir out
  dir="$(mktemp -d /tmp/affrank-lint.XXXXXX)"
  cat >"$dir/bad.php" <<'PHP'
<?php
function affrank_bad( $list ) {
	$a = $list ?: 'x';
	$b = [ 1, 2 ];
	[ $c, $d ] = $b;
	if ( $a === 'x' && in_array( $c, $b ) ) {
		$e = array(
			'k'    => 1,
			'long' => 2,
			'kk'  => 3,
		);
	}
	return array( $e, $d, $b[0], array( 'x' => 1, 'y' => 2 ), array( 'z' => 3 ) );
}
PHP
  out="$(php "$HERE/lint-wpcs.php" "$dir")"
  rm -rf "$dir"
  # One finding per sniff; the short list, the index and the aligned arrows are fine.
  local sniff
  for sniff in NoReservedKeywordParameterNames DisallowShortTernary DisallowShortArraySyntax YodaConditions StrictInArray MultipleStatementAlignment AssociativeArrayFound; do
    if [ "$(grep -c "$sniff" <<<"$out")" -ne 1 ]; then
      echo "lint-wpcs.php should report $sniff once:"; echo "$out"; return 1
    fi
  done
  [ "$(grep -c '^/.*: ' <<<"$out")" -eq 7 ] || { echo "lint-wpcs.php reported more than it should:"; echo "$out"; return 1; }
}
check "lint-wpcs.php finds what it checks for" self_test

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
