<?php
/**
 * Runs a PHP script with a test WordPress loaded, the way wp-cli would.
 * Usage: php wp.php CONFIG_NAME URL SCRIPT.php [ARGS…]
 *        php wp.php CONFIG_NAME URL -r 'php code'
 * The script sees its own arguments in $args. AFFRANK_WP_ROOT picks the
 * WordPress core (tests/wordpress/lib.sh sets it; default Debian's).
 */

[ , $affrank_config, $affrank_url ] = $argv;
$args         = array_slice( $argv, 4 );
$affrank_root = getenv( 'AFFRANK_WP_ROOT' ) ?: '/usr/share/wordpress';

$_SERVER['WORDPRESS_CONFIG'] = $affrank_config;
$_SERVER['HTTP_HOST']        = (string) parse_url( $affrank_url, PHP_URL_HOST ) . ( parse_url( $affrank_url, PHP_URL_PORT ) ? ':' . parse_url( $affrank_url, PHP_URL_PORT ) : '' );
$_SERVER['SERVER_NAME']      = (string) parse_url( $affrank_url, PHP_URL_HOST );
$_SERVER['REQUEST_URI']      = '/';
$_SERVER['REQUEST_METHOD']   = 'GET';
$_SERVER['SERVER_PROTOCOL']  = 'HTTP/1.1';

if ( '-r' === $argv[3] ) {
	require $affrank_root . '/wp-load.php';
	eval( $argv[4] ); // phpcs:ignore -- a test helper, like wp eval.
	exit( 0 );
}
$affrank_script = realpath( $argv[3] );
if ( basename( $affrank_script ) === 'install.php' ) {
	define( 'WP_INSTALLING', true );
}
require $affrank_root . '/wp-load.php';
require $affrank_script;
