<?php
/**
 * Revenue (bars) and clicks (line) per day as plain numbers for an inline
 * SVG: no chart library, no CDN, readable without JavaScript.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

defined( 'ABSPATH' ) || exit;

/**
 * The daily chart of Revenue Mapping, as coordinates.
 */
final class Chart {

	public const WIDTH  = 720;
	public const HEIGHT = 220;
	public const PAD_X  = 8;
	public const PAD_Y  = 16;

	/**
	 * The bars, line and labels for a range's timeseries.
	 *
	 * @param string[] $days Every day of the range, oldest first.
	 * @param array    $rows Timeseries rows: {day, clicks, revenue, …}.
	 * @return array{bars:array,line:string,max_revenue:float,max_clicks:int,labels:array,has_data:bool}
	 */
	public static function build( array $days, array $rows ): array {
		$by_day = array();
		foreach ( $rows as $row ) {
			if ( is_array( $row ) && isset( $row['day'] ) ) {
				$by_day[ substr( (string) $row['day'], 0, 10 ) ] = $row;
			}
		}
		$count = max( 1, count( $days ) );
		$max_r = 0.0;
		$max_c = 0;
		foreach ( $days as $day ) {
			$max_r = max( $max_r, (float) ( $by_day[ $day ]['revenue'] ?? 0 ) );
			$max_c = max( $max_c, (int) ( $by_day[ $day ]['clicks'] ?? 0 ) );
		}
		$plot_w = self::WIDTH - 2 * self::PAD_X;
		$plot_h = self::HEIGHT - 2 * self::PAD_Y;
		$slot   = $plot_w / $count;
		$bar_w  = max( 1.0, $slot * 0.62 );
		$bars   = array();
		$points = array();
		foreach ( array_values( $days ) as $i => $day ) {
			$revenue  = (float) ( $by_day[ $day ]['revenue'] ?? 0 );
			$clicks   = (int) ( $by_day[ $day ]['clicks'] ?? 0 );
			$height   = $max_r > 0 ? $plot_h * $revenue / $max_r : 0;
			$x        = self::PAD_X + $i * $slot;
			$bars[]   = array(
				'x'       => round( $x + ( $slot - $bar_w ) / 2, 2 ),
				'y'       => round( self::PAD_Y + $plot_h - $height, 2 ),
				'w'       => round( $bar_w, 2 ),
				'h'       => round( $height, 2 ),
				'day'     => $day,
				'revenue' => (string) ( $by_day[ $day ]['revenue'] ?? '0' ),
				'clicks'  => $clicks,
			);
			$points[] = round( $x + $slot / 2, 2 ) . ',' . round( self::PAD_Y + $plot_h - ( $max_c > 0 ? $plot_h * $clicks / $max_c : 0 ), 2 );
		}
		$last   = count( $days ) - 1;
		$labels = array_unique( array( 0, intdiv( $last, 2 ), $last ) );
		return array(
			'bars'        => $bars,
			'line'        => implode( ' ', $points ),
			'max_revenue' => $max_r,
			'max_clicks'  => $max_c,
			'labels'      => array_map(
				static fn ( int $i ): array => array(
					'x'   => round( self::PAD_X + ( $i + 0.5 ) * $slot, 2 ),
					'day' => $days[ $i ] ?? '',
				),
				$last >= 0 ? $labels : array()
			),
			'has_data'    => $max_r > 0 || $max_c > 0,
		);
	}
}
