<?php
/**
 * The text AffRank suggests for the blog's privacy policy (Settings →
 * Privacy → Policy Guide), about what a click on a tagged link records.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * Suggested privacy-policy text, given to WordPress on admin_init.
 */
final class Privacy_Policy {

	/**
	 * Days after which the sidecar drops a click's user agent and referrer,
	 * unless its operator set another period.
	 */
	public const DEFAULT_RETENTION_DAYS = 90;

	/**
	 * The admin_init callback: hands the suggested text to WordPress.
	 */
	public static function add_suggested_text(): void {
		if ( function_exists( 'wp_add_privacy_policy_content' ) ) {
			wp_add_privacy_policy_content( __( 'AffRank', 'affrank' ), self::text() );
		}
	}

	/**
	 * The suggested text, as HTML: a note for the site owner, then the text
	 * to copy into the policy.
	 *
	 * @return string HTML, every translated part escaped.
	 */
	public static function text(): string {
		$paragraphs = array(
			__( 'When a visitor clicks an affiliate link on this site, the link first passes through AffRank, a click tracker run by the owner of this site, which then forwards the visitor to the shop. For each click it records the time, the page and the keyword the link was on, the browser’s user agent, the referring address, and a hash of the visitor’s IP address.', 'affrank' ),
			__( 'The IP address itself is never stored. It is hashed with a random salt that is replaced every day and never written down, so the hash can only link the clicks made from one address on one day, and cannot be turned back into the address once the day is over.', 'affrank' ),
			sprintf(
				/* translators: %d: number of days. */
				__( 'The user agent and the referring address are deleted after %d days. The rest of the click record is kept for revenue reports: which pages and keywords lead to sales.', 'affrank' ),
				self::DEFAULT_RETENTION_DAYS
			),
			__( 'The shop or affiliate network receives a random session id with the click, so that a later purchase can be credited to the page that sent the visitor. The session id does not identify the visitor.', 'affrank' ),
		);

		$html  = '<p class="privacy-policy-tutorial">' . esc_html__( 'AffRank records the clicks on your affiliate links in its own database, on the server where you run the AffRank sidecar; nothing is sent to AffRank’s authors. If you changed the sidecar’s retention period, change the number of days below to match.', 'affrank' ) . '</p>';
		$html .= '<strong class="privacy-policy-tutorial">' . esc_html__( 'Suggested text:', 'affrank' ) . ' </strong>';
		foreach ( $paragraphs as $paragraph ) {
			$html .= '<p>' . esc_html( $paragraph ) . '</p>';
		}
		return $html;
	}
}
