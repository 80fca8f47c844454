<?php
/**
 * uninstall.php removes every option, transient and meta the plugin wrote.
 */

use AffRank\Admin\Import_Store;
use AffRank\Fallback\Link_Map;
use AffRank\Fallback\Link_Sync;
use AffRank\Fallback\Tables;
use AffRank\Fallback\Untracked_Clicks;
use AffRank\Options;
use AffRank\Tests\Test_Case;

final class UninstallTest extends Test_Case {

	/**
	 * The test WordPress is single-site, so this runs the single-site branch;
	 * the per-site loop over get_sites() on a network is not exercised here.
	 */
	public function test_uninstall_leaves_nothing_behind(): void {
		foreach ( Options::all_option_names() as $name ) {
			update_option( $name, 'x' );
		}
		set_transient( Options::REWRITE_CACHE_PREFIX . str_repeat( 'a', 40 ), '<p>cached</p>', 3600 );
		$user = get_current_user_id() ?: 1;
		update_user_meta( $user, Options::USER_NOTICE, array( 'n' ) );
		update_user_meta( $user, 'affrank_settings_draft', array( 'd' ) );
		$post = $this->publish_post( 'x', array( Options::POST_KEYWORD => 'kw' ) );
		Link_Map::remember( array( array( 'id' => 'cDUkZkhNXr8', 'url' => 'https://shop.test/' ) ) );
		Untracked_Clicks::record( 'cDUkZkhNXr8', '2026-01-01' );
		Link_Sync::ensure_scheduled();
		update_user_meta( $user, Options::USER_IMPORT, array( 'file' => 'x' ) );
		update_user_meta( $user, Options::USER_IMPORT_RESULT, array( 'rows' => 1 ) );
		$import = Import_Store::dir() . '/import-' . str_repeat( 'ab', 16 ) . '.upload';
		file_put_contents( $import, 'a,b' );
		wp_schedule_single_event( time() + DAY_IN_SECONDS, Import_Store::CLEANUP_HOOK );

		if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
			define( 'WP_UNINSTALL_PLUGIN', 'affrank/affrank.php' );
		}
		include dirname( __DIR__, 2 ) . '/affrank/uninstall.php';
		// A second run (e.g. a retried delete) finds nothing and declares nothing twice.
		include dirname( __DIR__, 2 ) . '/affrank/uninstall.php';
		wp_cache_flush();

		global $wpdb;
		try {
			$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE '%affrank%'" ) );
			$this->assertSame( '', get_user_meta( $user, Options::USER_NOTICE, true ) );
			$this->assertSame( '', get_user_meta( $user, 'affrank_settings_draft', true ) );
			$this->assertSame( '', get_post_meta( $post->ID, Options::POST_KEYWORD, true ) );
			foreach ( array( Tables::links(), Tables::untracked() ) as $table ) {
				$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ), $table );
			}
			$this->assertFalse( wp_next_scheduled( Link_Sync::HOOK ), 'the sync is no longer scheduled' );
			$this->assertSame( '', get_user_meta( $user, Options::USER_IMPORT, true ) );
			$this->assertSame( '', get_user_meta( $user, Options::USER_IMPORT_RESULT, true ) );
			$this->assertFileDoesNotExist( $import, 'an import file waiting for its apply' );
			$this->assertDirectoryDoesNotExist( dirname( $import ) );
			$this->assertFalse( wp_next_scheduled( Import_Store::CLEANUP_HOOK ), 'the import clean-up is no longer scheduled' );
		} finally {
			// Dropping a table commits the test's transaction (MariaDB commits
			// around DDL): put back the tables the other tests use, and take
			// the post away by hand.
			Tables::install();
			wp_delete_post( $post->ID, true );
		}
	}

	public function test_the_uninstall_list_names_the_fallback_tables(): void {
		$source = (string) file_get_contents( dirname( __DIR__, 2 ) . '/affrank/uninstall.php' );
		foreach ( array( Tables::LINKS, Tables::UNTRACKED, Link_Sync::HOOK, Import_Store::CLEANUP_HOOK, Import_Store::DIR, Options::USER_IMPORT, Options::USER_IMPORT_RESULT ) as $name ) {
			$this->assertStringContainsString( "'" . $name . "'", $source, $name );
		}
	}

	public function test_the_uninstall_list_matches_the_options_class(): void {
		$source = (string) file_get_contents( dirname( __DIR__, 2 ) . '/affrank/uninstall.php' );
		foreach ( Options::all_option_names() as $name ) {
			$this->assertStringContainsString( "'" . $name . "'", $source, $name );
		}
	}
}
