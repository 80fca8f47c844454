<?php
/**
 * Loads a real WordPress (Debian's package or the newer core build, a
 * throw-away database made by tests/run-unit.sh) with AffRank active, so the
 * tests exercise the plugin against WordPress's own options, meta,
 * transients, nonces and HTTP API.
 *
 * Environment: AFFRANK_WP_CONFIG (config name), AFFRANK_WP_URL,
 * AFFRANK_WP_ROOT (the core; default Debian's), AFFRANK_FAKE_SIDECAR (base
 * URL of tests/fixtures/fake-sidecar.php).
 */

$affrank_config = getenv( 'AFFRANK_WP_CONFIG' );
if ( ! $affrank_config ) {
	fwrite( STDERR, "Run the unit tests through plugin/tests/run-unit.sh (it creates the test WordPress).\n" );
	exit( 1 );
}

$affrank_url                 = (string) getenv( 'AFFRANK_WP_URL' );
$_SERVER['WORDPRESS_CONFIG'] = $affrank_config;
$_SERVER['HTTP_HOST']        = (string) parse_url( $affrank_url, PHP_URL_HOST );
$_SERVER['SERVER_NAME']      = $_SERVER['HTTP_HOST'];
$_SERVER['REQUEST_URI']      = '/';
$_SERVER['REQUEST_METHOD']   = 'GET';
$_SERVER['SERVER_PROTOCOL']  = 'HTTP/1.1';

// PHPUnit includes this file inside a function: make WordPress's file-level
// variables global, as WordPress's own test bootstrap does.
global $wpdb, $current_site, $current_blog, $wp_rewrite, $shortcode_tags, $wp, $phpmailer, $wp_theme_directories, $wp_filter, $wp_actions, $wp_current_filter, $wp_plugin_paths;

require ( getenv( 'AFFRANK_WP_ROOT' ) ?: '/usr/share/wordpress' ) . '/wp-load.php';

if ( ! class_exists( AffRank\Plugin::class ) ) {
	fwrite( STDERR, "AffRank is not active in the test WordPress.\n" );
	exit( 1 );
}

// All in One SEO's table, as AIOSEO 4 creates it (the columns we read), so
// the keyword resolver reads a real table. DDL commits, so it is made here,
// outside the per-test transactions.
$wpdb->query( "CREATE TABLE IF NOT EXISTS {$wpdb->prefix}aioseo_posts (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, post_id bigint unsigned NOT NULL, keyphrases longtext, KEY post_id (post_id)) ENGINE=InnoDB" );

require __DIR__ . '/class-test-case.php';
