<?php
/**
 * Admin logic: the settings patch sent to the sidecar, input sanitising,
 * the keyword meta box's nonce and capability checks, the postback log's
 * masking and hints, and escaping of hostile keywords in the templates.
 */

use AffRank\Admin\Keyword_Meta_Box;
use AffRank\Admin\Postback_Log_Page;
use AffRank\Admin\Report_Range;
use AffRank\Admin\Settings_Page;
use AffRank\Options;
use AffRank\Template;
use AffRank\Tests\Test_Case;

final class AdminTest extends Test_Case {

	private const HOSTILE = '<script>alert(1)</script>';

	public function test_the_settings_patch_follows_the_sidecar_contract(): void {
		update_option( 'timezone_string', 'Europe/Berlin' );
		$patch = Settings_Page::sidecar_patch(
			array(
				'tracking_base_url' => '',
				'link_rules'        => "go.partner.example\n*.trk.example.net = everflow",
				'rel_sponsored'     => false,
				'exclude_bots'      => true,
				'currency'          => 'EUR',
				'currency_rates'    => '',
			)
		);
		$this->assertSame( json_decode( '{"tracking_base_url":null,"link_rules":[{"kind":"host","pattern":"go.partner.example","network":null},{"kind":"host","pattern":"*.trk.example.net","network":"everflow"}],"rel_policy":"none","exclude_bots":true,"currency":"EUR","currency_rates":{},"time_zone":"Europe/Berlin"}', true ), json_decode( (string) wp_json_encode( $patch ), true ) );
	}

	public function test_connection_inputs_are_sanitised(): void {
		$this->assertSame( 'http://127.0.0.1:8080', Settings_Page::sanitize_sidecar_url( ' http://127.0.0.1:8080/ ' ) );
		$this->assertNull( Settings_Page::sanitize_sidecar_url( 'javascript:alert(1)' ) );
		$this->assertNull( Settings_Page::sanitize_sidecar_url( 'ftp://x.test' ) );
		$this->assertSame( '', Settings_Page::sanitize_sidecar_url( '' ) );
		$this->assertSame( 'afk_abc', Settings_Page::sanitize_api_key( " afk_abc\n" ) );
	}

	public function test_the_meta_box_saves_only_with_the_posts_own_nonce_and_the_capability(): void {
		$editor = self::factory_user( 'editor' );
		$post   = $this->publish_post( 'x' );
		$other  = $this->publish_post( 'y' );
		wp_set_current_user( $editor );

		$_POST = array( Keyword_Meta_Box::NONCE => wp_create_nonce( Keyword_Meta_Box::nonce_action( $other->ID ) ), Keyword_Meta_Box::FIELD => 'stolen' );
		Keyword_Meta_Box::save( $post->ID );
		$this->assertSame( '', get_post_meta( $post->ID, Options::POST_KEYWORD, true ), 'another post\'s nonce does not save this one' );

		$_POST = array( Keyword_Meta_Box::NONCE => wp_create_nonce( Keyword_Meta_Box::nonce_action( $post->ID ) ), Keyword_Meta_Box::FIELD => wp_slash( ' best "trail" shoes ' . self::HOSTILE ) );
		Keyword_Meta_Box::save( $post->ID );
		$this->assertSame( 'best "trail" shoes ' . self::HOSTILE, get_post_meta( $post->ID, Options::POST_KEYWORD, true ), 'kept as typed, unslashed' );

		wp_set_current_user( self::factory_user( 'subscriber' ) );
		$_POST[ Keyword_Meta_Box::NONCE ] = wp_create_nonce( Keyword_Meta_Box::nonce_action( $post->ID ) );
		$_POST[ Keyword_Meta_Box::FIELD ] = 'subscriber';
		Keyword_Meta_Box::save( $post->ID );
		$this->assertNotSame( 'subscriber', get_post_meta( $post->ID, Options::POST_KEYWORD, true ), 'no edit_post, no save' );

		wp_set_current_user( $editor );
		$_POST = array( Keyword_Meta_Box::NONCE => wp_create_nonce( Keyword_Meta_Box::nonce_action( $post->ID ) ), Keyword_Meta_Box::FIELD => '   ' );
		Keyword_Meta_Box::save( $post->ID );
		$this->assertFalse( metadata_exists( 'post', $post->ID, Options::POST_KEYWORD ), 'an empty box removes the keyword' );
	}

	public function test_the_postback_log_masks_tokens_and_explains_outcomes(): void {
		$row = Postback_Log_Page::present( array( 'status' => 'unmatched', 'params' => 'sessionId=abc&amount=1.00&token=SECRET123' ) );
		$this->assertSame( array( 'sessionId' => 'abc', 'amount' => '1.00', 'token' => 'SE••••••' ), $row['params'] );
		$this->assertStringContainsString( 'affrank_sid', $row['hint'] );
		$this->assertSame( array( 'Token' => 'ab••••••' ), Postback_Log_Page::mask_params( array( 'Token' => 'abcdef' ) ) );
		foreach ( array( 'matched', 'unmatched', 'duplicate', 'updated', 'invalid', 'unauthorized', 'unknown_site', 'rate_limited' ) as $status ) {
			$this->assertNotSame( Postback_Log_Page::hint( 'something-else' ), Postback_Log_Page::hint( $status ), $status );
		}
	}

	public function test_hostile_keywords_are_printed_as_text(): void {
		$row   = array( 'keyword' => self::HOSTILE, 'clicks' => 3, 'conversions' => 1, 'revenue' => '12.50', 'epc' => '4.17', 'conversion_rate' => 0.33 );
		$range = Report_Range::from_query( array( 'range' => '7' ) );
		ob_start();
		Template::render(
			'partials/report-table',
			array(
				'table'    => 'keywords',
				'title'    => 'Keywords',
				'data'     => array( 'rows' => array( $row ), 'total_rows' => 1, 'orderby' => 'revenue', 'order' => 'desc' ),
				'range'    => $range,
				'currency' => 'USD',
			)
		);
		$html = (string) ob_get_clean();
		$this->assertStringNotContainsString( self::HOSTILE, $html );
		$this->assertStringContainsString( '&lt;script&gt;alert(1)&lt;/script&gt;', $html );
		$this->assertStringContainsString( '$12.50', $html );

		$post = $this->publish_post( 'x', array( Options::POST_KEYWORD => self::HOSTILE, '_yoast_wpseo_focuskw' => self::HOSTILE ) );
		ob_start();
		Keyword_Meta_Box::render( $post );
		$box = (string) ob_get_clean();
		$this->assertStringNotContainsString( self::HOSTILE, $box );
	}

	private static function factory_user( string $role ): int {
		return wp_insert_user(
			array(
				'user_login' => $role . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'role'       => $role,
			)
		);
	}
}
