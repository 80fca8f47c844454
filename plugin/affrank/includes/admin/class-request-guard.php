<?php
/**
 * The check every state change of the AffRank screens starts with, and the
 * redirect it ends with (admin-post.php: capability, nonce, work, redirect).
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * Capability and nonce check for admin-post.php handlers, and their redirect.
 */
final class Request_Guard {

	/**
	 * Stops the request unless the user has the capability and the request
	 * carries a valid nonce for the action: first the capability (403), then
	 * the object-specific nonce ("The link you followed has expired.").
	 *
	 * @param string $nonce_action The action the form's nonce was made for.
	 * @param string $capability   The capability the action needs.
	 */
	public static function check( string $nonce_action, string $capability = Menu::CAPABILITY ): void {
		if ( ! current_user_can( $capability ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to do that.', 'affrank' ), '', array( 'response' => 403 ) );
		}
		// A nonce sent as a list (_wpnonce[]=…) is refused like a wrong one,
		// before WordPress would turn it into the string "Array".
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only its type is looked at; check_admin_referer() verifies it.
		if ( isset( $_REQUEST['_wpnonce'] ) && ! is_string( $_REQUEST['_wpnonce'] ) ) {
			wp_nonce_ays( $nonce_action );
			die();
		}
		check_admin_referer( $nonce_action );
	}

	/**
	 * Back to one of the AffRank screens, and stop.
	 *
	 * @param string $page A Menu page slug.
	 * @param array  $args Extra query arguments for the screen.
	 */
	public static function redirect( string $page, array $args = array() ): never {
		wp_safe_redirect( Menu::url( $page, $args ) );
		exit;
	}
}
