<?php
/**
 * Fail open, fast: after a failed call the plugin stops calling the sidecar
 * for a while, so a sidecar that is down or slow costs a page render at most
 * one timeout, not one per view. The pause doubles with each consecutive
 * failure (30 s, 60 s, … up to 10 minutes) and a success clears it.
 *
 * State is one small autoloaded option: reading it costs no query, and it is
 * written only when the sidecar's health changes.
 *
 * @package AffRank
 */

namespace AffRank\Sidecar;

use AffRank\Options;

defined( 'ABSPATH' ) || exit;

/**
 * The pause after failed sidecar calls.
 */
final class Backoff {

	public const BASE_SECONDS = 30;
	public const MAX_SECONDS  = 600;

	/**
	 * Returns the current Unix time.
	 *
	 * @var callable(): int
	 */
	private $clock;

	/**
	 * Builds a back-off on the stored state.
	 *
	 * @param callable|null $clock Returns the current Unix time; tests pass their own.
	 */
	public function __construct( ?callable $clock = null ) {
		$this->clock = $clock ?? 'time';
	}

	/** True when a call may be made now. */
	public function allows_call(): bool {
		return $this->until() <= ( $this->clock )();
	}

	/** Unix time until which calls are paused (0: not paused). */
	public function until(): int {
		$state = $this->state();
		return (int) ( $state['until'] ?? 0 );
	}

	/**
	 * How many calls in a row have failed.
	 *
	 * @return int
	 */
	public function failures(): int {
		$state = $this->state();
		return (int) ( $state['failures'] ?? 0 );
	}

	/**
	 * Records a failed call and starts (or lengthens) the pause.
	 *
	 * @param string $reason Shown to the admin on the Settings screen.
	 */
	public function record_failure( string $reason = '' ): void {
		$failures = $this->failures() + 1;
		$now      = ( $this->clock )();
		update_option(
			Options::BACKOFF,
			array(
				'failures' => $failures,
				'until'    => $now + self::pause_seconds( $failures ),
				'since'    => (int) ( $this->state()['since'] ?? $now ),
				'reason'   => $reason,
			),
			true
		);
	}

	/** Clears the pause; writes only when there was one. */
	public function record_success(): void {
		if ( array() !== $this->state() ) {
			update_option( Options::BACKOFF, array(), true );
		}
	}

	/**
	 * The pause after the given number of consecutive failures.
	 *
	 * @param int $failures Failed calls in a row.
	 * @return int Seconds.
	 */
	public static function pause_seconds( int $failures ): int {
		$base    = (int) apply_filters( 'affrank_backoff_base_seconds', self::BASE_SECONDS );
		$max     = (int) apply_filters( 'affrank_backoff_max_seconds', self::MAX_SECONDS );
		$doubled = $base * ( 2 ** min( max( $failures - 1, 0 ), 16 ) );
		return max( 1, min( $max, $doubled ) );
	}

	/**
	 * The stored state.
	 *
	 * @return array{failures?:int,until?:int,since?:int,reason?:string}
	 */
	public function state(): array {
		$state = get_option( Options::BACKOFF, array() );
		return is_array( $state ) ? $state : array();
	}
}
