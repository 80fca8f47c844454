<?php
/**
 * E-mails the blog's admin when AffRank needs attention, at most once a day.
 *
 * @package AffRank
 */

namespace AffRank\Alerts;

use AffRank\Admin\Menu;
use AffRank\Options;

defined( 'ABSPATH' ) || exit;

/**
 * An hourly wp-cron check: when there are alerts, the admin has not opted
 * out, and no alert e-mail went out in the last day, one goes out now.
 *
 * Hourly rather than daily, so a sidecar that stopped answering is noticed
 * (by two checks 15 minutes or more apart) within the hour; the e-mail
 * itself still goes out at most once every MIN_INTERVAL seconds.
 */
final class Alert_Mailer {

	/**
	 * The wp-cron hook of the check.
	 */
	public const HOOK = 'affrank_check_alerts';

	/**
	 * At most one e-mail in this many seconds.
	 */
	public const MIN_INTERVAL = DAY_IN_SECONDS;

	/**
	 * Returns the current Unix time.
	 *
	 * @var callable(): int
	 */
	private $clock;

	/**
	 * Sets up the mailer.
	 *
	 * @param Health_Report $report Where the alerts come from.
	 * @param callable|null $clock  Returns the current Unix time; tests pass their own.
	 */
	public function __construct( private Health_Report $report, ?callable $clock = null ) {
		$this->clock = $clock ?? 'time';
	}

	/**
	 * The wp-cron callback.
	 *
	 * @return void
	 */
	public static function run(): void {
		( new self( Health_Report::create() ) )->maybe_send();
	}

	/**
	 * Schedules the hourly check unless it is scheduled already.
	 *
	 * @return void
	 */
	public static function schedule(): void {
		if ( false === wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, 'hourly', self::HOOK );
		}
	}

	/**
	 * Removes the scheduled check (on deactivation).
	 *
	 * @return void
	 */
	public static function unschedule(): void {
		wp_clear_scheduled_hook( self::HOOK );
	}

	/**
	 * Sends the alert e-mail if it is due.
	 *
	 * @return bool Whether an e-mail was sent.
	 */
	public function maybe_send(): bool {
		if ( ! Alert_Settings::emails_enabled() ) {
			return false;
		}
		$now  = (int) ( $this->clock )();
		$last = (int) get_option( Options::ALERT_MAIL_SENT, 0 );
		if ( $now - $last < self::MIN_INTERVAL ) {
			return false;
		}
		$alerts = $this->report->alerts( true );
		if ( array() === $alerts ) {
			return false;
		}
		$to = (string) get_option( 'admin_email' );
		if ( ! is_email( $to ) ) {
			return false;
		}
		$sent = wp_mail( $to, self::subject(), self::body( $alerts ) );
		if ( $sent ) {
			update_option( Options::ALERT_MAIL_SENT, $now, false );
		}
		return $sent;
	}

	/**
	 * The e-mail's subject.
	 *
	 * @return string
	 */
	public static function subject(): string {
		return sprintf(
			/* translators: %s: the blog's name. */
			__( '[%s] AffRank needs your attention', 'affrank' ),
			wp_specialchars_decode( (string) get_option( 'blogname' ), ENT_QUOTES )
		);
	}

	/**
	 * The e-mail's plain-text body.
	 *
	 * @param array<int, array{code: string, severity: string, message: string}> $alerts The alerts to report.
	 * @return string
	 */
	public static function body( array $alerts ): string {
		$lines = array(
			sprintf(
				/* translators: %s: the blog's address. */
				__( 'AffRank found something on %s that needs a look:', 'affrank' ),
				home_url( '/' )
			),
			'',
		);
		foreach ( $alerts as $alert ) {
			$lines[] = '- ' . $alert['message'];
		}
		$lines[] = '';
		$lines[] = sprintf(
			/* translators: %s: link to AffRank's Revenue Mapping screen. */
			__( 'Open AffRank: %s', 'affrank' ),
			Menu::url( Menu::REVENUE )
		);
		$lines[] = '';
		$lines[] = sprintf(
			/* translators: %s: link to AffRank's Settings screen. */
			__( 'This e-mail is sent at most once a day while something needs attention. To stop it, untick “E-mail me when AffRank needs attention” under AffRank → Settings: %s', 'affrank' ),
			Menu::url( Menu::SETTINGS )
		);
		return implode( "\n", $lines ) . "\n";
	}
}
