<?php
/**
 * The plugin's copy of the site's link map: link id to destination, as the
 * sidecar registered them. Filled from every rewrite answer at once and
 * from GET /api/v1/links by Link_Sync; read by Go_Route when the sidecar
 * cannot answer /go/.
 *
 * Only what the sidecar registered gets in: an id of letters, digits, "-"
 * or "_" and an absolute http(s) URL, so the fallback can never be made to
 * redirect anywhere else.
 *
 * @package AffRank
 */

namespace AffRank\Fallback;

defined( 'ABSPATH' ) || exit;

/**
 * Reads and writes the link map table.
 */
final class Link_Map {

	/** A link id (or, later, a slug): what /go/{id} may carry. */
	public const ID_PATTERN = '/^[A-Za-z0-9_-]{1,64}$/';

	/** Rows written per statement. */
	private const CHUNK = 200;

	/**
	 * Stores links as the sidecar describes them, replacing what the map had
	 * for the same ids. Entries that are not a link are skipped.
	 *
	 * @param mixed $links A list of {"id", "url", "network"} objects (arrays).
	 * @return int How many links were stored.
	 */
	public static function remember( $links ): int {
		if ( ! is_array( $links ) ) {
			return 0;
		}
		$rows = array();
		foreach ( $links as $link ) {
			$row = self::row_of( $link );
			if ( null !== $row ) {
				// One row per id: a repeated id keeps its last description.
				$rows[ $row[0] ] = $row;
			}
		}
		foreach ( array_chunk( array_values( $rows ), self::CHUNK ) as $chunk ) {
			self::write( $chunk );
		}
		return count( $rows );
	}

	/**
	 * Where a link goes, if the map has it.
	 *
	 * @param string $id A link id.
	 * @return string|null The destination URL, or null for an id the map does not hold.
	 */
	public static function destination( string $id ): ?string {
		if ( 1 !== preg_match( self::ID_PATTERN, $id ) ) {
			return null;
		}
		global $wpdb;
		$table = Tables::links();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- our own table, read by primary key; a fallback must not depend on a cache.
		$url = $wpdb->get_var( $wpdb->prepare( "SELECT url FROM `{$table}` WHERE link_id = %s", $id ) );
		return is_string( $url ) && self::is_destination( $url ) ? $url : null;
	}

	/**
	 * How many links the map holds.
	 *
	 * @return int
	 */
	public static function size(): int {
		global $wpdb;
		$table = Tables::links();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- our own table; the name is ours.
		return (int) $wpdb->get_var( "SELECT COUNT(*) FROM `{$table}`" );
	}

	/**
	 * Empties the map (the plugin was connected to another site).
	 */
	public static function forget_all(): void {
		global $wpdb;
		$table = Tables::links();
		// DELETE, not TRUNCATE: no implicit commit, and no DROP privilege needed.
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- our own table; the name is ours.
		$wpdb->query( "DELETE FROM `{$table}`" );
	}

	/**
	 * Whether a URL may be redirected to: absolute http or https with a host,
	 * and no control characters (a header cannot be split with it). Spaces
	 * and other characters a Location header cannot carry are encoded when
	 * the redirect is made (Go_Route::location()).
	 *
	 * @param string $url A destination.
	 * @return bool
	 */
	public static function is_destination( string $url ): bool {
		if ( '' === $url || strlen( $url ) > 8192 || 1 === preg_match( '/[\x00-\x1f\x7f]/', $url ) ) {
			return false;
		}
		$parts = wp_parse_url( $url );
		return is_array( $parts )
			&& isset( $parts['scheme'], $parts['host'] )
			&& in_array( strtolower( $parts['scheme'] ), array( 'http', 'https' ), true )
			&& '' !== $parts['host'];
	}

	/**
	 * One link of a sidecar answer as a row, or null when it is not one.
	 *
	 * @param mixed $link One entry of the answer's "links".
	 * @return array{0:string,1:string,2:string}|null Id, URL, network ('' when none).
	 */
	private static function row_of( $link ): ?array {
		if ( ! is_array( $link ) || ! isset( $link['id'], $link['url'] ) || ! is_string( $link['id'] ) || ! is_string( $link['url'] ) ) {
			return null;
		}
		if ( 1 !== preg_match( self::ID_PATTERN, $link['id'] ) || ! self::is_destination( $link['url'] ) ) {
			return null;
		}
		$network = isset( $link['network'] ) && is_string( $link['network'] ) ? substr( $link['network'], 0, 40 ) : '';
		return array( $link['id'], $link['url'], $network );
	}

	/**
	 * Inserts or replaces one chunk of rows in one statement.
	 *
	 * @param array<int, array{0:string,1:string,2:string}> $rows Id, URL, network.
	 */
	private static function write( array $rows ): void {
		global $wpdb;
		$table  = Tables::links();
		$now    = current_time( 'mysql', true );
		$values = array();
		$args   = array();
		foreach ( $rows as $row ) {
			$values[] = '(%s, %s, %s, %s)';
			array_push( $args, $row[0], $row[1], $row[2], $now );
		}
		$sql = "INSERT INTO `{$table}` (link_id, url, network, updated_at) VALUES " . implode( ', ', $values )
			. ' ON DUPLICATE KEY UPDATE url = VALUES(url), network = VALUES(network), updated_at = VALUES(updated_at)';
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared -- our own table; every value is a placeholder.
		$wpdb->query( $wpdb->prepare( $sql, $args ) );
	}
}
