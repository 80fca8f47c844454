<?php
/**
 * The alerts a blogger sees: those the sidecar raises (GET /api/v1/health),
 * and the one only the plugin can know, the sidecar not answering it.
 *
 * @package AffRank
 */

namespace AffRank\Alerts;

use AffRank\Options;
use AffRank\Sidecar\Backoff;
use AffRank\Sidecar\Client;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Reads the sidecar's health, at most every few minutes, and adds the
 * "sidecar unreachable" alert from the Backoff's record of failed calls.
 *
 * Every failed call to the sidecar (a page render's, the Settings screen's,
 * this class's own) is recorded by the Backoff with the time the failures
 * began; a success clears it. So "unreachable since" is that time, and the
 * alert is raised once it is UNREACHABLE_AFTER seconds old.
 */
final class Health_Report {

	/**
	 * How long an answer of the sidecar is shown before it is asked again.
	 */
	public const CACHE_SECONDS = 300;

	/**
	 * Failures for this long make the "sidecar unreachable" alert.
	 */
	public const UNREACHABLE_AFTER = 900;

	/**
	 * Returns the current Unix time.
	 *
	 * @var callable(): int
	 */
	private $clock;

	/**
	 * Sets up the report.
	 *
	 * @param Client        $client  The sidecar client.
	 * @param Backoff       $backoff The record of failed calls, shared with page renders.
	 * @param callable|null $clock   Returns the current Unix time; tests pass their own.
	 */
	public function __construct( private Client $client, private Backoff $backoff, ?callable $clock = null ) {
		$this->clock = $clock ?? 'time';
	}

	/**
	 * A report on the configured sidecar, with wp-admin's patient timeout.
	 *
	 * @return self
	 */
	public static function create(): self {
		return new self( Client::for_admin(), new Backoff() );
	}

	/**
	 * The current alerts, most serious first.
	 *
	 * @param bool $fresh Ask the sidecar now rather than use a recent answer.
	 * @return array<int, array{code: string, severity: string, message: string}>
	 */
	public function alerts( bool $fresh = false ): array {
		if ( ! $this->client->is_configured() ) {
			return array();
		}
		$alerts      = $this->sidecar_alerts( $fresh );
		$unreachable = $this->unreachable_alert();
		if ( null !== $unreachable ) {
			array_unshift( $alerts, $unreachable );
		}
		// Errors before warnings; usort keeps the order within each.
		usort(
			$alerts,
			static function ( array $a, array $b ): int {
				return ( 'error' === $b['severity'] ) <=> ( 'error' === $a['severity'] );
			}
		);
		return $alerts;
	}

	/**
	 * The "sidecar unreachable" alert, when calls have failed for long enough.
	 *
	 * @return array{code: string, severity: string, message: string}|null
	 */
	public function unreachable_alert(): ?array {
		$state = $this->backoff->state();
		$since = (int) ( $state['since'] ?? 0 );
		$now   = (int) ( $this->clock )();
		if ( $this->backoff->failures() < 1 || $since < 1 || $now - $since < self::UNREACHABLE_AFTER ) {
			return null;
		}
		$reason = (string) ( $state['reason'] ?? '' );
		return array(
			'code'     => 'sidecar_unreachable',
			'severity' => 'error',
			'message'  => sprintf(
				/* translators: 1: how long ago (e.g. "20 mins"), 2: date and time, 3: the last error. */
				__( 'The AffRank sidecar has not answered for %1$s (since %2$s). Meanwhile clicks on your affiliate links are not tracked (the fallback only counts them). Last error: %3$s', 'affrank' ),
				human_time_diff( $since, $now ),
				wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $since ),
				'' !== $reason ? $reason : __( 'none recorded', 'affrank' )
			),
		);
	}

	/**
	 * The sidecar's own alerts, from a recent answer or asked for now.
	 *
	 * @param bool $fresh Ask the sidecar now rather than use a recent answer.
	 * @return array<int, array{code: string, severity: string, message: string}>
	 */
	private function sidecar_alerts( bool $fresh ): array {
		$now    = (int) ( $this->clock )();
		$cached = get_option( Options::HEALTH_CACHE, array() );
		if ( ! $fresh && is_array( $cached ) && isset( $cached['checked'], $cached['alerts'] ) && $now - (int) $cached['checked'] < self::CACHE_SECONDS ) {
			return (array) $cached['alerts'];
		}
		if ( ! $this->backoff->allows_call() ) {
			// Known to be down: its alerts cannot be read now.
			return array();
		}
		$body = $this->client->health_report();
		if ( is_wp_error( $body ) ) {
			if ( self::is_unreachable( $body ) ) {
				$this->backoff->record_failure( $body->get_error_message() );
				return array();
			}
			// It answered, but has no health for us (an older sidecar, a
			// refused key): nothing to show, and no need to ask every page.
			$alerts = array();
		} else {
			$this->backoff->record_success();
			$alerts = self::valid_alerts( $body['alerts'] ?? array() );
		}
		update_option(
			Options::HEALTH_CACHE,
			array(
				'checked' => $now,
				'alerts'  => $alerts,
			),
			false
		);
		return $alerts;
	}

	/**
	 * Whether a failed call says the sidecar is away, rather than refusing.
	 *
	 * @param WP_Error $error The client's error.
	 * @return bool
	 */
	private static function is_unreachable( WP_Error $error ): bool {
		$data   = $error->get_error_data();
		$status = is_array( $data ) ? (int) ( $data['status'] ?? 0 ) : 0;
		return 0 === $status || $status >= 500;
	}

	/**
	 * The well-formed alerts of an answer, as plain strings.
	 *
	 * @param mixed $alerts The answer's "alerts".
	 * @return array<int, array{code: string, severity: string, message: string}>
	 */
	private static function valid_alerts( $alerts ): array {
		$valid = array();
		foreach ( is_array( $alerts ) ? $alerts : array() as $alert ) {
			if ( ! is_array( $alert ) || ! isset( $alert['code'], $alert['message'] ) || ! is_string( $alert['message'] ) ) {
				continue;
			}
			$valid[] = array(
				'code'     => sanitize_key( (string) $alert['code'] ),
				'severity' => 'error' === ( $alert['severity'] ?? '' ) ? 'error' : 'warning',
				'message'  => $alert['message'],
			);
		}
		return $valid;
	}
}
