<?php
/**
 * Admin logic: the settings patch sent to the sidecar, input sanitising,
 * the keyword meta box's nonce and capability checks, and escaping of
 * hostile keywords in the templates.
 */

use AffRank\Admin\Keyword_Meta_Box;
use AffRank\Admin\Report_Range;
use AffRank\Admin\Report_Table;
use AffRank\Admin\Request_Guard;
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

	public function test_a_sidecar_origin_is_scheme_host_and_port(): void {
		$this->assertSame( 'http://127.0.0.1:80', Settings_Page::origin( 'http://127.0.0.1' ) );
		$this->assertSame( 'http://127.0.0.1:80', Settings_Page::origin( 'HTTP://127.0.0.1:80/affrank/' ) );
		$this->assertSame( 'https://sidecar.example:443', Settings_Page::origin( 'https://Sidecar.Example/x' ) );
		$this->assertNotSame( Settings_Page::origin( 'http://h.example' ), Settings_Page::origin( 'https://h.example' ) );
		$this->assertNotSame( Settings_Page::origin( 'http://h.example:8080' ), Settings_Page::origin( 'http://h.example:8081' ) );
		$this->assertSame( '', Settings_Page::origin( '' ) );
	}

	public function test_the_key_is_kept_when_only_other_settings_change(): void {
		$base = $this->use_fake_sidecar();
		wp_set_current_user( self::factory_user( 'administrator' ) );

		$notices = $this->save_settings( array( 'affrank_sidecar_url' => $base . '/', 'affrank_timeout_ms' => '900' ) );
		$this->assertSame( 'test-key', Options::api_key(), 'same URL, other settings: the key stays' );
		$this->assertSame( 900, Options::timeout_ms() );
		$this->assertFalse( Options::tagging_enabled() );
		$this->assertSame( 'success', $notices[0]['type'] );

		$moved = (string) preg_replace( '#/ok$#', '/elsewhere', $base );
		$this->save_settings( array( 'affrank_sidecar_url' => $moved ) );
		$this->assertSame( $moved, Options::sidecar_url() );
		$this->assertSame( 'test-key', Options::api_key(), 'another path on the same scheme, host and port: the key stays' );
	}

	public function test_a_new_sidecar_host_without_a_new_key_clears_the_stored_key(): void {
		$base = $this->use_fake_sidecar();
		wp_set_current_user( self::factory_user( 'administrator' ) );
		$port = (int) wp_parse_url( $base, PHP_URL_PORT );

		foreach ( array( 'http://sidecar.example.test:' . $port, 'http://127.0.0.1:' . ( $port + 1 ), 'https://127.0.0.1:' . $port ) as $other ) {
			Options::save_api_key( 'test-key' );
			update_option( Options::SIDECAR_URL, $base );
			$notices = $this->save_settings( array( 'affrank_sidecar_url' => $other ) );
			$this->assertSame( $other, Options::sidecar_url() );
			$this->assertFalse( get_option( Options::API_KEY ), $other . ': the old key is not kept for a new host' );
			$this->assertFalse( Options::is_configured(), $other . ': so nothing is sent to it' );
			$this->assertSame( 'warning', $notices[0]['type'] );
			$this->assertStringContainsString( 'enter the API key for the new sidecar', $notices[0]['message'] );
		}

		Options::save_api_key( 'test-key' );
		update_option( Options::SIDECAR_URL, $base );
		$this->save_settings( array( 'affrank_sidecar_url' => 'http://sidecar.example.test:8080', 'affrank_api_key' => ' new-key ' ) );
		$this->assertSame( 'new-key', Options::api_key(), 'a key entered with the new host is saved' );
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

	public function test_the_meta_box_leaves_the_keyword_alone_when_sent_a_list(): void {
		$post = $this->publish_post( 'x', array( Options::POST_KEYWORD => 'trail shoes' ) );
		wp_set_current_user( self::factory_user( 'editor' ) );
		$nonce = wp_create_nonce( Keyword_Meta_Box::nonce_action( $post->ID ) );

		$_POST = array(
			Keyword_Meta_Box::NONCE => $nonce,
			Keyword_Meta_Box::FIELD => array( 'stolen' ),
		);
		Keyword_Meta_Box::save( $post->ID );
		$this->assertSame( 'trail shoes', get_post_meta( $post->ID, Options::POST_KEYWORD, true ), 'not "Array", and not deleted' );

		$_POST = array(
			Keyword_Meta_Box::NONCE => array( $nonce ),
			Keyword_Meta_Box::FIELD => 'other',
		);
		Keyword_Meta_Box::save( $post->ID );
		$this->assertSame( 'trail shoes', get_post_meta( $post->ID, Options::POST_KEYWORD, true ), 'a nonce sent as a list is no nonce' );
	}

	public function test_the_request_guard_checks_the_capability_then_the_nonce(): void {
		$died = static function (): callable {
			return static function ( $message, $title = '', $args = array() ): void {
				throw new \RuntimeException( 'died ' . (int) ( $args['response'] ?? 0 ) . ': ' . ( is_string( $message ) ? $message : '' ) );
			};
		};
		add_filter( 'wp_die_handler', $died );
		try {
			wp_set_current_user( self::factory_user( 'editor' ) );
			$_REQUEST = array( '_wpnonce' => wp_create_nonce( 'affrank_x' ) );
			$this->assertDies( '/^died 403: Sorry, you are not allowed/', static fn () => Request_Guard::check( 'affrank_x' ), 'an editor may not change settings' );

			wp_set_current_user( self::factory_user( 'administrator' ) );
			$_REQUEST = array( '_wpnonce' => wp_create_nonce( 'affrank_other' ) );
			$this->assertDies( '/^died 403: The link you followed has expired/', static fn () => Request_Guard::check( 'affrank_x' ), 'a nonce for another action' );

			$_REQUEST = array( '_wpnonce' => array( wp_create_nonce( 'affrank_x' ) ) );
			$this->assertDies( '/^died 403: The link you followed has expired/', static fn () => Request_Guard::check( 'affrank_x' ), 'a nonce sent as a list' );

			$_REQUEST = array( '_wpnonce' => wp_create_nonce( 'affrank_x' ) );
			Request_Guard::check( 'affrank_x' );
		} finally {
			remove_filter( 'wp_die_handler', $died );
		}
	}

	public function test_report_urls_on_the_blog_show_as_paths_and_others_in_full(): void {
		$home = 'https://blog.example';
		$this->assertSame( '/', Report_Table::display_url( 'https://blog.example', $home ) );
		$this->assertSame( '/best-boots/', Report_Table::display_url( 'https://blog.example/best-boots/', $home ) );
		$this->assertSame( '/0', Report_Table::display_url( 'https://blog.example/0', $home ), 'a path of 0 is not the home page' );
		$this->assertSame( '/?p=12', Report_Table::display_url( 'https://blog.example/?p=12', $home ) );
		$this->assertSame( 'https://blog.example0', Report_Table::display_url( 'https://blog.example0', $home ), 'what is left is "0": another host, not "/"' );
		$this->assertSame( 'https://blog.example.net/x', Report_Table::display_url( 'https://blog.example.net/x', $home ) );
		$this->assertSame( 'https://shop.example/p', Report_Table::display_url( 'https://shop.example/p', $home ) );
		$this->assertSame( '/0', Report_Table::display_url( 'https://blog.example/sub/0', 'https://blog.example/sub' ) );
		$this->assertSame( 'https://blog.example/sub0', Report_Table::display_url( 'https://blog.example/sub0', 'https://blog.example/sub' ) );
	}

	public function test_the_pages_table_prints_a_page_of_0_as_its_path(): void {
		$home = untrailingslashit( home_url() );
		$row  = array( 'page_url' => $home . '/0', 'clicks' => 1, 'conversions' => 0, 'revenue' => '0', 'epc' => null, 'conversion_rate' => null );
		ob_start();
		Template::render(
			'partials/report-table',
			array(
				'table'    => 'pages',
				'title'    => 'Pages',
				'data'     => array( 'rows' => array( $row ), 'total_rows' => 1, 'orderby' => 'revenue', 'order' => 'desc' ),
				'range'    => Report_Range::from_query( array( 'range' => '7' ) ),
				'currency' => 'USD',
			)
		);
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( 'class="affrank-url" target="_blank" rel="noopener noreferrer">/0</a>', $html );
	}

	/** Runs $run and checks that it ended in wp_die() with a matching message. */
	private function assertDies( string $pattern, callable $run, string $why ): void {
		try {
			$run();
		} catch ( \RuntimeException $died ) {
			$this->assertMatchesRegularExpression( $pattern, $died->getMessage(), $why );
			return;
		}
		$this->fail( $why . ': did not stop' );
	}
}
