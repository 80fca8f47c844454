<?php
/**
 * Writes a Debian host config for a test WordPress.
 * Usage: php write-config.php FILE DB_NAME URL CONTENT_DIR DEBUG_LOG DB_HOST DB_USER
 */

[ , $file, $db, $url, $content, $log, $host, $user ] = $argv;

$salts = '';
foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as $name ) {
	$salts .= sprintf( "define( %s, %s );\n", var_export( $name, true ), var_export( bin2hex( random_bytes( 32 ) ), true ) );
}

$config = "<?php\n// Test WordPress for AffRank; removed when the test ends.\n"
	. sprintf( "define( 'DB_NAME', %s );\n", var_export( $db, true ) )
	. sprintf( "define( 'DB_USER', %s );\n", var_export( $user, true ) )
	. "define( 'DB_PASSWORD', '' );\n"
	. sprintf( "define( 'DB_HOST', %s );\n", var_export( $host, true ) )
	. sprintf( "define( 'WP_HOME', %s );\n", var_export( $url, true ) )
	. sprintf( "define( 'WP_SITEURL', %s );\n", var_export( $url, true ) )
	. sprintf( "define( 'WP_CONTENT_DIR', %s );\n", var_export( $content, true ) )
	. sprintf( "define( 'WP_CONTENT_URL', %s );\n", var_export( $url . '/wp-content', true ) )
	. $salts
	. "define( 'DISABLE_WP_CRON', true );\n"
	. "define( 'AUTOMATIC_UPDATER_DISABLED', true );\n"
	// Nothing outside this machine is reachable; fail such calls at once.
	. "define( 'WP_HTTP_BLOCK_EXTERNAL', true );\n"
	. "define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1,localhost' );\n"
	. "define( 'WP_DEBUG', true );\n"
	. sprintf( "define( 'WP_DEBUG_LOG', %s );\n", var_export( $log, true ) )
	. "define( 'WP_DEBUG_DISPLAY', false );\n"
	. "\$table_prefix = 'wp_';\n";

file_put_contents( $file, $config );
chmod( $file, 0640 );
