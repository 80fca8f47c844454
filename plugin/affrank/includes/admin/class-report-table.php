<?php
/**
 * The keyword, page and link tables of Revenue Mapping: which columns each
 * has, and which sort a request asks for. The sidecar does the sorting
 * (over every row, rows without an EPC or rate last, ties by key), so the
 * plugin shows its rows in the order they come.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * Columns and sorting of the Revenue Mapping tables.
 */
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

	/** The keyword the sidecar's reports give links that have none. */
	public const NO_KEYWORD = '(none)';

	/**
	 * Whether a row is the "Send test postback" click: its page is the
	 * blog's home with affrank-test=1, its keyword Test_Postback::KEYWORD.
	 * Its click is a bot click, so it counts in no figure, but the sidecar
	 * lists every link that had a click; the screen marks it as a test.
	 *
	 * @param array $row A report row.
	 * @return bool
	 */
	public static function is_test_row( array $row ): bool {
		if ( isset( $row['keyword'] ) && Test_Postback::KEYWORD === $row['keyword'] ) {
			return true;
		}
		$page = isset( $row['page_url'] ) && is_string( $row['page_url'] ) ? $row['page_url'] : '';
		if ( '' === $page ) {
			return false;
		}
		parse_str( (string) wp_parse_url( $page, PHP_URL_QUERY ), $query );
		return isset( $query['affrank-test'] ) && '1' === $query['affrank-test'];
	}

	/**
	 * How a page or link URL is shown: a URL on the blog as its path from
	 * the blog's home ("/best-boots/", "/" for the home itself), any other
	 * URL in full. Only a whole path segment counts as on the blog: with home
	 * "https://blog.example", "https://blog.example.net/x" and
	 * "https://blog.example0" are other sites, shown in full.
	 *
	 * @param string $url  The URL the sidecar reported.
	 * @param string $home The blog's home URL, without a trailing slash.
	 * @return string The text to show.
	 */
	public static function display_url( string $url, string $home ): string {
		if ( '' === $home || ! str_starts_with( $url, $home ) ) {
			return $url;
		}
		$rest = substr( $url, strlen( $home ) );
		if ( '' === $rest ) {
			return '/';
		}
		return in_array( $rest[0], array( '/', '?', '#' ), true ) ? $rest : $url;
	}

	/**
	 * The columns a table can be sorted by.
	 *
	 * @param string $table keywords, pages or links.
	 * @return string[]
	 */
	public static function sortable( string $table ): array {
		return array_merge( array( self::LABEL[ $table ] ?? 'keyword' ), self::FIGURES );
	}

	/**
	 * The order a column sorts in first: text A→Z, figures highest first
	 * (as the sidecar does).
	 *
	 * @param string $column A column.
	 * @return string asc or desc.
	 */
	public static function default_order( string $column ): string {
		return in_array( $column, self::FIGURES, true ) ? 'desc' : 'asc';
	}

	/**
	 * The order a column's heading switches to when clicked.
	 *
	 * @param string $column    The heading's column.
	 * @param string $sorted_by The column the table is sorted by now.
	 * @param string $order     The order it is sorted in now.
	 * @return string asc or desc.
	 */
	public static function next_order( string $column, string $sorted_by, string $order ): string {
		if ( $column === $sorted_by ) {
			return 'asc' === $order ? 'desc' : 'asc';
		}
		return self::default_order( $column );
	}

	/**
	 * The sort requested for one table: {table}_orderby / {table}_order.
	 *
	 * @param string $table keywords, pages or links.
	 * @param array  $query The screen's query arguments.
	 * @return array{0:string,1:string} Column and order.
	 */
	public static function requested_sort( string $table, array $query ): array {
		$column = isset( $query[ $table . '_orderby' ] ) ? sanitize_key( (string) $query[ $table . '_orderby' ] ) : self::DEFAULT_SORT;
		$column = in_array( $column, self::sortable( $table ), true ) ? $column : self::DEFAULT_SORT;
		$order  = isset( $query[ $table . '_order' ] ) && in_array( $query[ $table . '_order' ], array( 'asc', 'desc' ), true )
			? (string) $query[ $table . '_order' ]
			: self::default_order( $column );
		return array( $column, $order );
	}
}
