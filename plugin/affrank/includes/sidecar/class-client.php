<?php
/**
 * Talks to the AffRank sidecar over HTTP with wp_remote_request(). Every call
 * has an explicit timeout, and every failure comes back as a translated
 * WP_Error whose data carries the HTTP status, so callers never see raw
 * transport errors or PHP warnings.
 *
 * @package AffRank
 */

namespace AffRank\Sidecar;

use AffRank\Options;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The sidecar's HTTP API, one method per endpoint.
 */
final class Client {

	/** Admin screens can wait longer than a page render. */
	public const ADMIN_TIMEOUT_MS = 5000;

	/** Reports the sidecar answers; anything else is refused before a call. */
	public const REPORTS = array( 'summary', 'keywords', 'pages', 'links', 'timeseries', 'networks' );

	/** An import may take longer than a report: the sidecar reads the whole file. */
	public const IMPORT_TIMEOUT_MS = 60000;

	/**
	 * Builds a client; for_render() and for_admin() build the configured ones.
	 *
	 * @param string $base_url   The sidecar's base URL.
	 * @param string $api_key    The site's API key.
	 * @param int    $timeout_ms How long a call may take, in milliseconds.
	 */
	public function __construct(
		private string $base_url,
		private string $api_key,
		private int $timeout_ms
	) {
		$this->base_url = untrailingslashit( $base_url );
	}

	/** A client for page renders: the configured (short) timeout. */
	public static function for_render(): self {
		return new self( Options::sidecar_url(), Options::api_key(), Options::timeout_ms() );
	}

	/** A client for wp-admin screens: a patient timeout. */
	public static function for_admin(): self {
		return new self( Options::sidecar_url(), Options::api_key(), self::ADMIN_TIMEOUT_MS );
	}

	/**
	 * Whether there is a URL and a key to call with.
	 *
	 * @return bool
	 */
	public function is_configured(): bool {
		return '' !== $this->base_url && '' !== $this->api_key;
	}

	/**
	 * The sidecar's base URL, without a trailing slash.
	 *
	 * @return string
	 */
	public function base_url(): string {
		return $this->base_url;
	}

	/**
	 * POST /api/v1/rewrite.
	 *
	 * @param array{html:string,page_url:string,post_id:int|null,keyword:string|null,keyword_source:string|null} $request Body.
	 * @return array{html:string,links:array,settings_version:int}|WP_Error
	 */
	public function rewrite( array $request ): array|WP_Error {
		$body = $this->json( 'POST', '/api/v1/rewrite', $request );
		if ( is_wp_error( $body ) ) {
			return $body;
		}
		if ( ! isset( $body['html'] ) || ! is_string( $body['html'] ) ) {
			return self::bad_response();
		}
		$body['links']            = isset( $body['links'] ) && is_array( $body['links'] ) ? $body['links'] : array();
		$body['settings_version'] = isset( $body['settings_version'] ) ? (int) $body['settings_version'] : null;
		return $body;
	}

	/**
	 * GET /api/v1/site: settings, postback URL and network presets.
	 *
	 * @return array|WP_Error
	 */
	public function site(): array|WP_Error {
		return $this->json( 'GET', '/api/v1/site' );
	}

	/**
	 * PUT /api/v1/site with any subset of the settings.
	 *
	 * @param array $patch The settings to change.
	 * @return array|WP_Error The settings after the change.
	 */
	public function update_site( array $patch ): array|WP_Error {
		return $this->json( 'PUT', '/api/v1/site', $patch );
	}

	/**
	 * GET /api/v1/reports/{name}.
	 *
	 * @param string $name  One of self::REPORTS.
	 * @param array  $query from, to, sort, limit.
	 * @return array|WP_Error
	 */
	public function report( string $name, array $query = array() ): array|WP_Error {
		if ( ! in_array( $name, self::REPORTS, true ) ) {
			return new WP_Error( 'affrank_unknown_report', __( 'Unknown report.', 'affrank' ) );
		}
		return $this->json( 'GET', '/api/v1/reports/' . $name, null, $query );
	}

	/**
	 * The same report as CSV text, straight from the sidecar.
	 *
	 * @param string $name  One of self::REPORTS.
	 * @param array  $query from, to, sort.
	 * @return string|WP_Error
	 */
	public function report_csv( string $name, array $query = array() ): string|WP_Error {
		if ( ! in_array( $name, self::REPORTS, true ) ) {
			return new WP_Error( 'affrank_unknown_report', __( 'Unknown report.', 'affrank' ) );
		}
		$response = $this->request( 'GET', '/api/v1/reports/' . $name, null, $query + array( 'format' => 'csv' ) );
		return is_wp_error( $response ) ? $response : $response['body'];
	}

	/**
	 * GET /api/v1/postbacks/log.
	 *
	 * @param array $query limit, status.
	 * @return array|WP_Error
	 */
	public function postback_log( array $query = array() ): array|WP_Error {
		return $this->json( 'GET', '/api/v1/postbacks/log', null, $query );
	}

	/**
	 * GET /api/v1/links: one page of the site's link map after a cursor.
	 *
	 * @param string|null $since The cursor the last page gave; null from the start.
	 * @param int         $limit Links per page (1 to 5,000).
	 * @return array{links:array,next:string|null,more:bool}|WP_Error
	 */
	public function links( ?string $since, int $limit ): array|WP_Error {
		$query = array( 'limit' => (string) $limit );
		if ( null !== $since && '' !== $since ) {
			$query['since'] = $since;
		}
		$body = $this->json( 'GET', '/api/v1/links', null, $query );
		if ( is_wp_error( $body ) ) {
			return $body;
		}
		if ( ! isset( $body['links'] ) || ! is_array( $body['links'] ) || ! isset( $body['more'] ) || ! is_bool( $body['more'] ) ) {
			return self::bad_response();
		}
		return array(
			'links' => $body['links'],
			'next'  => isset( $body['next'] ) && is_string( $body['next'] ) ? $body['next'] : null,
			'more'  => $body['more'],
		);
	}

	/**
	 * POST /api/v1/clicks/untracked: the clicks redirected from the plugin's
	 * link map, as running totals per link and UTC day.
	 *
	 * @param array<int, array{link_id:string,day:string,clicks:int}> $counts The totals.
	 * @return array|WP_Error The sidecar's answer ({"accepted", "ignored"}).
	 */
	public function report_untracked( array $counts ): array|WP_Error {
		return $this->json( 'POST', '/api/v1/clicks/untracked', array( 'counts' => array_values( $counts ) ) );
	}

	/**
	 * GET /api/v1/imports/presets: the network exports the sidecar reads.
	 *
	 * @return array|WP_Error {"presets": [{"id","name","network","formats","note"}]}
	 */
	public function import_presets(): array|WP_Error {
		return $this->json( 'GET', '/api/v1/imports/presets' );
	}

	/**
	 * POST /api/v1/imports with a file as the body, streamed from disk.
	 * A 422 (rows rejected, nothing applied) is an answer, not an error.
	 *
	 * @param string $path  The file to send.
	 * @param array  $query preset or columns, dry_run, skip_rejected.
	 * @return array|WP_Error The sidecar's answer, with "http_status" added.
	 */
	public function import_file( string $path, array $query ): array|WP_Error {
		if ( ! is_readable( $path ) ) {
			return new WP_Error( 'affrank_import_file', __( 'The uploaded file is no longer there. Upload it again.', 'affrank' ) );
		}
		$client   = new self( $this->base_url, $this->api_key, max( $this->timeout_ms, self::IMPORT_TIMEOUT_MS ) );
		$response = $client->request( 'POST', '/api/v1/imports', null, $query, true, $path, array( 422 ) );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$decoded = json_decode( $response['body'], true );
		if ( ! is_array( $decoded ) ) {
			return self::bad_response();
		}
		$decoded['http_status'] = $response['status'];
		return $decoded;
	}

	/**
	 * GET /api/v1/conversions: the ledger, newest first.
	 *
	 * @param array $query source, network, status, limit, offset.
	 * @return array|WP_Error {"rows", "total_rows"}
	 */
	public function conversions( array $query = array() ): array|WP_Error {
		return $this->json( 'GET', '/api/v1/conversions', null, $query );
	}

	/**
	 * POST /api/v1/conversions: a conversion entered by hand.
	 *
	 * @param array $conversion network, date, amount, currency, status, session_id, page_url, transaction_id, product, note.
	 * @return array|WP_Error The conversion as stored.
	 */
	public function add_conversion( array $conversion ): array|WP_Error {
		return $this->json( 'POST', '/api/v1/conversions', $conversion );
	}

	/**
	 * PUT /api/v1/conversions/{id}: any subset of the fields; a status alone
	 * changes the status ("reversed" reverses it).
	 *
	 * @param int   $id    The conversion's id.
	 * @param array $patch The fields to change.
	 * @return array|WP_Error The conversion as stored.
	 */
	public function update_conversion( int $id, array $patch ): array|WP_Error {
		return $this->json( 'PUT', '/api/v1/conversions/' . $id, $patch );
	}

	/**
	 * GET /api/v1/amazon/pages: which Amazon tracking id each page has.
	 *
	 * @return array|WP_Error {"rows": [{"page_url","post_id","tracking_id","assigned"}], "unassigned_ids"}
	 */
	public function amazon_pages(): array|WP_Error {
		return $this->json( 'GET', '/api/v1/amazon/pages' );
	}

	/**
	 * PUT /api/v1/amazon/pages: assigns tracking ids to pages by hand.
	 *
	 * @param array<int, array{page_url:string,tracking_id:string|null}> $assignments The changes.
	 * @return array|WP_Error
	 */
	public function update_amazon_pages( array $assignments ): array|WP_Error {
		return $this->json( 'PUT', '/api/v1/amazon/pages', array( 'assignments' => array_values( $assignments ) ) );
	}

	/**
	 * GET /api/v1/health: the site's health facts and the alerts they raise.
	 *
	 * @return array|WP_Error
	 */
	public function health_report(): array|WP_Error {
		return $this->json( 'GET', '/api/v1/health' );
	}

	/**
	 * GET /healthz: is anything listening, without the key.
	 *
	 * @return true|WP_Error
	 */
	public function health(): true|WP_Error {
		$response = $this->request( 'GET', '/healthz', null, array(), false );
		return is_wp_error( $response ) ? $response : true;
	}

	/**
	 * A request whose answer must be a JSON object.
	 *
	 * @param string     $method HTTP method.
	 * @param string     $path   Path below the base URL.
	 * @param array|null $body   JSON body, if any.
	 * @param array      $query  Query arguments.
	 * @return array|WP_Error The decoded object.
	 */
	private function json( string $method, string $path, ?array $body = null, array $query = array() ): array|WP_Error {
		$response = $this->request( $method, $path, $body, $query );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$decoded = json_decode( $response['body'], true );
		return is_array( $decoded ) ? $decoded : self::bad_response();
	}

	/**
	 * The one place an HTTP call is made.
	 *
	 * @param string     $method        HTTP method.
	 * @param string     $path          Path below the base URL.
	 * @param array|null $body          JSON body, if any.
	 * @param array      $query         Query arguments.
	 * @param bool       $authenticated Whether to send the API key.
	 * @param string     $file          A file to send as the body (streamed), or ''.
	 * @param int[]      $also_ok       Statuses besides 2xx that are answers, not errors.
	 * @return array{status:int,body:string}|WP_Error
	 */
	private function request( string $method, string $path, ?array $body, array $query, bool $authenticated = true, string $file = '', array $also_ok = array() ): array|WP_Error {
		if ( '' === $this->base_url || ( $authenticated && '' === $this->api_key ) ) {
			return new WP_Error(
				'affrank_not_configured',
				__( 'AffRank is not connected yet: enter the sidecar URL and API key under AffRank → Settings.', 'affrank' )
			);
		}
		$url     = $this->base_url . $path;
		$url     = $query ? add_query_arg( array_map( 'rawurlencode', $query ), $url ) : $url;
		$headers = array( 'Accept' => 'application/json' );
		if ( $authenticated ) {
			$headers['Authorization'] = 'Bearer ' . $this->api_key;
		}
		$args = array(
			'method'          => $method,
			'headers'         => $headers,
			// WordPress rounds timeouts up to one second; Http_Timeout applies
			// the exact milliseconds to the cURL handle (see that class).
			'timeout'         => max( 1, (int) ceil( $this->timeout_ms / 1000 ) ),
			'redirection'     => 0,
			'user-agent'      => 'AffRank-WordPress/' . AFFRANK_VERSION . '; ' . home_url( '/' ),
			Http_Timeout::ARG => $this->timeout_ms,
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = wp_json_encode( $body );
		}
		if ( '' !== $file ) {
			$args['headers']['Content-Type'] = 'application/octet-stream';
			// No "Expect: 100-continue" round trip before a large body.
			$args['headers']['Expect'] = '';
			if ( Upload_Stream::uses_curl() ) {
				$args['body']               = '';
				$args[ Upload_Stream::ARG ] = $file;
			} else {
				// Without cURL the body can only be a string: the file's size
				// is bounded by the Import screen's upload limit.
				// phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file, not a URL.
				$args['body'] = (string) file_get_contents( $file );
			}
		}

		$response = wp_remote_request( $url, $args );
		if ( '' !== $file ) {
			Upload_Stream::close_all();
		}
		if ( is_wp_error( $response ) ) {
			return new WP_Error(
				'affrank_unreachable',
				sprintf(
					/* translators: 1: sidecar URL, 2: the transport's error message. */
					__( 'Could not reach the AffRank sidecar at %1$s (%2$s).', 'affrank' ),
					$this->base_url,
					$response->get_error_message()
				),
				array( 'status' => 0 )
			);
		}

		$status = (int) wp_remote_retrieve_response_code( $response );
		$text   = (string) wp_remote_retrieve_body( $response );
		if ( ( $status >= 200 && $status < 300 ) || in_array( $status, $also_ok, true ) ) {
			return array(
				'status' => $status,
				'body'   => $text,
			);
		}
		return self::error_for_status( $status, $text, $path );
	}

	/**
	 * Turns a non-2xx answer into a WP_Error a blogger can act on.
	 *
	 * @param int    $status The HTTP status.
	 * @param string $body   The answer's body.
	 * @param string $path   The endpoint that answered.
	 * @return WP_Error
	 */
	public static function error_for_status( int $status, string $body, string $path ): WP_Error {
		$decoded = json_decode( $body, true );
		$field   = is_array( $decoded ) && isset( $decoded['field'] ) ? (string) $decoded['field'] : '';
		$detail  = is_array( $decoded ) && isset( $decoded['message'] ) ? (string) $decoded['message'] : '';
		$data    = array(
			'status' => $status,
			'field'  => $field,
			'path'   => $path,
		);

		switch ( $status ) {
			case 401:
				return new WP_Error( 'affrank_unauthorized', __( 'The sidecar refused the API key. Copy the key printed by “affrank site add” into AffRank → Settings.', 'affrank' ), $data );
			case 404:
				return new WP_Error( 'affrank_not_available', __( 'This AffRank sidecar does not offer this feature yet. Updating the sidecar will switch it on.', 'affrank' ), $data );
			case 400:
				$message = '' !== $field
					/* translators: 1: the setting's name as the sidecar calls it, 2: what is wrong with it. */
					? sprintf( __( 'The sidecar rejected “%1$s”: %2$s', 'affrank' ), $field, $detail )
					/* translators: %s: the sidecar's explanation. */
					: sprintf( __( 'The sidecar rejected the request: %s', 'affrank' ), $detail );
				return new WP_Error( 'affrank_invalid', $message, $data );
			case 413:
				if ( str_starts_with( $path, '/api/v1/imports' ) ) {
					return new WP_Error( 'affrank_too_large', __( 'The file is larger than the sidecar accepts. Split the export into shorter date ranges, or raise the sidecar\'s upload limit (its import size setting).', 'affrank' ), $data );
				}
				return new WP_Error( 'affrank_too_large', __( 'The post is too large for the sidecar to tag.', 'affrank' ), $data );
			case 409:
				return new WP_Error(
					'affrank_conflict',
					'' !== $detail
						/* translators: %s: the sidecar's explanation. */
						? sprintf( __( 'Not saved: %s', 'affrank' ), $detail )
						: __( 'Not saved: it conflicts with what the sidecar already has.', 'affrank' ),
					$data
				);
			default:
				return new WP_Error(
					'affrank_http_error',
					/* translators: %d: HTTP status code. */
					sprintf( __( 'The AffRank sidecar answered with an error (HTTP %d). Check that it is running and its database is reachable.', 'affrank' ), $status ),
					$data
				);
		}
	}

	/**
	 * The error for an answer that is not what the endpoint promises.
	 *
	 * @return WP_Error
	 */
	private static function bad_response(): WP_Error {
		return new WP_Error( 'affrank_bad_response', __( 'The AffRank sidecar sent an answer this plugin does not understand. Are the sidecar URL and version right?', 'affrank' ) );
	}
}
