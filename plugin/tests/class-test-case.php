<?php
/**
 * Each test runs inside a database transaction that is rolled back
 * afterwards, against the real WordPress tables (no database mocks), and
 * starts with an empty object cache and a configured plugin.
 */

namespace AffRank\Tests;

use AffRank\Admin\Settings_Page;
use AffRank\Options;
use PHPUnit\Framework\TestCase as PHPUnit_TestCase;

abstract class Test_Case extends PHPUnit_TestCase {

	protected function setUp(): void {
		parent::setUp();
		global $wpdb;
		$wpdb->query( 'START TRANSACTION' );
		wp_cache_flush();
		$_POST = array();
		$_GET  = array();
		$_REQUEST = array();
		// Each test counts the fake sidecar's calls from zero.
		array_map( 'unlink', glob( getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/{*.log,writes.jsonl,store-*}', GLOB_BRACE ) ?: array() );
	}

	protected function tearDown(): void {
		global $wpdb;
		$wpdb->query( 'ROLLBACK' );
		wp_cache_flush();
		wp_set_current_user( 0 );
		remove_all_filters( 'affrank_backoff_base_seconds' );
		remove_all_filters( 'affrank_site_refresh_seconds' );
		parent::tearDown();
	}

	/** Points the plugin at the fake sidecar in the given mode. */
	protected function use_fake_sidecar( string $mode = 'ok', int $timeout_ms = 300 ): string {
		$base = rtrim( (string) getenv( 'AFFRANK_FAKE_SIDECAR' ), '/' ) . '/' . $mode;
		update_option( Options::SIDECAR_URL, $base );
		Options::save_api_key( 'test-key' );
		update_option( Options::TIMEOUT_MS, $timeout_ms );
		return $base;
	}

	/** How many requests the fake sidecar has answered for a mode. */
	protected function fake_calls( string $mode ): int {
		$log = (string) getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/' . $mode . '.log';
		clearstatcache();
		return is_file( $log ) ? count( file( $log ) ) : 0;
	}

	protected function publish_post( string $content, array $meta = array() ): \WP_Post {
		$id = wp_insert_post(
			array(
				'post_title'   => 'Test post ' . wp_generate_password( 6, false ),
				'post_status'  => 'publish',
				'post_content' => $content,
			)
		);
		foreach ( $meta as $key => $value ) {
			update_post_meta( $id, $key, $value );
		}
		return get_post( $id );
	}

	/**
	 * Posts the Settings form through Settings_Page::handle_save(), stopping
	 * at its redirect, and returns the flash notices it left.
	 */
	protected function save_settings( array $fields ): array {
		$_POST    = wp_slash( $fields + array( '_wpnonce' => wp_create_nonce( Settings_Page::SAVE_ACTION ) ) );
		$_REQUEST = $_POST;
		delete_user_meta( get_current_user_id(), Options::USER_NOTICE );
		$stop = static function ( string $location ): never {
			throw new \RuntimeException( 'redirect: ' . $location );
		};
		add_filter( 'wp_redirect', $stop );
		try {
			Settings_Page::handle_save();
			$this->fail( 'handle_save() ends with a redirect' );
		} catch ( \RuntimeException $redirect ) {
			$this->assertStringContainsString( 'page=affrank-settings', $redirect->getMessage() );
		} finally {
			remove_filter( 'wp_redirect', $stop );
		}
		$notices = get_user_meta( get_current_user_id(), Options::USER_NOTICE, true );
		$this->assertIsArray( $notices );
		return $notices;
	}

	protected static function factory_user( string $role ): int {
		return wp_insert_user(
			array(
				'user_login' => $role . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'role'       => $role,
			)
		);
	}
}
