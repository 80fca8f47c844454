<?php
/**
 * Removes everything AffRank stored in WordPress. The sidecar's data (clicks,
 * conversions) is not touched: it belongs to the sidecar's database.
 *
 * @package AffRank
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

// The explicit list (kept in step with AffRank\Options::all_option_names()).
$affrank_options = array(
	'affrank_sidecar_url',
	'affrank_api_key',
	'affrank_timeout_ms',
	'affrank_tagging_enabled',
	'affrank_backoff',
	'affrank_site_state',
);
foreach ( $affrank_options as $affrank_option ) {
	delete_option( $affrank_option );
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

// Per-user flash notices and unsaved settings drafts; per-post keywords.
delete_metadata( 'user', 0, 'affrank_notice', '', true );
delete_metadata( 'user', 0, 'affrank_settings_draft', '', true );
delete_post_meta_by_key( '_affrank_keyword' );
