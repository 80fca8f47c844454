<?php
/**
 * The Settings form end to end inside WordPress: the page is rendered, its
 * fields are read back from the HTML and submitted the way a browser does
 * (text areas with CRLF line breaks), and the fake sidecar's "store" mode
 * keeps what a PUT /api/v1/site sends, so each test can check the exact
 * bytes that reached it.
 */

use AffRank\Admin\Settings_Page;
use AffRank\Options;
use AffRank\Tests\Test_Case;

final class SettingsFormTest extends Test_Case {

	/** Rules that sanitize_textarea_field() used to damage on every save. */
	private const RULES = array(
		array( 'kind' => 'host', 'pattern' => 'example.com/go%2Fdeal', 'network' => null ),
		array( 'kind' => 'regex', 'pattern' => '^https://shop\.example/out\?to=https%3A', 'network' => null ),
		array( 'kind' => 'regex', 'pattern' => '^https://track\.example/c/(?P<id>\d+)', 'network' => 'everflow' ),
		array( 'kind' => 'regex', 'pattern' => '^https://deals\.example/\?q=a<b', 'network' => null ),
		array( 'kind' => 'regex', 'pattern' => '^https://eq\.example/\?k = v', 'network' => null ),
	);

	/** The same rules as typed into the "Affiliate links" box. */
	private const TYPED = "example.com/go%2Fdeal\n"
		. "regex:^https://shop\\.example/out\\?to=https%3A\n"
		. "regex:^https://track\\.example/c/(?P<id>\\d+) = everflow\n"
		. "regex:^https://deals\\.example/\\?q=a<b\n"
		. "regex:^https://eq\\.example/\\?k = v = none";

	protected function setUp(): void {
		parent::setUp();
		// submit_button() and friends, which wp-admin loads for every screen.
		require_once ABSPATH . 'wp-admin/includes/template.php';
		$this->use_fake_sidecar( 'store' );
		wp_set_current_user( self::factory_user( 'administrator' ) );
		update_option( 'timezone_string', 'Europe/Berlin' );
	}

	public function test_saving_only_the_timeout_sends_the_sidecar_nothing_and_keeps_every_rule(): void {
		$this->seed_site(
			array(
				'link_rules'        => self::RULES,
				'tracking_base_url' => 'https://blog.example/out%2F',
				'time_zone'         => 'Europe/Berlin',
			)
		);
		$form = $this->rendered_form();
		$this->assertSame( str_replace( "\n", "\r\n", self::TYPED ), $form['affrank_link_rules'], 'the box shows each rule as it is' );

		$form['affrank_timeout_ms'] = '450';
		$notices                    = $this->save_settings( $form );

		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		$this->assertSame( 450, Options::timeout_ms() );
		$this->assertSame( array(), $this->puts(), 'nothing of the sidecar changed, so nothing is sent (and no page is re-tagged for nothing)' );
		$this->assertSame( self::RULES, $this->site()['link_rules'] );
		$this->assertSame( 'https://blog.example/out%2F', $this->site()['tracking_base_url'] );
	}

	public function test_a_change_to_one_sidecar_setting_sends_that_setting_alone(): void {
		$this->seed_site(
			array(
				'link_rules' => self::RULES,
				'time_zone'  => 'Europe/Berlin',
			)
		);
		$form = $this->rendered_form();
		unset( $form['affrank_exclude_bots'] );

		$notices = $this->save_settings( $form );

		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		$this->assertSame( array( array( 'exclude_bots' => false ) ), $this->puts() );
		$this->assertSame( self::RULES, $this->site()['link_rules'] );
	}

	public function test_rules_typed_into_the_box_reach_the_sidecar_byte_for_byte(): void {
		$this->seed_site( array( 'time_zone' => 'Europe/Berlin' ) );
		$form                       = $this->rendered_form();
		$form['affrank_link_rules'] = str_replace( "\n", "\r\n", self::TYPED );

		$notices = $this->save_settings( $form );

		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		$this->assertSame( array( array( 'link_rules' => self::RULES ) ), $this->puts() );
		$this->assertSame( self::RULES, $this->site()['link_rules'] );
		$this->assertSame( self::TYPED, Settings_Page::site_fields( $this->site() )['link_rules'], 'and they come back as typed' );
	}

	public function test_a_new_blog_time_zone_is_sent_with_an_otherwise_unchanged_form(): void {
		$this->seed_site( array( 'link_rules' => self::RULES ) );
		$this->assertSame( array( array( 'time_zone' => 'Europe/Berlin' ) ), $this->puts_after_saving( $this->rendered_form() ) );
		$this->assertSame( self::RULES, $this->site()['link_rules'] );
	}

	public function test_a_list_in_any_text_field_refuses_the_save_and_changes_nothing(): void {
		$this->seed_site(
			array(
				'link_rules' => self::RULES,
				'time_zone'  => 'Europe/Berlin',
			)
		);
		$url = Options::sidecar_url();
		foreach ( Settings_Page::TEXT_FIELDS as $name ) {
			$form                       = $this->rendered_form();
			$form['affrank_timeout_ms'] = '950';
			$form[ $name ]              = array( 'x' );

			$notices = $this->save_settings( $form );

			$this->assertSame( 'error', $notices[0]['type'], $name );
			$this->assertStringContainsString( 'Nothing was saved', $notices[0]['message'], $name );
			$this->assertStringContainsString( $name, $notices[0]['message'] );
			$this->assertSame( $url, Options::sidecar_url(), $name );
			$this->assertSame( 'test-key', Options::api_key(), $name );
			$this->assertSame( 300, Options::timeout_ms(), $name . ': not even the timeout is saved' );
			$this->assertSame( array(), $this->puts(), $name );
		}
	}

	public function test_a_list_for_a_checkbox_counts_as_not_ticked(): void {
		$this->seed_site( array( 'time_zone' => 'Europe/Berlin' ) );
		$form                            = $this->rendered_form();
		$form['affrank_tagging_enabled'] = array( '1' );
		$form['affrank_rel_sponsored']   = array( '1' );

		$notices = $this->save_settings( $form );

		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		$this->assertFalse( Options::tagging_enabled() );
		$this->assertSame( array( array( 'rel_policy' => 'none' ) ), $this->puts() );
	}

	/**
	 * Renders the Settings screen and returns what its form submits, as a
	 * browser would: every named input (ticked checkboxes only, no submit
	 * buttons) and text area, text areas with CRLF line breaks.
	 */
	private function rendered_form(): array {
		ob_start();
		Settings_Page::render();
		$html = (string) ob_get_clean();
		$dom  = new DOMDocument();
		$this->assertTrue( @$dom->loadHTML( '<?xml encoding="utf-8"?>' . $html ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- HTML5 tags are unknown to libxml.
		$xpath  = new DOMXPath( $dom );
		$fields = array();
		foreach ( $xpath->query( '//form[contains(@class, "affrank-settings")]//*[@name]' ) as $node ) {
			$name = $node->getAttribute( 'name' );
			$type = strtolower( $node->getAttribute( 'type' ) );
			if ( 'textarea' === $node->nodeName ) {
				$fields[ $name ] = str_replace( "\n", "\r\n", $node->textContent );
			} elseif ( 'submit' === $type || ( 'checkbox' === $type && ! $node->hasAttribute( 'checked' ) ) ) {
				continue;
			} else {
				$fields[ $name ] = $node->getAttribute( 'value' );
			}
		}
		$this->assertArrayHasKey( 'affrank_link_rules', $fields, 'the sidecar settings are on the form' );
		return $fields;
	}

	/** Saves the form and returns the PUT bodies the sidecar received. */
	private function puts_after_saving( array $form ): array {
		$notices = $this->save_settings( $form );
		$this->assertSame( 'success', $notices[0]['type'], $notices[0]['message'] );
		return $this->puts();
	}

	/** Puts the settings in the fake sidecar, as another admin or the API would. */
	private function seed_site( array $settings ): void {
		file_put_contents( getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/store-site.json', wp_json_encode( $settings ) );
	}

	/** The settings the fake sidecar holds now. */
	private function site(): array {
		return json_decode( (string) file_get_contents( getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/store-site.json' ), true );
	}

	/** Every PUT /api/v1/site body the fake sidecar received, decoded. */
	private function puts(): array {
		$file = getenv( 'AFFRANK_FAKE_SIDECAR_LOG' ) . '/store-puts.jsonl';
		clearstatcache();
		return is_file( $file ) ? array_map( static fn ( string $line ): array => json_decode( $line, true ), file( $file, FILE_IGNORE_NEW_LINES ) ) : array();
	}
}
