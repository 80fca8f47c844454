<?php
/**
 * Router for `php -S` in front of a test WordPress core (AFFRANK_WP_ROOT,
 * default Debian's): serves wp-content from the test's own content
 * directory, static core files as they are, PHP entry points directly, and
 * everything else (pretty permalinks) through index.php. WORDPRESS_CONFIG
 * picks the test's config file.
 */

$_SERVER['WORDPRESS_CONFIG'] = getenv( 'AFFRANK_WP_CONFIG' );
$affrank_core                = getenv( 'AFFRANK_WP_ROOT' ) ?: '/usr/share/wordpress';
$affrank_path                = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );

if ( str_contains( $affrank_path, '..' ) ) {
	http_response_code( 400 );
	return true;
}

$affrank_types = array(
	'css'   => 'text/css',
	'js'    => 'application/javascript',
	'svg'   => 'image/svg+xml',
	'png'   => 'image/png',
	'jpg'   => 'image/jpeg',
	'gif'   => 'image/gif',
	'woff2' => 'font/woff2',
	'woff'  => 'font/woff',
	'ttf'   => 'font/ttf',
	'json'  => 'application/json',
);

if ( str_starts_with( $affrank_path, '/wp-content/' ) ) {
	$affrank_file = getenv( 'AFFRANK_WP_CONTENT' ) . substr( $affrank_path, strlen( '/wp-content' ) );
	$affrank_ext  = strtolower( pathinfo( $affrank_file, PATHINFO_EXTENSION ) );
	if ( is_file( $affrank_file ) && 'php' !== $affrank_ext ) {
		header( 'Content-Type: ' . ( $affrank_types[ $affrank_ext ] ?? 'application/octet-stream' ) );
		readfile( $affrank_file );
		return true;
	}
	http_response_code( 404 );
	return true;
}

$affrank_file = $affrank_core . $affrank_path;
if ( is_dir( $affrank_file ) && is_file( rtrim( $affrank_file, '/' ) . '/index.php' ) ) {
	$affrank_file = rtrim( $affrank_file, '/' ) . '/index.php';
	$affrank_path = rtrim( $affrank_path, '/' ) . '/index.php';
}
if ( is_file( $affrank_file ) && ! str_ends_with( $affrank_file, '.php' ) ) {
	return false; // php -S serves static files from the document root.
}
if ( ! is_file( $affrank_file ) ) {
	$affrank_file = $affrank_core . '/index.php';
	$affrank_path = '/index.php';
}
$_SERVER['SCRIPT_FILENAME'] = $affrank_file;
$_SERVER['SCRIPT_NAME']     = $affrank_path;
$_SERVER['PHP_SELF']        = $affrank_path;
chdir( dirname( $affrank_file ) );
require $affrank_file;
