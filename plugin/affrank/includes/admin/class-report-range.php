<?php
/**
 * The date range of the Revenue Mapping screen: a preset (7, 30 or 90 days,
 * ending today in the blog's time zone) or a custom from/to.
 *
 * @package AffRank
 */

namespace AffRank\Admin;

use DateTimeImmutable;
use DateTimeZone;

defined( 'ABSPATH' ) || exit;

/**
 * A validated date range of the reports.
 */
final class Report_Range {

	public const PRESETS     = array( '7', '30', '90' );
	public const DEFAULT     = '30';
	public const MAX_DAYS    = 731;
	private const DATE_REGEX = '/^\d{4}-\d{2}-\d{2}$/';

	/**
	 * Makes a range; from_query() is how ranges are made.
	 *
	 * @param string $preset  7, 30, 90 or custom.
	 * @param string $from    First day, Y-m-d.
	 * @param string $to      Last day, Y-m-d.
	 * @param string $network A network id the reports are limited to, or '' for all.
	 */
	private function __construct(
		public readonly string $preset,
		public readonly string $from,
		public readonly string $to,
		public readonly string $network = ''
	) {}

	/**
	 * The range a request asks for; anything invalid falls back to 30 days.
	 *
	 * @param array             $query Unslashed query arguments: range, from, to, network.
	 * @param DateTimeImmutable $today Today, in the blog's time zone.
	 */
	public static function from_query( array $query, ?DateTimeImmutable $today = null ): self {
		$today   = ( $today ?? new DateTimeImmutable( 'now', wp_timezone() ) )->setTime( 0, 0 );
		$preset  = isset( $query['range'] ) ? (string) $query['range'] : self::DEFAULT;
		$network = isset( $query['network'] ) && is_string( $query['network'] ) && preg_match( '/^[a-z0-9_.-]{1,64}$/', $query['network'] ) ? $query['network'] : '';

		if ( 'custom' === $preset ) {
			$from = self::date( $query['from'] ?? '', $today->getTimezone() );
			$to   = self::date( $query['to'] ?? '', $today->getTimezone() );
			if ( $from && $to ) {
				if ( $from > $to ) {
					[ $from, $to ] = array( $to, $from );
				}
				if ( $from->diff( $to )->days > self::MAX_DAYS ) {
					$from = $to->modify( '-' . self::MAX_DAYS . ' days' );
				}
				return new self( 'custom', $from->format( 'Y-m-d' ), $to->format( 'Y-m-d' ), $network );
			}
			$preset = self::DEFAULT;
		}
		if ( ! in_array( $preset, self::PRESETS, true ) ) {
			$preset = self::DEFAULT;
		}
		$from = $today->modify( '-' . ( (int) $preset - 1 ) . ' days' );
		return new self( $preset, $from->format( 'Y-m-d' ), $today->format( 'Y-m-d' ), $network );
	}

	/**
	 * The query the sidecar's reports take.
	 *
	 * @return array{from:string,to:string,network?:string}
	 */
	public function api_query(): array {
		$query = array(
			'from' => $this->from,
			'to'   => $this->to,
		);
		if ( '' !== $this->network ) {
			$query['network'] = $this->network;
		}
		return $query;
	}

	/**
	 * The query that keeps this range in a link to our own screen.
	 *
	 * @return array<string, string>
	 */
	public function screen_query(): array {
		$query = 'custom' === $this->preset
			? array(
				'range' => 'custom',
				'from'  => $this->from,
				'to'    => $this->to,
			)
			: array( 'range' => $this->preset );
		if ( '' !== $this->network ) {
			$query['network'] = $this->network;
		}
		return $query;
	}

	/**
	 * Every day of the range, oldest first (the chart's x axis).
	 *
	 * @return string[]
	 */
	public function days(): array {
		$days = array();
		$day  = new DateTimeImmutable( $this->from );
		$end  = new DateTimeImmutable( $this->to );
		while ( $day <= $end ) {
			$days[] = $day->format( 'Y-m-d' );
			$day    = $day->modify( '+1 day' );
		}
		return $days;
	}

	/**
	 * A Y-m-d date that exists, at midnight in the zone; null for anything else.
	 *
	 * @param mixed        $value The query argument.
	 * @param DateTimeZone $zone  The blog's time zone.
	 * @return DateTimeImmutable|null
	 */
	private static function date( mixed $value, DateTimeZone $zone ): ?DateTimeImmutable {
		if ( ! is_string( $value ) || ! preg_match( self::DATE_REGEX, $value ) ) {
			return null;
		}
		$date = DateTimeImmutable::createFromFormat( '!Y-m-d', $value, $zone );
		return $date && $date->format( 'Y-m-d' ) === $value ? $date : null;
	}
}
