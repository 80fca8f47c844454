<?php
/**
 * The "Send test postback" round trip, through the real public endpoints:
 * a sample affiliate link is tagged, its /go/ redirect is followed to get a
 * fresh session id, and the site's postback URL is called with it and
 * test=1.
 *
 * Neither half counts: the click is sent with a bot user agent, so the
 * sidecar records it as not billable (it stays out of clicks, EPC and
 * conversion rate), and a postback with test=1 is answered with the outcome
 * "test", logged, and never stored as a conversion. Its message says whether
 * the session id matched the test click, so the check covers the click side
 * as well as the URL and token.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Sidecar\Client;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The test click and test postback of Postback Setup.
 */
final class Test_Postback {

	public const SAMPLE_LINK = 'https://www.awin1.com/cread.php?awinmid=1&awinaffid=1&p=https%3A%2F%2Fexample.com%2Faffrank-test';
	public const USER_AGENT  = 'AffRankTestBot/1.0 (test postback from wp-admin)';
	public const KEYWORD     = 'AffRank test';
	public const TIMEOUT     = 5;

	/**
	 * Builds a test on a sidecar client.
	 *
	 * @param Client $client The admin client.
	 */
	public function __construct( private Client $client ) {}

	/**
	 * Makes the test click and sends the test postback.
	 *
	 * @return array{status:string,http_status:int,message:string,hint:string,summary:string}|WP_Error
	 *         status: the sidecar's outcome; message: the sidecar's own words.
	 */
	public function run(): array|WP_Error {
		$site = $this->client->site();
		if ( is_wp_error( $site ) ) {
			return $site;
		}
		$template = (string) ( $site['postback_url'] ?? '' );
		if ( '' === $template ) {
			return new WP_Error( 'affrank_test_failed', __( 'The sidecar did not give this site a postback URL, so no test postback could be sent.', 'affrank' ) );
		}

		$session = $this->test_click();
		if ( is_wp_error( $session ) ) {
			return $session;
		}

		$url      = self::postback_url( $template, $session );
		$response = wp_remote_get(
			$url,
			array(
				'timeout'     => self::TIMEOUT,
				'redirection' => 0,
				'user-agent'  => self::USER_AGENT,
			)
		);
		if ( is_wp_error( $response ) ) {
			return new WP_Error(
				'affrank_test_failed',
				sprintf(
					/* translators: %s: the transport's error message. */
					__( 'The test click worked, but the postback URL could not be reached from this server (%s). Is the tracking base URL reachable from here?', 'affrank' ),
					$response->get_error_message()
				)
			);
		}
		return self::outcome( (int) wp_remote_retrieve_response_code( $response ), (string) wp_remote_retrieve_body( $response ) );
	}

	/**
	 * The site's postback URL with the test click's session id, a sample
	 * amount and transaction id, and test=1 (which makes the sidecar count
	 * nothing).
	 *
	 * @param string $template The site's generic postback URL.
	 * @param string $session  The test click's session id.
	 * @return string
	 */
	public static function postback_url( string $template, string $session ): string {
		$filled = Postback_Networks::fill( $template, $session, '1.00', 'affrank-test-' . time() );
		return add_query_arg( 'test', '1', $filled );
	}

	/**
	 * Reads the sidecar's answer to a postback: {"status","message"[,"parameter"]}.
	 *
	 * @param int    $code The HTTP status.
	 * @param string $body The answer's body.
	 * @return array{status:string,http_status:int,message:string,hint:string,summary:string}|WP_Error
	 */
	public static function outcome( int $code, string $body ): array|WP_Error {
		$decoded = json_decode( $body, true );
		$status  = is_array( $decoded ) && isset( $decoded['status'] ) && is_string( $decoded['status'] ) ? $decoded['status'] : '';
		if ( '' === $status ) {
			if ( 404 === $code ) {
				// A 404 without an outcome: a sidecar from before postbacks.
				return new WP_Error( 'affrank_not_available', __( 'The test click worked, but this sidecar does not receive postbacks yet. Updating the sidecar will switch them on.', 'affrank' ) );
			}
			return new WP_Error(
				'affrank_test_failed',
				/* translators: %d: HTTP status code. */
				sprintf( __( 'The postback URL answered HTTP %d without an outcome. Is the tracking base URL pointing at the AffRank sidecar?', 'affrank' ), $code )
			);
		}
		$message = is_array( $decoded ) && isset( $decoded['message'] ) && is_scalar( $decoded['message'] ) ? (string) $decoded['message'] : '';
		// The sidecar's message starts with the parameter's name; say it if not.
		$parameter = is_array( $decoded ) && isset( $decoded['parameter'] ) && is_scalar( $decoded['parameter'] ) ? (string) $decoded['parameter'] : '';
		if ( '' !== $parameter && ! str_starts_with( $message, $parameter . ':' ) ) {
			/* translators: 1: parameter name, 2: the sidecar's explanation. */
			$message = sprintf( __( '%1$s: %2$s', 'affrank' ), $parameter, $message );
		}
		return array(
			'status'      => $status,
			'http_status' => $code,
			'message'     => $message,
			'hint'        => Postback_Log_Page::hint( $status ),
			'summary'     => sprintf(
				/* translators: 1: outcome such as "test", 2: HTTP status code, 3: what the outcome means. */
				__( 'Test postback sent. Outcome: %1$s (HTTP %2$d). %3$s', 'affrank' ),
				$status,
				$code,
				'test' === $status
					? __( 'The postback URL and token work. Nothing was counted: your figures do not change.', 'affrank' )
					: Postback_Log_Page::hint( $status )
			),
		);
	}

	/**
	 * Tags a sample link and follows its /go/ redirect as a bot.
	 *
	 * @return string|WP_Error The session id the click was given.
	 */
	private function test_click(): string|WP_Error {
		$rewritten = $this->client->rewrite(
			array(
				'html'           => '<a href="' . esc_url( self::SAMPLE_LINK ) . '">AffRank test</a>',
				'page_url'       => add_query_arg( 'affrank-test', '1', home_url( '/' ) ),
				'post_id'        => null,
				'keyword'        => self::KEYWORD,
				'keyword_source' => 'test',
			)
		);
		if ( is_wp_error( $rewritten ) ) {
			return $rewritten;
		}
		if ( ! preg_match( '/href="([^"]+)"/', $rewritten['html'], $m ) ) {
			return new WP_Error( 'affrank_test_failed', __( 'The sidecar did not tag the sample link, so no test click could be made.', 'affrank' ) );
		}
		$go       = html_entity_decode( $m[1], ENT_QUOTES );
		$redirect = wp_remote_get(
			$go,
			array(
				'redirection' => 0,
				'timeout'     => self::TIMEOUT,
				'user-agent'  => self::USER_AGENT,
			)
		);
		$location = is_wp_error( $redirect ) ? '' : (string) wp_remote_retrieve_header( $redirect, 'location' );
		parse_str( (string) wp_parse_url( $location, PHP_URL_QUERY ), $params );
		$session = isset( $params['affrank_sid'] ) && is_string( $params['affrank_sid'] ) ? $params['affrank_sid'] : '';
		if ( '' === $session ) {
			return new WP_Error(
				'affrank_test_failed',
				/* translators: %s: the tracking link that was tried. */
				sprintf( __( 'The test click on %s did not redirect with a session id. Is the tracking base URL reachable from this server?', 'affrank' ), $go )
			);
		}
		return $session;
	}
}
