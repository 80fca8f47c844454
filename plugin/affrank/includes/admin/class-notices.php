<?php
/**
 * One-shot notices carried across the redirect that follows every form
 * post (stored in the current user's meta, shown once on the next screen).
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Options;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

final class Notices {

	/**
	 * @param string $type    success, error, warning or info.
	 * @param string $message Plain text; escaped when shown.
	 * @param string $detail  Optional second line, plain text, shown smaller.
	 */
	public static function flash( string $type, string $message, string $detail = '' ): void {
		$notices   = self::pending();
		$notices[] = array(
			'type'    => $type,
			'message' => $message,
			'detail'  => $detail,
		);
		update_user_meta( get_current_user_id(), Options::USER_NOTICE, $notices );
	}

	/** Prints and forgets the pending notices. */
	public static function render(): void {
		$notices = self::pending();
		if ( ! $notices ) {
			return;
		}
		delete_user_meta( get_current_user_id(), Options::USER_NOTICE );
		Template::render( 'partials/notices', array( 'notices' => $notices ) );
	}

	private static function pending(): array {
		$notices = get_user_meta( get_current_user_id(), Options::USER_NOTICE, true );
		return is_array( $notices ) ? $notices : array();
	}

	/**
	 * The check every state change starts with: capability, then the
	 * object-specific nonce. Dies with a 403 on failure.
	 */
	public static function guard( string $nonce_action, string $capability = Menu::CAPABILITY ): void {
		if ( ! current_user_can( $capability ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to do that.', 'affrank' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( $nonce_action );
	}

	/** Back to one of our screens, and stop. */
	public static function redirect( string $page, array $args = array() ): never {
		wp_safe_redirect( Menu::url( $page, $args ) );
		exit;
	}
}
