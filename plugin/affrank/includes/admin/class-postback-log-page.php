<?php
/**
 * AffRank → Postback Log: the latest postbacks the sidecar received, with a
 * plain-language hint per outcome and the token masked.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Sidecar\Client;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

final class Postback_Log_Page {

	public const LIMIT = 100;

	/** Parameter names that carry secrets. */
	private const SECRET_PARAMS = array( 'token', 'secret', 'api_key', 'key' );

	public static function render(): void {
		if ( ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		$client = Client::for_admin();
		$log    = $client->is_configured() ? $client->postback_log( array( 'limit' => (string) self::LIMIT ) ) : null;
		$rows   = array();
		if ( is_array( $log ) ) {
			foreach ( (array) ( $log['rows'] ?? $log['entries'] ?? array() ) as $row ) {
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
			)
		);
	}

	/**
	 * One log row, ready to show: outcome, hint and masked parameters.
	 */
	public static function present( array $row ): array {
		$status = (string) ( $row['status'] ?? $row['outcome'] ?? '' );
		$params = $row['params'] ?? $row['parameters'] ?? array();
		if ( is_string( $params ) ) {
			parse_str( ltrim( $params, '?' ), $params );
		}
		return array(
			'received_at' => (string) ( $row['received_at'] ?? $row['created_at'] ?? '' ),
			'status'      => $status,
			'http_status' => isset( $row['http_status'] ) ? (int) $row['http_status'] : null,
			'network'     => (string) ( $row['network'] ?? '' ),
			'params'      => self::mask_params( is_array( $params ) ? $params : array() ),
			'message'     => (string) ( $row['message'] ?? '' ),
			'hint'        => self::hint( $status ),
		);
	}

	/**
	 * Hides secrets: a token shows only its first two characters.
	 */
	public static function mask_params( array $params ): array {
		$masked = array();
		foreach ( $params as $name => $value ) {
			$value = is_scalar( $value ) ? (string) $value : (string) wp_json_encode( $value );
			if ( in_array( strtolower( (string) $name ), self::SECRET_PARAMS, true ) ) {
				$value = '' === $value ? '' : substr( $value, 0, 2 ) . '••••••';
			}
			$masked[ (string) $name ] = $value;
		}
		return $masked;
	}

	/** What an outcome means, and what to do about it. */
	public static function hint( string $status ): string {
		return match ( $status ) {
			'matched'      => __( 'Counted and credited to the keyword, page and link of the click.', 'affrank' ),
			'unmatched'    => __( 'No click has this session id: the network did not pass back the affrank_sid value. Check the sub-id passthrough (Postback Setup shows which sub-id each network uses).', 'affrank' ),
			'duplicate'    => __( 'Already received: networks retry, and nothing was counted twice.', 'affrank' ),
			'updated'      => __( 'The network changed this sale’s status (for example approved or reversed); the revenue follows.', 'affrank' ),
			'invalid'      => __( 'A parameter was missing or malformed. Compare the network’s postback URL with the one on Postback Setup.', 'affrank' ),
			'unauthorized' => __( 'The token was missing or wrong. Copy the postback URL from Postback Setup again.', 'affrank' ),
			'unknown_site' => __( 'The site id in the URL is not known to this sidecar.', 'affrank' ),
			'rate_limited' => __( 'Too many postbacks at once. The network should retry on its own.', 'affrank' ),
			default        => __( 'An outcome this plugin does not know yet.', 'affrank' ),
		};
	}
}
