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

/**
 * Flash notices for the AffRank screens.
 */
final class Notices {

	/**
	 * Queues a notice for the current user's next AffRank screen.
	 *
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

	/**
	 * The current user's queued notices.
	 *
	 * @return array<int, array{type:string,message:string,detail:string}>
	 */
	private static function pending(): array {
		$notices = get_user_meta( get_current_user_id(), Options::USER_NOTICE, true );
		return is_array( $notices ) ? $notices : array();
	}
}
