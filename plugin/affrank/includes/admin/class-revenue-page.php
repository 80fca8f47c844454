<?php
/**
 * AffRank → Revenue Mapping: which keywords, pages and links earn.
 *
 * Each part of the screen is fetched on its own, so one failing report
 * never blanks the others, and a sidecar without reports yet (404) shows a
 * friendly state instead of an error.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use AffRank\Sidecar\Client;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

/**
 * The Revenue Mapping screen and its CSV download.
 */
final class Revenue_Page {

	public const CSV_ACTION = 'affrank_download_csv';
	public const ROW_LIMIT  = 50;

	/**
	 * Prints the screen.
	 */
	public static function render(): void {
		if ( ! current_user_can( Menu::CAPABILITY ) ) {
			return;
		}
		$query  = self::query();
		$range  = Report_Range::from_query( $query );
		$client = Client::for_admin();
		$view   = array(
			'range'      => $range,
			'state'      => 'ready',
			'error'      => null,
			'summary'    => null,
			'chart'      => null,
			'tables'     => array(),
			'networks'   => null,
			'currency'   => 'USD',
			'csv_action' => self::CSV_ACTION,
		);

		if ( ! $client->is_configured() ) {
			$view['state'] = 'not_configured';
			Template::render( 'revenue', $view );
			return;
		}

		$summary = $client->report( 'summary', $range->api_query() );
		if ( is_wp_error( $summary ) ) {
			$view['state'] = 'affrank_not_available' === $summary->get_error_code() ? 'reports_unavailable' : 'error';
			$view['error'] = $summary;
			Template::render( 'revenue', $view );
			return;
		}
		$view['summary']  = $summary;
		$view['currency'] = (string) ( $summary['currency'] ?? 'USD' );
		if ( 0 === (int) ( $summary['clicks'] ?? 0 ) && 0 === (int) ( $summary['conversions'] ?? 0 ) ) {
			$view['state'] = 'empty';
		}

		// Revenue by network over the whole range, whatever the filter: the
		// table is the breakdown, and its rows are the filter's choices.
		$networks         = $client->report(
			'networks',
			array(
				'from' => $range->from,
				'to'   => $range->to,
			)
		);
		$view['networks'] = is_wp_error( $networks ) ? $networks : array_values( array_filter( (array) ( $networks['rows'] ?? array() ), 'is_array' ) );

		$series        = $client->report( 'timeseries', $range->api_query() );
		$view['chart'] = is_wp_error( $series ) ? $series : Chart::build( $range->days(), (array) ( $series['rows'] ?? array() ) );

		foreach ( Report_Table::TABLES as $table ) {
			[ $column, $order ] = Report_Table::requested_sort( $table, $query );

			$report = $client->report(
				$table,
				$range->api_query() + array(
					'sort'  => $column,
					'order' => $order,
					'limit' => (string) self::ROW_LIMIT,
				)
			);

			$view['tables'][ $table ] = is_wp_error( $report )
				? $report
				: array(
					'rows'       => array_values( array_filter( (array) ( $report['rows'] ?? array() ), 'is_array' ) ),
					'total_rows' => (int) ( $report['total_rows'] ?? 0 ),
					'orderby'    => $column,
					'order'      => $order,
				);
		}
		Template::render( 'revenue', $view );
	}

	/** Streams one report as CSV from the sidecar. */
	public static function handle_csv(): void {
		Request_Guard::check( self::CSV_ACTION );
		$query = self::query();
		$table = isset( $query['table'] ) ? sanitize_key( $query['table'] ) : '';
		if ( ! in_array( $table, Report_Table::TABLES, true ) ) {
			wp_die( esc_html__( 'Unknown report.', 'affrank' ), '', array( 'response' => 400 ) );
		}
		$range              = Report_Range::from_query( $query );
		[ $column, $order ] = Report_Table::requested_sort( $table, $query );
		// Every row (no limit), in the order the screen shows them.
		$csv = Client::for_admin()->report_csv(
			$table,
			$range->api_query() + array(
				'sort'  => $column,
				'order' => $order,
			)
		);
		if ( is_wp_error( $csv ) ) {
			Notices::flash( 'error', $csv->get_error_message() );
			Request_Guard::redirect( Menu::REVENUE, $range->screen_query() );
		}
		nocache_headers();
		header( 'Content-Type: text/csv; charset=utf-8' );
		header( 'Content-Disposition: attachment; filename="affrank-' . $table . '-' . $range->from . '-' . $range->to . '.csv"' );
		echo $csv; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a CSV download, not HTML.
		exit;
	}

	/**
	 * The URL that downloads a table as CSV, sorted as shown (nonce included).
	 *
	 * @param string       $table   keywords, pages or links.
	 * @param Report_Range $range   The range shown.
	 * @param string       $orderby The column the table is sorted by.
	 * @param string       $order   asc or desc.
	 * @return string
	 */
	public static function csv_url( string $table, Report_Range $range, string $orderby = Report_Table::DEFAULT_SORT, string $order = 'desc' ): string {
		return wp_nonce_url(
			add_query_arg(
				array_merge(
					array(
						'action'            => self::CSV_ACTION,
						'table'             => $table,
						$table . '_orderby' => $orderby,
						$table . '_order'   => $order,
					),
					$range->screen_query()
				),
				admin_url( 'admin-post.php' )
			),
			self::CSV_ACTION
		);
	}

	/**
	 * Read-only view arguments (range, sort), unslashed and reduced to
	 * short plain strings; every use validates them again.
	 *
	 * @return array<string, string>
	 */
	private static function query(): array {
		$query = array();
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- viewing a report changes nothing.
		foreach ( wp_unslash( $_GET ) as $key => $value ) {
			if ( is_string( $key ) && is_string( $value ) && strlen( $value ) <= 64 ) {
				$query[ sanitize_key( $key ) ] = sanitize_text_field( $value );
			}
		}
		return $query;
	}
}
