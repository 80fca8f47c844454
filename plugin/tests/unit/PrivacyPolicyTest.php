<?php
/**
 * The suggested privacy-policy text: registered on admin_init by the
 * plugin, handed to WordPress's Policy Guide, and saying what a click
 * records and for how long.
 */

use AffRank\Admin\Privacy_Policy;
use AffRank\Tests\Test_Case;

final class PrivacyPolicyTest extends Test_Case {

	public function test_the_plugin_registers_the_text_on_admin_init(): void {
		$this->assertSame( 10, has_action( 'admin_init', array( Privacy_Policy::class, 'add_suggested_text' ) ) );
	}

	public function test_wordpress_receives_the_text_for_its_policy_guide(): void {
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
		require_once ABSPATH . 'wp-admin/includes/screen.php';
		require_once ABSPATH . 'wp-admin/includes/class-wp-privacy-policy-content.php';
		global $wp_current_filter;
		set_current_screen( 'dashboard' );
		// As WordPress runs it: inside admin_init, in wp-admin.
		$wp_current_filter[] = 'admin_init';
		try {
			Privacy_Policy::add_suggested_text();
		} finally {
			array_pop( $wp_current_filter );
			$GLOBALS['current_screen'] = null;
		}
		$ours = array_values( array_filter( WP_Privacy_Policy_Content::get_suggested_policy_text(), static fn ( array $entry ): bool => 'AffRank' === $entry['plugin_name'] ) );
		$this->assertCount( 1, $ours );
		$this->assertSame( Privacy_Policy::text(), $ours[0]['policy_text'] );
	}

	public function test_the_text_says_what_a_click_records_and_what_is_dropped_when(): void {
		$text = wp_strip_all_tags( Privacy_Policy::text() );
		foreach ( array( 'the time', 'the page and the keyword', 'user agent', 'referring address', 'hash of the visitor’s IP address', 'The IP address itself is never stored', 'replaced every day', 'deleted after 90 days' ) as $needle ) {
			$this->assertStringContainsString( $needle, $text );
		}
		$this->assertStringContainsString( '<strong class="privacy-policy-tutorial">', Privacy_Policy::text() );
	}

	public function test_the_text_is_translated_and_escaped(): void {
		$translate = static fn ( string $translation, string $text, string $domain ): string => 'affrank' === $domain && str_starts_with( $text, 'The IP address itself' ) ? 'Die IP-Adresse <b>nie</b>.' : $translation;
		add_filter( 'gettext', $translate, 10, 3 );
		try {
			$html = Privacy_Policy::text();
		} finally {
			remove_filter( 'gettext', $translate, 10 );
		}
		$this->assertStringContainsString( '<p>Die IP-Adresse &lt;b&gt;nie&lt;/b&gt;.</p>', $html );
	}
}
