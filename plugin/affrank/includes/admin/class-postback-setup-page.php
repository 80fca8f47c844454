<?php
/**
 * AffRank → Postback Setup: the site's postback URL and, per network, what
 * to paste where; plus a test that sends a click and a conversion through
 * the sidecar's real endpoints.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Sidecar\Client;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

/**
 * The Postback Setup screen and its "Send test postback" handler.
 */
final class Postback_Setup_Page {

	public const TEST_ACTION = 'affrank_test_postback';

	/**
	 * Prints the screen.
	 */
	public static function render(): void {
		if ( ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		$client = Client::for_admin();
		$site   = $client->is_configured() ? $client->site() : null;
		Template::render(
			'postback-setup',
			array(
				'configured'  => $client->is_configured(),
				'site'        => is_array( $site ) ? $site : null,
				'error'       => is_wp_error( $site ) ? $site : null,
				'entries'     => is_array( $site ) ? Postback_Networks::entries( $site ) : array(),
				'test_action' => self::TEST_ACTION,
			)
		);
	}

	/**
	 * Sends a test click and a test postback: rewrite a sample link, follow
	 * its /go/ redirect as a bot to get a session id, then call the postback
	 * URL with test=1. Neither counts in any figure.
	 */
	public static function handle_test_postback(): void {
		Request_Guard::check( self::TEST_ACTION );
		$result = ( new Test_Postback( Client::for_admin() ) )->run();
		if ( is_wp_error( $result ) ) {
			// A sidecar without postbacks yet is not something the blogger got wrong.
			Notices::flash( 'affrank_not_available' === $result->get_error_code() ? 'warning' : 'error', $result->get_error_message() );
		} else {
			$detail = '' === $result['message']
				? ''
				/* translators: %s: the sidecar's own explanation of the outcome (English). */
				: sprintf( __( 'The sidecar said: “%s”', 'affrank' ), $result['message'] );
			Notices::flash( self::notice_type( $result['status'], $result['http_status'] ), $result['summary'], $detail );
		}
		Request_Guard::redirect( Menu::POSTBACKS );
	}

	/**
	 * How a test outcome is shown: "test" is the one that means all is well.
	 *
	 * @param string $status      The outcome.
	 * @param int    $http_status The postback URL's HTTP status.
	 * @return string A notice type.
	 */
	public static function notice_type( string $status, int $http_status ): string {
		if ( 'test' === $status ) {
			return 'success';
		}
		return $http_status >= 400 ? 'error' : 'warning';
	}
}
