<?php
/**
 * Removes everything AffRank stored in WordPress. The sidecar's data (clicks,
 * conversions) is not touched: it belongs to the sidecar's database.
 *
 * On multisite the plugin may have been active on any site of the network,
 * so each site's options, transients and post meta are removed in turn.
 *
 * @package AffRank
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

// One site's options, tagged-page cache and post keywords. A closure, not a
// function, so that including this file twice cannot redeclare anything.
$affrank_uninstall_site = static function (): void {
	// The explicit list (kept in step with AffRank\Options::all_option_names()).
	$options = array(
		'affrank_sidecar_url',
		'affrank_api_key',
		'affrank_timeout_ms',
		'affrank_tagging_enabled',
		'affrank_backoff',
		'affrank_site_state',
		'affrank_db_version',
		'affrank_link_sync',
		'affrank_alert_emails',
		'affrank_alert_mail_sent',
		'affrank_health_cache',
	);
	foreach ( $options as $option ) {
		delete_option( $option );
	}

	// Tagged-page cache: transients named "affrank_rw_" + a hash of the page.
	// Their names cannot be listed, so they go by prefix; with a persistent
	// object cache they simply expire (one day at most).
	global $wpdb;
	// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- one-off clean-up of our own transients.
	$wpdb->query(
		$wpdb->prepare(
			"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s",
			$wpdb->esc_like( '_transient_affrank_rw_' ) . '%',
			$wpdb->esc_like( '_transient_timeout_affrank_rw_' ) . '%'
		)
	);

	// Per-post keywords.
	delete_post_meta_by_key( '_affrank_keyword' );

	// The fallback's link map and untracked clicks (AffRank\Fallback\Tables),
	// and its scheduled sync.
	wp_clear_scheduled_hook( 'affrank_sync_links' );
	foreach ( array( 'affrank_links', 'affrank_untracked' ) as $table ) {
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- DDL of our own tables; the names are ours.
		$wpdb->query( "DROP TABLE IF EXISTS `{$wpdb->prefix}{$table}`" );
	}

	// The hourly alert check (Alert_Mailer::HOOK).
	wp_clear_scheduled_hook( 'affrank_check_alerts' );

	// Import files waiting between preview and apply (Import_Store), and the
	// event that deletes them after a day.
	wp_clear_scheduled_hook( 'affrank_import_cleanup' );
	$uploads = wp_upload_dir( null, false );
	$folder  = 'affrank-imports';
	$dir     = untrailingslashit( (string) ( $uploads['basedir'] ?? '' ) ) . '/' . $folder;
	if ( '' !== (string) ( $uploads['basedir'] ?? '' ) && is_dir( $dir ) ) {
		foreach ( array_merge( (array) glob( $dir . '/import-*.upload' ), array( $dir . '/index.php', $dir . '/.htaccess' ) ) as $file ) {
			if ( is_string( $file ) && is_file( $file ) ) {
				wp_delete_file( $file );
			}
		}
		if ( array( '.', '..' ) === array_values( (array) scandir( $dir ) ) ) {
			// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_rmdir -- our own folder, now empty.
			rmdir( $dir );
		}
	}
};

if ( is_multisite() ) {
	foreach ( get_sites(
		array(
			'fields' => 'ids',
			'number' => 0,
		)
	) as $affrank_site_id ) {
		switch_to_blog( (int) $affrank_site_id );
		$affrank_uninstall_site();
		restore_current_blog();
	}
} else {
	$affrank_uninstall_site();
}

// Per-user flash notices and unsaved settings drafts. User meta is shared by
// every site of a network, so once is enough.
delete_metadata( 'user', 0, 'affrank_notice', '', true );
delete_metadata( 'user', 0, 'affrank_settings_draft', '', true );
delete_metadata( 'user', 0, 'affrank_import', '', true );
delete_metadata( 'user', 0, 'affrank_import_result', '', true );
