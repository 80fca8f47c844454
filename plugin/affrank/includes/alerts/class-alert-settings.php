<?php
/**
 * The alert e-mail opt-out, a WordPress setting saved through options.php.
 *
 * @package AffRank
 */

namespace AffRank\Alerts;

use AffRank\Options;
use AffRank\Template;

defined( 'ABSPATH' ) || exit;

/**
 * Registers the "e-mail me" setting with the Settings API, which checks the
 * capability and the nonce on options.php and runs the sanitiser, and renders
 * its form on AffRank → Settings.
 */
final class Alert_Settings {

	/**
	 * The settings group, as options.php receives it.
	 */
	public const GROUP = 'affrank_alerts';

	/**
	 * Registers the setting (on admin_init, so options.php accepts it).
	 *
	 * @return void
	 */
	public static function register(): void {
		register_setting(
			self::GROUP,
			Options::ALERT_EMAILS,
			array(
				'type'              => 'string',
				'description'       => __( 'Whether AffRank e-mails the admin when it needs attention.', 'affrank' ),
				'sanitize_callback' => array( self::class, 'sanitize' ),
				'default'           => '1',
				'show_in_rest'      => false,
			)
		);
	}

	/**
	 * Keeps "1" or "0" only; an unticked checkbox is not posted at all.
	 *
	 * @param mixed $value The posted value, or null when absent.
	 * @return string
	 */
	public static function sanitize( $value ): string {
		return ( '1' === ( is_scalar( $value ) ? (string) $value : '' ) ) ? '1' : '0';
	}

	/**
	 * Whether alert e-mails are on (they are unless the admin opted out).
	 *
	 * @return bool
	 */
	public static function emails_enabled(): bool {
		return '0' !== (string) get_option( Options::ALERT_EMAILS, '1' );
	}

	/**
	 * Prints the form; outside the Settings screen's own form, as it posts
	 * to options.php.
	 *
	 * @return void
	 */
	public static function render(): void {
		Template::render(
			'partials/alert-settings',
			array(
				'group'   => self::GROUP,
				'option'  => Options::ALERT_EMAILS,
				'enabled' => self::emails_enabled(),
				'email'   => (string) get_option( 'admin_email' ),
			)
		);
	}
}
