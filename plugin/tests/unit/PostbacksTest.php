<?php
/**
 * "Send test postback" and the Postback Log against the sidecar's postback
 * contract: test=1 (never a real conversion), every outcome explained, log
 * rows in DESIGN.md's shape shown with secrets masked and as text.
 */

use AffRank\Admin\Postback_Log_Page;
use AffRank\Admin\Postback_Setup_Page;
use AffRank\Admin\Test_Postback;
use AffRank\Options;
use AffRank\Sidecar\Client;
use AffRank\Tests\Test_Case;

final class PostbacksTest extends Test_Case {

	/** Every outcome a postback can be answered with (DESIGN.md, README). */
	private const OUTCOMES = array( 'matched', 'unmatched', 'duplicate', 'updated', 'test', 'queued', 'invalid', 'unauthorized', 'unknown_site', 'rate_limited', 'unavailable', 'imported', 'import_rejected' );

	public function test_the_test_postback_sends_test_1_and_no_event(): void {
		$base   = $this->use_fake_sidecar( 'postbacks' );
		$result = ( new Test_Postback( new Client( $base, 'test-key', 2000 ) ) )->run();
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		$this->assertSame( 'test', $result['status'] );
		$this->assertSame( 200, $result['http_status'] );
		// The fake echoes the postback's query string in its message.
		parse_str( (string) substr( $result['message'], (int) strpos( $result['message'], 'query ' ) + 6 ), $sent );
		$this->assertSame( '1', $sent['test'] ?? null, 'test=1 makes the sidecar count nothing' );
		$this->assertArrayNotHasKey( 'event', $sent, 'no event=test: that would be a real conversion' );
		$this->assertSame( 'SID123fake', $sent['sessionId'], 'the session id of the test click' );
		$this->assertSame( 'TOK', $sent['token'] );
		$this->assertStringStartsWith( 'affrank-test-', $sent['transaction_id'] );
		$this->assertStringContainsString( 'Outcome: test', $result['summary'] );
		$this->assertStringContainsString( 'Nothing was counted', $result['summary'] );
	}

	public function test_the_postback_url_gets_test_1_whatever_the_template(): void {
		$url = Test_Postback::postback_url( 'https://t.test/api/v1/postbacks/S?sessionId={SESSION_ID}&amount={COMMISSION}&transaction_id={TRANSACTION_ID}&token=T', 'abc' );
		parse_str( (string) wp_parse_url( $url, PHP_URL_QUERY ), $query );
		$this->assertSame( 'abc', $query['sessionId'] );
		$this->assertSame( '1.00', $query['amount'] );
		$this->assertSame( '1', $query['test'] );
		$this->assertArrayNotHasKey( 'event', $query );
	}

	public function test_every_answer_of_the_postback_endpoint_is_read(): void {
		$test = Test_Postback::outcome( 200, '{"status":"test","message":"test postback received: the URL and token work and nothing was counted; its session id matches a click, so a real postback would be attributed"}' );
		$this->assertSame( 'test', $test['status'] );
		$this->assertStringContainsString( 'matches a click', $test['message'] );

		$invalid = Test_Postback::outcome( 400, '{"status":"invalid","message":"is not a decimal amount","parameter":"amount"}' );
		$this->assertSame( 'invalid', $invalid['status'] );
		$this->assertSame( 'amount: is not a decimal amount', $invalid['message'] );
		$named = Test_Postback::outcome( 400, '{"status":"invalid","message":"amount: \\"12,50\\" is not a decimal amount","parameter":"amount"}' );
		$this->assertSame( 'amount: "12,50" is not a decimal amount', $named['message'], 'the sidecar\'s message already names it: not twice' );

		$unknown = Test_Postback::outcome( 404, '{"status":"unknown_site","message":"no such site"}' );
		$this->assertSame( 'unknown_site', $unknown['status'], 'a 404 with an outcome is the site, not a missing feature' );

		$this->assertSame( 'rate_limited', Test_Postback::outcome( 429, '{"status":"rate_limited","message":"over the postback rate limit; try again later"}' )['status'] );
		$this->assertSame( 'unavailable', Test_Postback::outcome( 503, '{"status":"unavailable","message":"cannot take postbacks right now; try again"}' )['status'] );
		$this->assertSame( 'unauthorized', Test_Postback::outcome( 401, '{"status":"unauthorized","message":"token missing or wrong"}' )['status'] );

		$old = Test_Postback::outcome( 404, 'Not Found' );
		$this->assertInstanceOf( WP_Error::class, $old );
		$this->assertSame( 'affrank_not_available', $old->get_error_code(), 'a 404 without an outcome: a sidecar from before postbacks' );
		$this->assertSame( 'affrank_test_failed', Test_Postback::outcome( 502, '<html>Bad gateway</html>' )->get_error_code() );
	}

	public function test_only_the_test_outcome_is_a_success(): void {
		$this->assertSame( 'success', Postback_Setup_Page::notice_type( 'test', 200 ) );
		$this->assertSame( 'warning', Postback_Setup_Page::notice_type( 'queued', 200 ) );
		$this->assertSame( 'warning', Postback_Setup_Page::notice_type( 'matched', 200 ), 'a test that counted would be wrong' );
		$this->assertSame( 'error', Postback_Setup_Page::notice_type( 'unauthorized', 401 ) );
		$this->assertSame( 'error', Postback_Setup_Page::notice_type( 'unavailable', 503 ) );
	}

	public function test_the_button_checks_capability_and_nonce_and_shows_the_outcome(): void {
		$this->use_fake_sidecar( 'postbacks' );
		wp_set_current_user( self::user( 'administrator' ) );
		$notices = $this->press_test_button( wp_create_nonce( Postback_Setup_Page::TEST_ACTION ) );
		$this->assertSame( 'success', $notices[0]['type'] );
		$this->assertStringContainsString( 'Outcome: test (HTTP 200)', $notices[0]['message'] );
		$this->assertStringContainsString( 'The sidecar said: “test postback received', $notices[0]['detail'] );

		$this->assertSame( 'died', $this->press_test_button( 'wrong-nonce' ), 'a wrong nonce stops it' );
		wp_set_current_user( self::user( 'editor' ) );
		$this->assertSame( 'died', $this->press_test_button( wp_create_nonce( Postback_Setup_Page::TEST_ACTION ) ), 'so does a missing capability' );
		$this->assertSame( 4, $this->fake_calls( 'postbacks' ), 'only the allowed press reached the sidecar: site, rewrite, /go/, postback' );
	}

	public function test_every_outcome_has_its_own_plain_language_hint(): void {
		$unknown = Postback_Log_Page::hint( 'something-else' );
		$hints   = array();
		foreach ( self::OUTCOMES as $status ) {
			$this->assertNotSame( $unknown, Postback_Log_Page::hint( $status ), $status );
			$hints[] = Postback_Log_Page::hint( $status );
		}
		$this->assertSame( $hints, array_unique( $hints ), 'no two outcomes share a hint' );
		$this->assertStringContainsString( 'affrank_sid', Postback_Log_Page::hint( 'unmatched' ) );
		$this->assertStringContainsString( 'Nothing was counted', Postback_Log_Page::hint( 'test' ) );
	}

	public function test_a_log_row_is_presented_from_the_contract_shape(): void {
		$row = Postback_Log_Page::present(
			array(
				'id'            => 9,
				'received_at'   => '2026-03-02T10:15:00.123456Z',
				'source_addr'   => '203.0.113.7',
				'method'        => 'POST',
				'params'        => array(
					'sessionId' => 'abc',
					'token'     => '***',
					'subid'     => array( 'a', 'b' ),
					'Secret'    => 'plain-secret',
				),
				'outcome'       => 'unmatched',
				'http_status'   => 200,
				'message'       => 'no click has that session id',
				'conversion_id' => 3,
			)
		);
		$this->assertSame( 'unmatched', $row['status'] );
		$this->assertSame( 200, $row['http_status'] );
		$this->assertSame( 3, $row['conversion_id'] );
		$this->assertSame( 'POST', $row['method'] );
		$this->assertSame(
			array( array( 'sessionId', 'abc' ), array( 'subid', 'a' ), array( 'subid', 'b' ), array( 'Secret', '***' ), array( 'token', '***' ) ),
			$row['params'],
			'known names first, a repeated name once per value, secrets last and never shown'
		);
		$this->assertStringContainsString( 'affrank_sid', $row['hint'] );

		$bare = Postback_Log_Page::present( array( 'outcome' => 'invalid', 'params' => 'not an object', 'conversion_id' => null ) );
		$this->assertSame( array(), $bare['params'] );
		$this->assertNull( $bare['conversion_id'] );
		$this->assertNull( $bare['http_status'] );
	}

	public function test_the_log_page_filters_by_outcome_and_prints_parameters_as_text(): void {
		$this->use_fake_sidecar( 'ok' );
		wp_set_current_user( self::user( 'administrator' ) );

		$_GET = array( 'page' => 'affrank-postback-log', Postback_Log_Page::FILTER => 'matched' );
		$html = $this->render_log();
		$this->assertStringContainsString( 'asked limit=100&amp;status=matched', $html, 'the filter is passed to the sidecar' );
		$this->assertStringContainsString( '<option value="matched" selected', $html );
		$this->assertStringNotContainsString( '<script>alert(1)</script>', $html );
		$this->assertStringContainsString( 'subid=&lt;script&gt;alert(1)&lt;/script&gt;', $html );
		$this->assertStringContainsString( 'subid=one', $html );
		$this->assertStringContainsString( 'token=***', $html );
		$this->assertStringContainsString( 'Conversion #7', $html );
		$this->assertStringContainsString( 'GET from 203.0.113.7', $html );
		$this->assertStringContainsString( 'HTTP 200', $html );

		$_GET = array( 'page' => 'affrank-postback-log', Postback_Log_Page::FILTER => 'nonsense' );
		$this->assertStringContainsString( 'asked limit=100', $this->render_log() );
		$this->assertStringNotContainsString( 'status=', $this->render_log(), 'an unknown outcome is not sent' );

		wp_set_current_user( self::user( 'editor' ) );
		$this->assertSame( '', $this->render_log(), 'nothing for a user without manage_options' );
	}

	private function render_log(): string {
		ob_start();
		Postback_Log_Page::render();
		return (string) ob_get_clean();
	}

	/**
	 * Posts the Send test postback form through handle_test_postback(),
	 * stopping at its redirect; returns the flash notices, or 'died'.
	 */
	private function press_test_button( string $nonce ): array|string {
		$_POST    = array( '_wpnonce' => $nonce );
		$_REQUEST = $_POST;
		delete_user_meta( get_current_user_id(), Options::USER_NOTICE );
		$stop = static function ( string $location ): never {
			throw new \RuntimeException( 'redirect: ' . $location );
		};
		$die  = static fn (): callable => static function (): never {
			throw new \LogicException( 'died' );
		};
		add_filter( 'wp_redirect', $stop );
		add_filter( 'wp_die_handler', $die );
		try {
			Postback_Setup_Page::handle_test_postback();
			$this->fail( 'handle_test_postback() ends with a redirect' );
		} catch ( \LogicException $died ) {
			return 'died';
		} catch ( \RuntimeException $redirect ) {
			$this->assertStringContainsString( 'page=affrank-postbacks', $redirect->getMessage() );
		} finally {
			remove_filter( 'wp_redirect', $stop );
			remove_filter( 'wp_die_handler', $die );
		}
		$notices = get_user_meta( get_current_user_id(), Options::USER_NOTICE, true );
		$this->assertIsArray( $notices );
		return $notices;
	}

	private static function user( string $role ): int {
		return wp_insert_user(
			array(
				'user_login' => $role . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'role'       => $role,
			)
		);
	}
}
