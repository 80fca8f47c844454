<?php
/**
 * Revenue Mapping's date range, table sorting and chart geometry.
 */

use AffRank\Admin\Chart;
use AffRank\Admin\Report_Range;
use AffRank\Admin\Report_Table;
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

	public function test_tables_sort_numbers_by_value_text_by_text_and_stably(): void {
		$rows = array(
			array( 'keyword' => 'b', 'revenue' => '9.50', 'epc' => '0.10' ),
			array( 'keyword' => 'a', 'revenue' => '10.00', 'epc' => '0.10' ),
			array( 'keyword' => 'c', 'revenue' => '100', 'epc' => '0.05' ),
		);
		$this->assertSame( array( 'c', 'a', 'b' ), array_column( Report_Table::sort( $rows, 'keywords', 'revenue', 'desc' ), 'keyword' ) );
		$this->assertSame( array( 'a', 'b', 'c' ), array_column( Report_Table::sort( $rows, 'keywords', 'keyword', 'asc' ), 'keyword' ) );
		$this->assertSame( array( 'b', 'a', 'c' ), array_column( Report_Table::sort( $rows, 'keywords', 'epc', 'desc' ), 'keyword' ), 'ties keep the sidecar order' );
		$this->assertSame( array( 'c', 'a', 'b' ), array_column( Report_Table::sort( $rows, 'keywords', 'DROP TABLE', 'desc' ), 'keyword' ), 'unknown columns sort by revenue' );
		$this->assertSame( array( 'epc', 'asc' ), Report_Table::requested_sort( 'pages', array( 'pages_orderby' => 'epc', 'pages_order' => 'asc' ) ) );
		$this->assertSame( array( 'revenue', 'desc' ), Report_Table::requested_sort( 'pages', array( 'pages_orderby' => 'keyword' ) ), 'pages have no keyword column' );
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
