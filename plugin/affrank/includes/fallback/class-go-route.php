<?php
/**
 * The fallback for /go/{id}: /?affrank_go={id} on the blog redirects to the
 * link's destination from the plugin's copy of the link map.
 *
 * A page cached while the sidecar was up keeps its /go/ links; when the
 * sidecar process is down, nginx hands those requests to WordPress (see the
 * README's nginx section) and the reader still reaches the offer. The click
 * is untracked: no session id the sidecar would know can be minted here, so
 * the destination is the URL as written in the post, the network's own
 * parameters as they are. It is counted (Untracked_Clicks) and reported to
 * the sidecar once it is back.
 *
 * Never an open redirect: only an id the map holds is redirected, to the
 * destination the sidecar registered; anything else is a 404.
 *
 * @package AffRank
 */

namespace AffRank\Fallback;

defined( 'ABSPATH' ) || exit;

/**
 * Answers /?affrank_go={id}.
 */
final class Go_Route {

	/** The query variable nginx rewrites /go/{id} to. */
	public const QUERY_VAR = 'affrank_go';

	/**
	 * User agents whose clicks are redirected but not counted: the generic
	 * patterns of the sidecar's bot list (src/clicks/bots.txt), and no user
	 * agent at all.
	 */
	public const BOT_PATTERN = '~^$|bot\b|bot/|crawl|spider|slurp|scrape|archiver|preview|headlesschrome|^curl/|^wget/|^python-|^go-http-client|^java/|^okhttp~i';

	/**
	 * The init callback: answers and ends the request when it is ours.
	 */
	public static function handle_request(): void {
		// A public link, followed by a reader's click: no nonce can exist.
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- validated against Link_Map::ID_PATTERN in answer().
		$raw = isset( $_GET[ self::QUERY_VAR ] ) ? wp_unslash( $_GET[ self::QUERY_VAR ] ) : null;
		if ( null === $raw ) {
			return;
		}
		$answer = self::answer( $raw, self::request_method(), self::request_headers(), time() );
		self::send( $answer );
		exit;
	}

	/**
	 * What to answer, and the click counted on the way.
	 *
	 * @param mixed                 $raw     The query variable as sent (a string, or an array for "affrank_go[]=").
	 * @param string                $method  The request method.
	 * @param array<string, string> $headers Lower-cased request header names to values.
	 * @param int                   $now     Unix time.
	 * @return array{status:int,location?:string,counted:bool}
	 */
	public static function answer( $raw, string $method, array $headers, int $now ): array {
		$id          = is_string( $raw ) ? $raw : '';
		$destination = '' === $id ? null : Link_Map::destination( $id );
		if ( null === $destination ) {
			return array(
				'status'  => 404,
				'counted' => false,
			);
		}
		$counted = 'GET' === $method && ! self::is_prefetch( $headers ) && ! self::is_bot( $headers['user-agent'] ?? '' );
		if ( $counted ) {
			Untracked_Clicks::record( $id, gmdate( 'Y-m-d', $now ) );
		}
		return array(
			'status'   => 302,
			'location' => self::location( $destination ),
			'counted'  => $counted,
		);
	}

	/**
	 * The destination as a Location header value: characters that
	 * wp_sanitize_redirect() would strip (spaces, quotes, braces, non-ASCII
	 * bytes…) are percent-encoded instead, so the URL arrives whole.
	 *
	 * @param string $url A destination from the map.
	 * @return string
	 */
	public static function location( string $url ): string {
		return (string) preg_replace_callback(
			'|[^a-z0-9\-~+_.?#=&;,/:%!*\[\]()@]|i',
			static function ( array $matches ): string {
				return rawurlencode( $matches[0] );
			},
			$url
		);
	}

	/**
	 * Whether a user agent is a bot's, whose clicks are not counted.
	 *
	 * @param string $user_agent The User-Agent header.
	 * @return bool
	 */
	public static function is_bot( string $user_agent ): bool {
		return 1 === preg_match( self::BOT_PATTERN, trim( $user_agent ) );
	}

	/**
	 * Whether the browser is loading the link ahead of a click (prefetch,
	 * prerender), as the sidecar tells: nobody clicked yet.
	 *
	 * @param array<string, string> $headers Lower-cased request header names to values.
	 * @return bool
	 */
	public static function is_prefetch( array $headers ): bool {
		foreach ( array( 'sec-purpose', 'purpose', 'x-purpose', 'x-moz' ) as $name ) {
			$value = strtolower( $headers[ $name ] ?? '' );
			if ( str_contains( $value, 'prefetch' ) || str_contains( $value, 'prerender' ) || str_contains( $value, 'preview' ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Sends the answer: a 302 or a 404, never cached, never indexed.
	 *
	 * @param array{status:int,location?:string,counted:bool} $answer From answer().
	 */
	private static function send( array $answer ): void {
		nocache_headers();
		header( 'Cache-Control: no-store, max-age=0' );
		header( 'X-Robots-Tag: noindex' );
		if ( 302 === $answer['status'] && isset( $answer['location'] ) ) {
			// Like the sidecar's redirect: the offer may learn the blog's origin.
			header( 'Referrer-Policy: no-referrer-when-downgrade' );
			if ( wp_redirect( $answer['location'], 302, 'AffRank' ) ) {
				return;
			}
		}
		status_header( 404 );
		header( 'Content-Type: text/plain; charset=utf-8' );
		echo esc_html__( 'This link is not known.', 'affrank' );
	}

	/**
	 * The request method, upper case.
	 *
	 * @return string
	 */
	private static function request_method(): string {
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) : 'GET';
		return strtoupper( $method );
	}

	/**
	 * The request headers the answer reads, lower-cased names to values.
	 *
	 * @return array<string, string>
	 */
	private static function request_headers(): array {
		$names   = array(
			'user-agent'  => 'HTTP_USER_AGENT',
			'sec-purpose' => 'HTTP_SEC_PURPOSE',
			'purpose'     => 'HTTP_PURPOSE',
			'x-purpose'   => 'HTTP_X_PURPOSE',
			'x-moz'       => 'HTTP_X_MOZ',
		);
		$headers = array();
		foreach ( $names as $name => $key ) {
			if ( isset( $_SERVER[ $key ] ) && is_string( $_SERVER[ $key ] ) ) {
				$headers[ $name ] = sanitize_text_field( wp_unslash( $_SERVER[ $key ] ) );
			}
		}
		return $headers;
	}
}
