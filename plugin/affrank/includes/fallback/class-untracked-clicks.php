<?php
/**
 * Clicks redirected from the plugin's link map while the sidecar could not
 * answer /go/: one counter per link and UTC day. No session id was minted
 * for them, so they can never be matched to a conversion; Link_Sync reports
 * the totals to the sidecar (POST /api/v1/clicks/untracked) once it answers
 * again, where they show as the summary's untracked clicks.
 *
 * "reported" is the total the sidecar last accepted: a row whose clicks are
 * above it has news. Totals, not increments, travel, so a report sent twice
 * counts once.
 *
 * @package AffRank
 */

namespace AffRank\Fallback;

defined( 'ABSPATH' ) || exit;

/**
 * Reads and writes the untracked clicks table.
 */
final class Untracked_Clicks {

	/** Fully reported days are kept this long, then deleted. */
	public const KEEP_DAYS = 90;

	/**
	 * Counts one click on a link for a UTC day.
	 *
	 * @param string $link_id A link id the map holds.
	 * @param string $day     The UTC day, YYYY-MM-DD.
	 */
	public static function record( string $link_id, string $day ): void {
		global $wpdb;
		$table = Tables::untracked();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- our own table; one atomic increment per click.
		$wpdb->query(
			$wpdb->prepare(
				"INSERT INTO `{$table}` (link_id, day, clicks, reported) VALUES (%s, %s, 1, 0) ON DUPLICATE KEY UPDATE clicks = clicks + 1",
				$link_id,
				$day
			)
		);
	}

	/**
	 * Rows with clicks the sidecar has not accepted yet, oldest day first.
	 *
	 * @param int $limit At most this many.
	 * @return array<int, array{link_id:string,day:string,clicks:int}>
	 */
	public static function unreported( int $limit ): array {
		global $wpdb;
		$table = Tables::untracked();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- our own table.
		$rows = $wpdb->get_results(
			$wpdb->prepare( "SELECT link_id, day, clicks FROM `{$table}` WHERE clicks > reported ORDER BY day, link_id LIMIT %d", $limit ),
			ARRAY_A
		);
		return array_map(
			static function ( array $row ): array {
				return array(
					'link_id' => (string) $row['link_id'],
					'day'     => (string) $row['day'],
					'clicks'  => (int) $row['clicks'],
				);
			},
			is_array( $rows ) ? $rows : array()
		);
	}

	/**
	 * Notes the totals the sidecar accepted. A click counted meanwhile keeps
	 * its row above the mark, so it goes with the next report.
	 *
	 * @param array<int, array{link_id:string,day:string,clicks:int}> $rows As unreported() gave them.
	 */
	public static function mark_reported( array $rows ): void {
		global $wpdb;
		$table = Tables::untracked();
		foreach ( $rows as $row ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- our own table.
			$wpdb->query(
				$wpdb->prepare(
					"UPDATE `{$table}` SET reported = %d WHERE link_id = %s AND day = %s AND reported < %d",
					$row['clicks'],
					$row['link_id'],
					$row['day'],
					$row['clicks']
				)
			);
		}
	}

	/**
	 * Clicks counted but not yet accepted by the sidecar.
	 *
	 * @return int
	 */
	public static function pending(): int {
		global $wpdb;
		$table = Tables::untracked();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- our own table; the name is ours.
		return (int) $wpdb->get_var( "SELECT COALESCE(SUM(clicks - reported), 0) FROM `{$table}` WHERE clicks > reported" );
	}

	/**
	 * Deletes fully reported days older than KEEP_DAYS.
	 *
	 * @param int $now Unix time.
	 */
	public static function prune( int $now ): void {
		global $wpdb;
		$table = Tables::untracked();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- our own table.
		$wpdb->query(
			$wpdb->prepare(
				"DELETE FROM `{$table}` WHERE clicks <= reported AND day < %s",
				gmdate( 'Y-m-d', $now - self::KEEP_DAYS * DAY_IN_SECONDS )
			)
		);
	}
}
