<?php
/**
 * The "Send test postback" round trip, through the real public endpoints:
 * a sample affiliate link is tagged, its /go/ redirect is followed to get a
 * fresh session id, and the site's postback URL is called with it.
 *
 * The click is sent with a bot user agent, so the sidecar records it as not
 * billable and it stays out of EPC and conversion rate; the conversion is
 * marked event=test.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Sidecar\Client;
use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Test_Postback {

	public const SAMPLE_LINK = 'https://www.awin1.com/cread.php?awinmid=1&awinaffid=1&p=https%3A%2F%2Fexample.com%2Faffrank-test';
	public const USER_AGENT  = 'AffRankTestBot/1.0 (test postback from wp-admin)';

	public function __construct( private Client $client ) {}

	/** @return array{status:string,message:string}|WP_Error */
	public function run(): array|WP_Error {
		$site = $this->client->site();
		if ( is_wp_error( $site ) ) {
			return $site;
		}
		$rewritten = $this->client->rewrite(
			array(
				'html'           => '<a href="' . esc_url( self::SAMPLE_LINK ) . '">AffRank test</a>',
				'page_url'       => add_query_arg( 'affrank-test', '1', home_url( '/' ) ),
				'post_id'        => null,
				'keyword'        => 'AffRank test',
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
				'timeout'     => 5,
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

		$url      = add_query_arg( 'event', 'test', Postback_Networks::fill( (string) ( $site['postback_url'] ?? '' ), $session, '1.00', 'affrank-test-' . time() ) );
		$response = wp_remote_get(
			$url,
			array(
				'timeout'     => 5,
				'redirection' => 0,
			)
		);
		if ( is_wp_error( $response ) ) {
			return new WP_Error( 'affrank_test_failed', $response->get_error_message() );
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		if ( 404 === $code ) {
			return new WP_Error( 'affrank_not_available', __( 'The test click worked, but this sidecar does not receive postbacks yet. Updating the sidecar will switch them on.', 'affrank' ) );
		}
		$body   = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		$status = is_array( $body ) && isset( $body['status'] ) ? (string) $body['status'] : 'http_' . $code;
		return array(
			'status'  => $status,
			'message' => sprintf(
				/* translators: 1: outcome such as "matched", 2: what the outcome means. */
				__( 'Test postback sent: %1$s. %2$s', 'affrank' ),
				$status,
				Postback_Log_Page::hint( $status )
			),
		);
	}
}
