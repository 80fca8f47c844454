<?php
/**
 * The sidecar client: what it sends, and how each failure becomes a
 * translated WP_Error.
 */

use AffRank\Sidecar\Client;
use AffRank\Tests\Test_Case;

final class ClientTest extends Test_Case {

	public function test_rewrite_sends_the_contract_body_with_the_bearer_key(): void {
		$base   = $this->use_fake_sidecar( 'ok' );
		$client = new Client( $base, 'test-key', 2000 );
		$result = $client->rewrite(
			array(
				'html'           => '<a href="https://www.awin1.com/x">x</a>',
				'page_url'       => 'https://blog.test/p/',
				'post_id'        => 12,
				'keyword'        => 'boots',
				'keyword_source' => 'yoast',
			)
		);
		$this->assertIsArray( $result );
		$this->assertSame(
			array( 'html', 'page_url', 'post_id', 'keyword', 'keyword_source' ),
			array_keys( $result['echo'] ),
			'exactly the five fields of the contract'
		);
		$this->assertSame( 12, $result['echo']['post_id'] );
		$this->assertSame( 3, $result['settings_version'] );
		$log = file( getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/ok.log', FILE_IGNORE_NEW_LINES );
		$this->assertSame( 'POST /api/v1/rewrite Bearer test-key', end( $log ) );
	}

	public function test_an_unconfigured_client_makes_no_call(): void {
		$error = ( new Client( '', '', 300 ) )->site();
		$this->assertWPError( $error, 'affrank_not_configured' );
	}

	public function test_a_closed_port_is_unreachable_not_a_warning(): void {
		$error = ( new Client( 'http://127.0.0.1:9', 'k', 300 ) )->site();
		$this->assertWPError( $error, 'affrank_unreachable' );
		$this->assertStringContainsString( 'http://127.0.0.1:9', $error->get_error_message() );
	}

	public function test_statuses_become_errors_a_blogger_can_act_on(): void {
		$this->assertWPError( ( new Client( $this->use_fake_sidecar( 'unauth' ), 'test-key', 2000 ) )->site(), 'affrank_unauthorized' );
		$this->assertWPError( ( new Client( $this->use_fake_sidecar( 'notfound' ), 'test-key', 2000 ) )->report( 'summary' ), 'affrank_not_available' );
		$this->assertWPError( ( new Client( $this->use_fake_sidecar( 'error500' ), 'test-key', 2000 ) )->site(), 'affrank_http_error' );

		$invalid = Client::error_for_status( 400, '{"error":"invalid_field","field":"link_rules[0].pattern","message":"is not a host"}', '/api/v1/site' );
		$this->assertSame( 'affrank_invalid', $invalid->get_error_code() );
		$this->assertStringContainsString( 'link_rules[0].pattern', $invalid->get_error_message() );
		$this->assertSame( 'link_rules[0].pattern', $invalid->get_error_data()['field'] );

		$this->assertSame( 'affrank_http_error', Client::error_for_status( 502, '<html>bad gateway</html>', '/x' )->get_error_code() );
	}

	public function test_unknown_reports_are_refused_before_any_call(): void {
		$client = new Client( $this->use_fake_sidecar( 'ok' ), 'test-key', 2000 );
		$this->assertWPError( $client->report( '../site' ), 'affrank_unknown_report' );
		$this->assertSame( 0, $this->fake_calls( 'ok' ) );
	}

	public function test_the_api_key_option_is_not_autoloaded(): void {
		AffRank\Options::save_api_key( 'secret-1' );
		AffRank\Options::save_api_key( 'secret-2' );
		global $wpdb;
		// WordPress 6.6 writes 'off' where earlier versions wrote 'no'.
		$this->assertContains( $wpdb->get_var( "SELECT autoload FROM {$wpdb->options} WHERE option_name = 'affrank_api_key'" ), array( 'no', 'off' ) );
		$this->assertSame( 'secret-2', AffRank\Options::api_key() );
	}

	private function assertWPError( $value, string $code ): void {
		$this->assertInstanceOf( WP_Error::class, $value );
		$this->assertSame( $code, $value->get_error_code(), $value->get_error_message() );
		$this->assertNotSame( '', $value->get_error_message() );
	}
}
