<?php
/**
 * Installs the test site and activates AffRank. Run through wp.php.
 * Argument: the admin password.
 */

require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$result = wp_install( 'Trail & Gear Notes', 'admin', 'admin@example.com', true, '', $args[0] );
if ( is_wp_error( $result ) ) {
	fwrite( STDERR, $result->get_error_message() . "\n" );
	exit( 1 );
}
update_option( 'permalink_structure', '/%postname%/' );
update_option( 'blogdescription', 'Honest reviews of hiking gear' );
update_option( 'timezone_string', 'Europe/Berlin' );
// Nothing outside this machine is reachable: no Gravatar images.
update_option( 'show_avatars', 0 );
update_user_meta( 1, 'show_welcome_panel', 0 );
flush_rewrite_rules( false );

$activated = activate_plugin( 'affrank/affrank.php' );
if ( is_wp_error( $activated ) ) {
	fwrite( STDERR, 'activate: ' . $activated->get_error_message() . "\n" );
	exit( 1 );
}
echo "installed\n";
