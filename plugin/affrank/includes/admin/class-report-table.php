<?php
/**
 * The keyword, page and link tables of Revenue Mapping: which columns each
 * has, and sorting by any of them (numbers by value, text by text).
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

final class Report_Table {

	public const TABLES = array( 'keywords', 'pages', 'links' );

	/** Columns every table has after its label column. */
	public const FIGURES = array( 'clicks', 'conversions', 'revenue', 'epc', 'conversion_rate' );

	public const LABEL = array(
		'keywords' => 'keyword',
		'pages'    => 'page_url',
		'links'    => 'url',
	);

	public const DEFAULT_SORT = 'revenue';

	/** @return string[] The columns a table can be sorted by. */
	public static function sortable( string $table ): array {
		return array_merge( array( self::LABEL[ $table ] ?? 'keyword' ), self::FIGURES );
	}

	/**
	 * Sorts rows by a column; unknown columns sort by revenue. Stable, so ties
	 * keep the sidecar's order.
	 */
	public static function sort( array $rows, string $table, string $column, string $order ): array {
		if ( ! in_array( $column, self::sortable( $table ), true ) ) {
			$column = self::DEFAULT_SORT;
		}
		$direction = 'asc' === $order ? 1 : -1;
		$indexed   = array();
		foreach ( array_values( $rows ) as $i => $row ) {
			$indexed[] = array( $i, is_array( $row ) ? $row : array() );
		}
		usort(
			$indexed,
			static function ( array $a, array $b ) use ( $column, $direction ): int {
				$x   = $a[1][ $column ] ?? null;
				$y   = $b[1][ $column ] ?? null;
				$cmp = ( is_numeric( $x ) && is_numeric( $y ) )
					? ( (float) $x <=> (float) $y ) // Sorting only; shown values stay exact strings.
					: strnatcasecmp( (string) $x, (string) $y );
				return 0 !== $cmp ? $direction * $cmp : $a[0] <=> $b[0];
			}
		);
		return array_map( static fn ( array $pair ): array => $pair[1], $indexed );
	}

	/**
	 * The sort requested for one table: {table}_orderby / {table}_order.
	 *
	 * @return array{0:string,1:string} Column and order.
	 */
	public static function requested_sort( string $table, array $query ): array {
		$column = isset( $query[ $table . '_orderby' ] ) ? sanitize_key( (string) $query[ $table . '_orderby' ] ) : self::DEFAULT_SORT;
		$column = in_array( $column, self::sortable( $table ), true ) ? $column : self::DEFAULT_SORT;
		$order  = isset( $query[ $table . '_order' ] ) && 'asc' === $query[ $table . '_order' ] ? 'asc' : 'desc';
		return array( $column, $order );
	}
}
