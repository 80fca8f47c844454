<?php
/**
 * The the_content filter against a fake sidecar over real HTTP: tagging,
 * caching, fail-open back-off, timeouts and the renders that are not tagged.
 */

use AffRank\Options;
use AffRank\Sidecar\Backoff;
use AffRank\Sidecar\Site_State;
use AffRank\Tagging\Content_Filter;
use AffRank\Tests\Test_Case;

final class ContentFilterTest extends Test_Case {

	private const HTML = '<p>Get it at <a href="https://www.awin1.com/cread.php?awinmid=1">Awin</a> or <a href="https://example.org/">elsewhere</a>.</p>';

	protected function tearDown(): void {
		global $wp_query;
		$wp_query->is_preview = false;
		$wp_query->is_feed    = false;
		unset( $GLOBALS['current_screen'] );
		parent::tearDown();
	}

	private function render( WP_Post $post, string $html = self::HTML ): string {
		$GLOBALS['post'] = $post;
		setup_postdata( $post );
		return Content_Filter::create()->filter( $html );
	}

	public function test_affiliate_links_are_tagged_and_the_answer_is_cached(): void {
		$this->use_fake_sidecar( 'ok' );
		$post  = $this->publish_post( self::HTML );
		$first = $this->render( $post );
		$this->assertStringContainsString( 'href="https://t.test/go/cread.php', $first );
		$this->assertStringContainsString( 'href="https://example.org/"', $first );
		$this->assertSame( 2, $this->fake_calls( 'ok' ), 'one settings-version read, one rewrite' );

		$this->assertSame( $first, $this->render( $post ) );
		$this->assertSame( 2, $this->fake_calls( 'ok' ), 'a warm cache costs no call' );
	}

	public function test_the_filter_runs_after_shortcodes_and_blocks(): void {
		$this->assertSame( Content_Filter::PRIORITY, has_filter( 'the_content', array( AffRank\Plugin::class, 'filter_content' ) ) );
		$this->assertGreaterThan( has_filter( 'the_content', 'do_shortcode' ), Content_Filter::PRIORITY );
		$this->assertGreaterThan( has_filter( 'the_content', 'do_blocks' ), Content_Filter::PRIORITY );

		$this->use_fake_sidecar( 'ok' );
		add_shortcode( 'affrank_test_offer', static fn () => '<a href="https://www.awin1.com/cread.php?awinmid=2">Offer</a>' );
		$post            = $this->publish_post( '[affrank_test_offer]' );
		$GLOBALS['post'] = $post;
		setup_postdata( $post );
		$html = apply_filters( 'the_content', '[affrank_test_offer]' );
		remove_shortcode( 'affrank_test_offer' );
		$this->assertStringContainsString( 'https://t.test/go/', $html, 'links made by a shortcode are tagged' );
	}

	public function test_a_new_settings_version_re_tags_and_is_remembered(): void {
		$this->use_fake_sidecar( 'v7' );
		$post = $this->publish_post( self::HTML );
		( new Site_State( AffRank\Sidecar\Client::for_render(), new Backoff() ) )->remember( 3 );
		$this->render( $post );
		$this->assertSame( 1, $this->fake_calls( 'v7' ), 'a fresh version needs no site read' );
		$this->assertSame( 7, get_option( Options::SITE_STATE )['version'], 'the answer\'s version is kept' );
		$this->render( $post );
		$this->assertSame( 1, $this->fake_calls( 'v7' ), 'the answer was cached under the new version' );

		( new Site_State( AffRank\Sidecar\Client::for_render(), new Backoff() ) )->remember( 8 );
		$this->render( $post );
		$this->assertSame( 2, $this->fake_calls( 'v7' ), 'a settings save (new version) re-tags' );
	}

	public function test_an_erroring_sidecar_serves_the_original_and_backs_off(): void {
		$this->use_fake_sidecar( 'error500' );
		$post = $this->publish_post( self::HTML );
		$this->assertSame( self::HTML, $this->render( $post ) );
		$this->assertFalse( ( new Backoff() )->allows_call() );
		$calls = $this->fake_calls( 'error500' );
		$this->assertSame( self::HTML, $this->render( $post ) );
		$this->assertSame( $calls, $this->fake_calls( 'error500' ), 'no calls during the back-off' );
	}

	public function test_a_slow_sidecar_costs_at_most_the_timeout_once(): void {
		$this->use_fake_sidecar( 'slow', 300 );
		$post  = $this->publish_post( self::HTML );
		$start = microtime( true );
		$html  = $this->render( $post );
		$spent = microtime( true ) - $start;
		$this->assertSame( self::HTML, $html );
		$this->assertLessThan( 0.9, $spent, 'the 300 ms timeout holds although WordPress rounds timeouts up to 1 s' );
		$this->assertGreaterThanOrEqual( 0.25, $spent );

		$start = microtime( true );
		$this->assertSame( self::HTML, $this->render( $this->publish_post( self::HTML . ' ' ) ) );
		$this->assertLessThan( 0.1, microtime( true ) - $start, 'the next render does not wait at all' );
	}

	public function test_a_sidecar_known_down_serves_original_links_even_when_cached(): void {
		$this->use_fake_sidecar( 'ok' );
		$post   = $this->publish_post( self::HTML );
		$tagged = $this->render( $post );
		$this->assertNotSame( self::HTML, $tagged );
		( new Backoff() )->record_failure( 'down' );
		$this->assertSame( self::HTML, $this->render( $post ), '/go/ links would point at a sidecar that is down' );
	}

	public function test_a_refused_post_is_not_resent_and_does_not_pause_other_posts(): void {
		$this->use_fake_sidecar( 'ok' );
		$post = $this->publish_post( self::HTML );
		( new Site_State( AffRank\Sidecar\Client::for_render(), new Backoff() ) )->remember( 3 );
		$this->use_fake_sidecar( 'bad400' );
		$this->assertSame( self::HTML, $this->render( $post ) );
		$this->assertTrue( ( new Backoff() )->allows_call(), 'a 400 is about this post, not the sidecar' );
		$this->render( $post );
		$this->assertSame( 1, $this->fake_calls( 'bad400' ), 'the refusal is remembered' );
	}

	public function test_a_wrong_api_key_backs_off(): void {
		$this->use_fake_sidecar( 'unauth' );
		$this->render( $this->publish_post( self::HTML ) );
		$this->assertFalse( ( new Backoff() )->allows_call() );
	}

	public function test_feeds_are_tagged(): void {
		global $wp_query;
		$this->use_fake_sidecar( 'ok' );
		$wp_query->is_feed = true;
		$this->assertStringContainsString( 't.test/go/', $this->render( $this->publish_post( self::HTML ) ) );
	}

	/** @dataProvider untagged_renders */
	public function test_renders_that_are_not_tagged_make_no_call( callable $arrange ): void {
		$this->use_fake_sidecar( 'ok' );
		$post = $this->publish_post( self::HTML );
		$html = $arrange( $post, $this );
		$this->assertSame( self::HTML, $html );
		$this->assertSame( 0, $this->fake_calls( 'ok' ) );
	}

	public static function untagged_renders(): array {
		$render = static fn ( WP_Post $post ) => ( function () use ( $post ) {
			$GLOBALS['post'] = $post;
			setup_postdata( $post );
			return Content_Filter::create()->filter( self::HTML );
		} )();
		return array(
			'a preview'          => array(
				static function ( WP_Post $post ) use ( $render ) {
					$GLOBALS['wp_query']->is_preview = true;
					return $render( $post );
				},
			),
			'a draft'            => array(
				static function ( WP_Post $post ) use ( $render ) {
					wp_update_post( array( 'ID' => $post->ID, 'post_status' => 'draft' ) );
					return $render( get_post( $post->ID ) );
				},
			),
			'a password post'    => array(
				static function ( WP_Post $post ) use ( $render ) {
					wp_update_post( array( 'ID' => $post->ID, 'post_password' => 'secret' ) );
					return $render( get_post( $post->ID ) );
				},
			),
			'an admin screen'    => array(
				static function ( WP_Post $post ) use ( $render ) {
					require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
					require_once ABSPATH . 'wp-admin/includes/screen.php';
					$GLOBALS['current_screen'] = WP_Screen::get( 'dashboard' );
					return $render( $post );
				},
			),
			'an automatic excerpt' => array(
				static function ( WP_Post $post ) use ( $render ) {
					$callback = static fn () => $render( $post );
					add_filter( 'get_the_excerpt', $callback );
					$html = apply_filters( 'get_the_excerpt', '', $post );
					remove_filter( 'get_the_excerpt', $callback );
					return $html;
				},
			),
			'tagging switched off' => array(
				static function ( WP_Post $post ) use ( $render ) {
					update_option( Options::TAGGING_ENABLED, '0' );
					return $render( $post );
				},
			),
		);
	}

	public function test_content_without_links_makes_no_call(): void {
		$this->use_fake_sidecar( 'ok' );
		$this->assertSame( '<p>No links here.</p>', $this->render( $this->publish_post( 'x' ), '<p>No links here.</p>' ) );
		$this->assertSame( 0, $this->fake_calls( 'ok' ) );
	}

	public function test_an_unconfigured_plugin_leaves_content_alone(): void {
		delete_option( Options::SIDECAR_URL );
		$this->assertSame( self::HTML, $this->render( $this->publish_post( self::HTML ) ) );
	}
}
