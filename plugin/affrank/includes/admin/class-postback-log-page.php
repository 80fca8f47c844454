<?php
/**
 * AffRank → Postback Log: the latest postbacks the sidecar received
 * (GET /api/v1/postbacks/log), newest first, with a plain-language hint per
 * outcome, and a filter by outcome.
 *
 * The sidecar masks the token ("***") before it stores a row; the page masks
 * secret-looking parameters again, so a token never reaches the browser even
 * from an older sidecar.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Sidecar\Client;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

/**
 * The Postback Log screen.
 */
final class Postback_Log_Page {

	public const LIMIT = 100;

	/** The query argument of the outcome filter. */
	public const FILTER = 'outcome';

	/**
	 * Outcomes a log row can have, in the order the filter lists them.
	 * (rate_limited and unavailable answers are not logged: they are only
	 * counted, and the network retries.)
	 */
	public const LOGGED_OUTCOMES = array( 'matched', 'unmatched', 'duplicate', 'updated', 'test', 'queued', 'invalid', 'unauthorized', 'unknown_site', 'imported', 'import_rejected' );

	/** Parameter names that carry secrets. */
	private const SECRET_PARAMS = array( 'token', 'secret', 'api_key', 'key' );

	/**
	 * The order parameters are shown in: session id, amount, transaction id
	 * (every alias DESIGN.md accepts), then the rest by name, secrets last.
	 */
	private const PARAM_ORDER = array( 'sessionid', 'affrank_sid', 'click_id', 'clickid', 'subid', 'sub_id', 'sid', 'tid', 'amount', 'commission', 'payout', 'revenue', 'currency', 'transaction_id', 'txid', 'order_id', 'oid', 'event', 'status', 'test' );

	/** How a secret is shown. */
	public const MASK = '***';

	/**
	 * Prints the screen.
	 */
	public static function render(): void {
		if ( ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		$filter = self::requested_filter();
		$client = Client::for_admin();
		$query  = array( 'limit' => (string) self::LIMIT );
		if ( '' !== $filter ) {
			$query['status'] = $filter;
		}
		$log  = $client->is_configured() ? $client->postback_log( $query ) : null;
		$rows = array();
		if ( is_array( $log ) ) {
			foreach ( (array) ( $log['rows'] ?? array() ) as $row ) {
				if ( is_array( $row ) ) {
					$rows[] = self::present( $row );
				}
			}
		}
		Template::render(
			'postback-log',
			array(
				'configured' => $client->is_configured(),
				'error'      => is_wp_error( $log ) ? $log : null,
				'rows'       => $rows,
				'filter'     => $filter,
				'outcomes'   => self::LOGGED_OUTCOMES,
				'limit'      => self::LIMIT,
			)
		);
	}

	/**
	 * The outcome filter from the query string, or '' for all.
	 *
	 * @return string
	 */
	public static function requested_filter(): string {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- filtering a read-only list changes nothing.
		$value = isset( $_GET[ self::FILTER ] ) && is_string( $_GET[ self::FILTER ] ) ? sanitize_key( wp_unslash( $_GET[ self::FILTER ] ) ) : '';
		return in_array( $value, self::LOGGED_OUTCOMES, true ) ? $value : '';
	}

	/**
	 * One log row of the sidecar, ready to show.
	 *
	 * @param array $row {id, received_at, source_addr, method, params, outcome, http_status, message, conversion_id, source}.
	 * @return array{id:?int,received_at:string,source_addr:string,method:string,status:string,http_status:?int,params:array<int,array{0:string,1:string}>,message:string,conversion_id:?int,hint:string,source:string}
	 */
	public static function present( array $row ): array {
		$status = is_scalar( $row['outcome'] ?? null ) ? (string) $row['outcome'] : '';
		$params = $row['params'] ?? array();
		return array(
			'id'            => isset( $row['id'] ) && is_numeric( $row['id'] ) ? (int) $row['id'] : null,
			'received_at'   => is_scalar( $row['received_at'] ?? null ) ? (string) $row['received_at'] : '',
			'source_addr'   => is_scalar( $row['source_addr'] ?? null ) ? (string) $row['source_addr'] : '',
			'method'        => is_scalar( $row['method'] ?? null ) ? strtoupper( (string) $row['method'] ) : '',
			'status'        => $status,
			'http_status'   => isset( $row['http_status'] ) && is_numeric( $row['http_status'] ) ? (int) $row['http_status'] : null,
			'params'        => self::mask_params( is_array( $params ) ? $params : array() ),
			'message'       => is_scalar( $row['message'] ?? null ) ? (string) $row['message'] : '',
			'conversion_id' => isset( $row['conversion_id'] ) && is_numeric( $row['conversion_id'] ) ? (int) $row['conversion_id'] : null,
			'hint'          => self::hint( $status ),
			// How the entry came (postback, import, api, clickbank_ins,
			// manual); '' from a sidecar that logs postbacks only.
			'source'        => is_scalar( $row['source'] ?? null ) ? (string) $row['source'] : '',
		);
	}

	/**
	 * The parameters as name/value pairs, in the order sent: a name sent
	 * twice (the sidecar gives it as a list) becomes two pairs; a secret's
	 * value is never shown.
	 *
	 * @param array $params Name → string, or name → list of strings.
	 * @return array<int, array{0:string,1:string}>
	 */
	public static function mask_params( array $params ): array {
		$rank = static function ( string $name ): array {
			$lower = strtolower( $name );
			$index = array_search( $lower, self::PARAM_ORDER, true );
			return array( in_array( $lower, self::SECRET_PARAMS, true ) ? 2 : ( false === $index ? 1 : 0 ), false === $index ? 0 : $index, $lower );
		};
		uksort( $params, static fn ( $a, $b ): int => $rank( (string) $a ) <=> $rank( (string) $b ) );
		$pairs = array();
		foreach ( $params as $name => $values ) {
			$name   = (string) $name;
			$secret = in_array( strtolower( $name ), self::SECRET_PARAMS, true );
			foreach ( is_array( $values ) && array_is_list( $values ) ? $values : array( $values ) as $value ) {
				$value   = is_scalar( $value ) || null === $value ? (string) $value : (string) wp_json_encode( $value );
				$pairs[] = array( $name, $secret && '' !== $value ? self::MASK : $value );
			}
		}
		return $pairs;
	}

	/**
	 * The badge colour of an outcome.
	 *
	 * @param string $status The outcome.
	 * @return string ok, info, muted, warn or error.
	 */
	public static function tone( string $status ): string {
		return match ( $status ) {
			'matched', 'updated', 'imported' => 'ok',
			'test'                           => 'info',
			'duplicate', 'queued'            => 'muted',
			'unmatched', 'import_rejected'   => 'warn',
			default                          => 'error',
		};
	}

	/**
	 * What an outcome means, and what to do about it.
	 *
	 * @param string $status The outcome.
	 * @return string
	 */
	public static function hint( string $status ): string {
		return match ( $status ) {
			'matched'         => __( 'Counted and credited to the keyword, page and link of the click.', 'affrank' ),
			'unmatched'       => __( 'Counted as unattributed revenue: no click has this session id, so the network did not pass back the affrank_sid value. Check the sub-id passthrough (Postback Setup shows which sub-id each network uses).', 'affrank' ),
			'duplicate'       => __( 'Already received: networks retry, and nothing was counted twice.', 'affrank' ),
			'updated'         => __( 'The network changed this sale’s status (for example approved or reversed); the revenue follows.', 'affrank' ),
			'test'            => __( 'A set-up check (test=1, as “Send test postback” sends): the postback URL and token work. Nothing was counted.', 'affrank' ),
			'queued'          => __( 'Received while the sidecar’s database was briefly away: the postback is saved on disk and will be counted, with the same duplicate check, as soon as the database is back. Nothing to do.', 'affrank' ),
			'invalid'         => __( 'Not counted: a parameter was missing or malformed (the message names it). Compare the network’s postback URL with the one on Postback Setup; a value still in braces or !!…!! means the network left a macro unfilled.', 'affrank' ),
			'unauthorized'    => __( 'Not counted: the token was missing or wrong. Copy the postback URL from Postback Setup again.', 'affrank' ),
			'unknown_site'    => __( 'Not counted: the site id in the URL is not known to this sidecar. Copy the postback URL from Postback Setup again.', 'affrank' ),
			'rate_limited'    => __( 'Not counted yet: too many postbacks arrived at once, so the sidecar asked the sender to retry a little later. Networks retry on their own; nothing is lost.', 'affrank' ),
			'imported'        => __( 'A report file was imported (AffRank → Import, or “affrank import”): the parameters say how many rows were new, updated, already there or rejected.', 'affrank' ),
			'import_rejected' => __( 'A report file was not imported because some of its rows were rejected; nothing was changed. Fix the rows, or import again with “Skip rejected rows”.', 'affrank' ),
			'unavailable'     => __( 'Not counted yet: the sidecar could not store the postback (its database is away), so it did not acknowledge it and the network will retry. Check that the sidecar and its database are running.', 'affrank' ),
			default           => __( 'An outcome this plugin does not know yet.', 'affrank' ),
		};
	}
}
