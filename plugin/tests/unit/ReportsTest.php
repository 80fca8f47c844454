<?php
/**
 * Revenue Mapping's date range, table sort requests and chart geometry.
 */

use AffRank\Admin\Chart;
use AffRank\Admin\Report_Range;
use AffRank\Admin\Report_Table;
use AffRank\Admin\Revenue_Page;
use AffRank\Template;
use AffRank\Tests\Test_Case;

final class ReportsTest extends Test_Case {

	private function today(): DateTimeImmutable {
		return new DateTimeImmutable( '2026-03-10', new DateTimeZone( 'Europe/Berlin' ) );
	}

	public function test_presets_end_today_and_include_it(): void {
		$range = Report_Range::from_query( array( 'range' => '7' ), $this->today() );
		$this->assertSame( array( '7', '2026-03-04', '2026-03-10' ), array( $range->preset, $range->from, $range->to ) );
		$this->assertCount( 7, $range->days() );
		$this->assertSame( '2026-02-09', Report_Range::from_query( array(), $this->today() )->from, 'default: 30 days' );
		$this->assertSame( '30', Report_Range::from_query( array( 'range' => '13' ), $this->today() )->preset, 'unknown presets fall back' );
	}

	public function test_custom_ranges_are_validated_swapped_and_capped(): void {
		$range = Report_Range::from_query( array( 'range' => 'custom', 'from' => '2026-02-20', 'to' => '2026-02-01' ), $this->today() );
		$this->assertSame( array( '2026-02-01', '2026-02-20' ), array( $range->from, $range->to ) );
		$this->assertSame( array( 'range' => 'custom', 'from' => '2026-02-01', 'to' => '2026-02-20' ), $range->screen_query() );
		$this->assertSame( '30', Report_Range::from_query( array( 'range' => 'custom', 'from' => '2026-02-30', 'to' => '2026-03-01' ), $this->today() )->preset, 'no 30 February' );
		$this->assertSame( '30', Report_Range::from_query( array( 'range' => 'custom', 'from' => '<script>', 'to' => '2026-03-01' ), $this->today() )->preset );
		$long = Report_Range::from_query( array( 'range' => 'custom', 'from' => '2000-01-01', 'to' => '2026-01-01' ), $this->today() );
		$this->assertCount( Report_Range::MAX_DAYS + 1, $long->days() );
	}

	public function test_a_requested_sort_is_validated_and_headings_flip_it(): void {
		$this->assertSame( array( 'epc', 'asc' ), Report_Table::requested_sort( 'pages', array( 'pages_orderby' => 'epc', 'pages_order' => 'asc' ) ) );
		$this->assertSame( array( 'revenue', 'desc' ), Report_Table::requested_sort( 'pages', array( 'pages_orderby' => 'keyword' ) ), 'pages have no keyword column' );
		$this->assertSame( array( 'revenue', 'desc' ), Report_Table::requested_sort( 'keywords', array( 'keywords_orderby' => 'revenue; DROP TABLE', 'keywords_order' => 'sideways' ) ) );
		$this->assertSame( array( 'url', 'asc' ), Report_Table::requested_sort( 'links', array( 'links_orderby' => 'url' ) ), 'text sorts A to Z first' );
		$this->assertSame( 'desc', Report_Table::next_order( 'epc', 'revenue', 'desc' ), 'a figure starts highest first' );
		$this->assertSame( 'asc', Report_Table::next_order( 'keyword', 'revenue', 'desc' ), 'a label starts A to Z' );
		$this->assertSame( 'asc', Report_Table::next_order( 'revenue', 'revenue', 'desc' ), 'the sorted column flips' );
		$this->assertSame( 'desc', Report_Table::next_order( 'keyword', 'keyword', 'asc' ) );
	}

	public function test_rows_in_the_sidecars_shape_are_shown_as_they_come(): void {
		$rows  = array(
			array( 'keyword' => 'best boots', 'clicks' => 40, 'conversions' => 2, 'revenue' => '25.00', 'epc' => '0.6250', 'conversion_rate' => 0.05 ),
			array( 'keyword' => '(none)', 'clicks' => 3, 'conversions' => 0, 'revenue' => '0.00', 'epc' => '0.00', 'conversion_rate' => 0 ),
			array( 'keyword' => 'AffRank test', 'clicks' => 0, 'conversions' => 0, 'revenue' => '0.00', 'epc' => null, 'conversion_rate' => null ),
		);
		$html  = $this->render_table( 'keywords', $rows );
		$cells = $this->cells( $html );
		$this->assertSame( array( 'best boots', '40', '2', '$25.00', '$0.63', '5.0%' ), $cells[0], 'money and rates formatted, order kept' );
		$this->assertSame( '(no keyword)', $cells[1][0], 'the sidecar\'s "(none)"' );
		$this->assertSame( array( 'AffRank test test click', '0', '0', '$0.00', '—', '—' ), $cells[2], 'no billable click: no EPC or rate; the test click is marked' );

		$pages = $this->cells( $this->render_table( 'pages', array( array( 'page_url' => home_url( '/?affrank-test=1' ), 'clicks' => 0, 'conversions' => 0, 'revenue' => '0.00', 'epc' => null, 'conversion_rate' => null ) ) ) );
		$this->assertSame( '/?affrank-test=1 test click', $pages[0][0] );
		$this->assertFalse( Report_Table::is_test_row( array( 'page_url' => home_url( '/best-boots/' ) ) ) );
	}

	public function test_csv_downloads_keep_the_range_and_the_sort(): void {
		$url = Revenue_Page::csv_url( 'links', Report_Range::from_query( array( 'range' => '7' ) ), 'epc', 'asc' );
		parse_str( (string) wp_parse_url( html_entity_decode( $url ), PHP_URL_QUERY ), $query );
		$this->assertSame( 'affrank_download_csv', $query['action'] );
		$this->assertSame( array( 'links', 'epc', 'asc', '7' ), array( $query['table'], $query['links_orderby'], $query['links_order'], $query['range'] ) );
		$this->assertSame( 1, wp_verify_nonce( $query['_wpnonce'], Revenue_Page::CSV_ACTION ) );
	}

	private function render_table( string $table, array $rows ): string {
		ob_start();
		Template::render(
			'partials/report-table',
			array(
				'table'    => $table,
				'title'    => 'T',
				'data'     => array( 'rows' => $rows, 'total_rows' => count( $rows ), 'orderby' => 'revenue', 'order' => 'desc' ),
				'range'    => Report_Range::from_query( array() ),
				'currency' => 'USD',
			)
		);
		return (string) ob_get_clean();
	}

	/** The text of each body cell, whitespace collapsed. */
	private function cells( string $html ): array {
		$doc = new DOMDocument();
		@$doc->loadHTML( '<?xml encoding="utf-8"?>' . $html ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- HTML5 tags.
		$out = array();
		foreach ( $doc->getElementsByTagName( 'tbody' )->item( 0 )->getElementsByTagName( 'tr' ) as $tr ) {
			$row = array();
			foreach ( $tr->getElementsByTagName( 'td' ) as $td ) {
				$row[] = trim( (string) preg_replace( '/\s+/u', ' ', $td->textContent ) );
			}
			$out[] = $row;
		}
		return $out;
	}

	public function test_the_chart_scales_bars_and_line_to_the_busiest_day(): void {
		$days  = array( '2026-03-08', '2026-03-09', '2026-03-10' );
		$chart = Chart::build(
			$days,
			array(
				array( 'day' => '2026-03-08', 'revenue' => '5.00', 'clicks' => 10 ),
				array( 'day' => '2026-03-10', 'revenue' => '20.00', 'clicks' => 5 ),
			)
		);
		$this->assertCount( 3, $chart['bars'] );
		$this->assertSame( 0.0, (float) $chart['bars'][1]['h'], 'a day without rows is zero' );
		$this->assertEqualsWithDelta( 4 * $chart['bars'][0]['h'], $chart['bars'][2]['h'], 0.05 );
		$this->assertSame( 10, $chart['max_clicks'] );
		$this->assertCount( 3, explode( ' ', $chart['line'] ) );
		$this->assertTrue( $chart['has_data'] );
		$this->assertFalse( Chart::build( $days, array() )['has_data'] );
	}
}
