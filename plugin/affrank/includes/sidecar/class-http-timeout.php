<?php
/**
 * Sub-second timeouts for sidecar calls.
 *
 * WordPress's HTTP layer (Requests) rounds every timeout up to one second,
 * because cURL's default resolver uses alarm(). A page render must not wait
 * that long, so for requests that carry self::ARG we set the cURL handle's
 * millisecond timeouts ourselves, with NOSIGNAL so the resolver cannot use
 * alarm() either. The "http_api_curl" action is WordPress's hook for this.
 *
 * @package AffRank
 */

namespace AffRank\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Applies millisecond timeouts to WordPress's cURL handle.
 */
final class Http_Timeout {

	/** Request argument: the timeout in milliseconds. */
	public const ARG = 'affrank_timeout_ms';

	/**
	 * The http_api_curl callback: sets the handle's timeouts when the request
	 * carries self::ARG.
	 *
	 * @param \CurlHandle $handle The cURL handle about to be sent.
	 * @param array       $args   wp_remote_request() arguments.
	 */
	public static function apply( $handle, array $args ): void {
		if ( empty( $args[ self::ARG ] ) ) {
			return;
		}
		$ms = (int) $args[ self::ARG ];
		// phpcs:disable WordPress.WP.AlternativeFunctions.curl_curl_setopt -- this is the documented way to tune WordPress's own handle.
		curl_setopt( $handle, CURLOPT_NOSIGNAL, true );
		curl_setopt( $handle, CURLOPT_TIMEOUT_MS, $ms );
		curl_setopt( $handle, CURLOPT_CONNECTTIMEOUT_MS, $ms );
		// phpcs:enable
	}
}
