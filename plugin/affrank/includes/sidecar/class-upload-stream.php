<?php
/**
 * Sends a file to the sidecar as a request body without reading it into
 * PHP's memory.
 *
 * WordPress's wp_remote_request() takes a body only as a string, so a 20 MB report
 * export would be held whole in memory (twice, while cURL copies it). For
 * requests that carry self::ARG, the "http_api_curl" action (the same hook
 * Http_Timeout uses) turns WordPress's cURL handle into an upload read from
 * the file: cURL reads it in 16 KB pieces as it sends, and the method stays
 * POST. Where WordPress does not use cURL, Client sends the file's contents
 * as the body instead (uses_curl() says which).
 *
 * @package AffRank
 */

namespace AffRank\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Streams a request body from a file through WordPress's cURL handle.
 */
final class Upload_Stream {

	/** Request argument: the path of the file to send as the body. */
	public const ARG = 'affrank_upload_file';

	/**
	 * Files opened for requests of this PHP request, closed by close_all().
	 *
	 * @var resource[]
	 */
	private static array $open = array();

	/**
	 * Whether WordPress's HTTP API will send through cURL (the first transport
	 * it tries whenever the extension is loaded and not filtered out).
	 *
	 * @return bool
	 */
	public static function uses_curl(): bool {
		// The filter is WordPress core's own (WP_Http's transport choice).
		// phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- a core filter.
		return function_exists( 'curl_init' ) && function_exists( 'curl_exec' ) && false !== apply_filters( 'use_curl_transport', true, array() );
	}

	/**
	 * The http_api_curl callback: makes the handle send the file named by
	 * self::ARG as the body of a POST.
	 *
	 * @param \CurlHandle $handle The cURL handle about to be sent.
	 * @param array       $args   wp_remote_request() arguments.
	 */
	public static function apply( $handle, array $args ): void {
		$path = $args[ self::ARG ] ?? '';
		if ( ! is_string( $path ) || '' === $path || ! is_readable( $path ) ) {
			return;
		}
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fopen -- a read-only handle cURL reads the body from; WP_Filesystem has no streams.
		$file = fopen( $path, 'rb' );
		if ( false === $file ) {
			return;
		}
		self::$open[] = $file;
		// phpcs:disable WordPress.WP.AlternativeFunctions.curl_curl_setopt -- this is the documented way to tune WordPress's own handle.
		// UPLOAD makes cURL read the body from INFILE (it ignores the empty
		// POSTFIELDS WordPress set); CUSTOMREQUEST keeps the method POST.
		curl_setopt( $handle, CURLOPT_UPLOAD, true );
		curl_setopt( $handle, CURLOPT_CUSTOMREQUEST, 'POST' );
		curl_setopt( $handle, CURLOPT_INFILE, $file );
		curl_setopt( $handle, CURLOPT_INFILESIZE, (int) filesize( $path ) );
		// phpcs:enable
	}

	/**
	 * Closes the files apply() opened; Client calls it after each upload.
	 */
	public static function close_all(): void {
		foreach ( self::$open as $file ) {
			if ( is_resource( $file ) ) {
				// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fclose -- the handle apply() opened.
				fclose( $file );
			}
		}
		self::$open = array();
	}
}
