<?php
/**
 * wp-config.php of the newer test core (scripts/install-plugin-deps links
 * it into tests/wordpress/core/wp-VERSION/). It does what Debian's does for
 * /usr/share/wordpress, so both cores read the same per-test config file:
 * WORDPRESS_CONFIG names /etc/wordpress/config-NAME.php (written by
 * write-config.php), and nothing else is looked up.
 */

$affrank_name = $_SERVER['WORDPRESS_CONFIG'] ?? '';
$affrank_file = '/etc/wordpress/config-' . $affrank_name . '.php';
if ( ! preg_match( '/^[a-zA-Z0-9-]+$/', $affrank_name ) || ! is_file( $affrank_file ) ) {
	header( 'HTTP/1.0 404 Not Found' );
	echo "No test WordPress config named by WORDPRESS_CONFIG.\n";
	exit( 1 );
}
require_once $affrank_file;

// wp-load.php defines ABSPATH as the core's own directory before it loads
// this file (this file is a symbolic link, so __DIR__ would be wrong).
require_once ABSPATH . 'wp-settings.php';
